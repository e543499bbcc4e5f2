// Loupe's ClickHouse schema as a versioned list of migrations. migrate()
// creates the database if needed and applies the migrations the database
// has not seen, recording each in loupe_schema; check() refuses a database
// that is missing, was made by an older or newer Loupe, lacks a table, or a
// server that lacks a function Loupe's SQL relies on, each with an error that
// says what to do. The DDL depends on the server's Features (LowCardinality,
// codecs, skip indexes where the version has them).
//
// migrate() is meant to run once, with no writer running:
// two concurrent runs could both backfill the per-minute table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/clickhouse/client.h"
#include "store/clickhouse/features.h"

namespace loupe::store::clickhouse {

struct Migration {
  int version;
  std::string_view description;
  // The statements, in order, for a server with these features.
  std::vector<std::string> (*statements)(const Features& features);
};

// Every migration, versions 1..kSchemaVersion in order.
const std::vector<Migration>& migrations();
int schema_version();  // the newest migration's version

// The tables a database at `version` has.
std::vector<std::string_view> tables_at(int version);

struct MigrateResult {
  int from_version = 0;  // 0: a new database
  int to_version = 0;
  bool created_database = false;
};
// Applies migrations up to `target` (default: all), on every host of the
// URL's cluster in cluster mode (cluster.h). Throws Error(Kind::Schema) for a
// database made by a newer Loupe or an unknown cluster.
MigrateResult migrate(Client& client, const Features& features, int target = 0);

// Throws Error(Kind::Schema) naming what is wrong and what to do.
void check(Client& client);

}  // namespace loupe::store::clickhouse
