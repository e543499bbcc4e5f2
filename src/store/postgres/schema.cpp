#include "store/postgres/schema.h"

#include <string>

namespace loupe::store::postgres {
namespace {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

constexpr Migration kMigrations[] = {
    {1, "alert state, silences, Kubernetes history, held batches", R"sql(
CREATE TABLE loupe_alert_state(key text PRIMARY KEY, alert text NOT NULL);
CREATE TABLE loupe_silences(id text PRIMARY KEY, silence text NOT NULL);
CREATE TABLE loupe_k8s_snapshots(id bigserial PRIMARY KEY, received_ns bigint NOT NULL,
  collector text NOT NULL, body text NOT NULL);
CREATE TABLE loupe_k8s_changes(id bigserial PRIMARY KEY, snapshot_id bigint NOT NULL,
  received_ns bigint NOT NULL, body text NOT NULL);
CREATE INDEX loupe_k8s_changes_snapshot ON loupe_k8s_changes(snapshot_id, id);
CREATE TABLE loupe_held_batches(id bigserial PRIMARY KEY, arrived_ns bigint NOT NULL,
  owner integer NOT NULL, records text NOT NULL);
)sql"},
};

std::string where(Client& c) {
  return "PostgreSQL database '" + c.url().database + "' at " + c.url().endpoint();
}

// The stored schema version; 0 when there is no loupe_schema table.
int stored_version(Client& c) {
  if (c.exec("SELECT to_regclass('loupe_schema')").is_null(0, 0)) return 0;
  Result r = c.exec("SELECT coalesce(max(version), 0) FROM loupe_schema");
  return static_cast<int>(r.i64(0, 0));
}

}  // namespace

MigrateResult migrate(Client& c) {
  MigrateResult out;
  c.transaction([&] {
    c.exec("SELECT pg_advisory_xact_lock($1, 0)", {std::to_string(kLockSpace)});
    c.exec(
        "CREATE TABLE IF NOT EXISTS loupe_schema(version integer PRIMARY KEY, description text "
        "NOT NULL, loupe_version text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    out.from_version = out.to_version = stored_version(c);
    if (out.from_version > kSchemaVersion)
      throw Error(Error::Kind::Schema, where(c) + " has schema version " +
                                           std::to_string(out.from_version) +
                                           ", made by a newer Loupe (this one knows up to " +
                                           std::to_string(kSchemaVersion) + "): upgrade Loupe");
    for (const Migration& m : kMigrations) {
      if (m.version <= out.from_version) continue;
      c.exec_script(m.sql);
      c.exec("INSERT INTO loupe_schema(version, description, loupe_version) VALUES($1, $2, $3)",
             {std::to_string(m.version), m.description, LOUPE_VERSION});
      out.to_version = m.version;
    }
  });
  return out;
}

void check(Client& c) {
  int version = stored_version(c);
  std::string again = "run loupe server --state URL --migrate once";
  if (version == 0) {
    bool empty =
        c.exec("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()").i64(0, 0) == 0;
    throw Error(Error::Kind::Schema,
                where(c) + (empty ? " is empty (no Loupe schema); " + again
                                  : " has tables but no loupe_schema: it was not made by Loupe; "
                                    "use a database of its own"));
  }
  if (version < kSchemaVersion)
    throw Error(Error::Kind::Schema, where(c) + " has schema version " + std::to_string(version) +
                                         ", made by an older Loupe; this one needs version " +
                                         std::to_string(kSchemaVersion) + ": " + again);
  if (version > kSchemaVersion)
    throw Error(Error::Kind::Schema, where(c) + " has schema version " + std::to_string(version) +
                                         ", made by a newer Loupe (this one knows up to " +
                                         std::to_string(kSchemaVersion) + "): upgrade Loupe");
}

}  // namespace loupe::store::postgres
