#include "store/postgres/state_store.h"

#include <algorithm>
#include <iostream>
#include <random>

#include "store/ingest_ledger.h"
#include "store/postgres/schema.h"

namespace loupe::store::postgres {
namespace {

constexpr int32_t kFirstOwner = 1000;  // below: Loupe's other locks (schema.h)

int32_t random_owner() {
  std::random_device rd;
  return std::uniform_int_distribution<int32_t>(kFirstOwner, INT32_MAX)(rd);
}

std::string id_array(const std::vector<uint64_t>& ids) {
  std::string s = "{";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "}";
}

}  // namespace

PostgresState::PostgresState(const Url& url, uint64_t retention_ns)
    : owner_(random_owner()), retention_ns_(retention_ns) {
  std::string space = std::to_string(kLockSpace), owner = std::to_string(owner_);
  // Every connection (again after a drop) announces this server as running.
  client_ = std::make_unique<Client>(url, [space, owner](Client& c) {
    c.exec("SELECT pg_advisory_lock($1, $2)", {space, owner});
  });
}

template <typename F>
auto PostgresState::locked(F&& f) {
  std::lock_guard lock(mu_);
  ++calls_;
  try {
    return f(*client_);
  } catch (const Error& e) {
    ++errors_;
    last_error_ = e.what();
    throw StoreError(e.what());
  }
}

void PostgresState::hold(const std::vector<HeldBatch*>& batches) {
  if (batches.empty()) return;
  locked([&](Client& c) {
    c.transaction([&] {
      for (HeldBatch* b : batches) {
        Result r = c.exec(
            "INSERT INTO loupe_held_batches(arrived_ns, owner, records) VALUES($1, $2, $3) "
            "RETURNING id",
            {std::to_string(b->arrived_ns), std::to_string(owner_), held_records_json(b->records)});
        b->id = static_cast<uint64_t>(r.i64(0, 0));
      }
    });
  });
}

void PostgresState::release(const std::vector<uint64_t>& ids) {
  if (ids.empty()) return;
  locked([&](Client& c) {
    c.exec("DELETE FROM loupe_held_batches WHERE id = ANY($1::bigint[])", {id_array(ids)});
  });
}

std::vector<HeldBatch> PostgresState::held_batches() {
  return locked([&](Client& c) {
    // A row is free when its owner's presence lock can be taken (and is
    // let go at the end of this statement's transaction).
    Result r = c.exec(
        "UPDATE loupe_held_batches SET owner = $2 WHERE id IN ("
        "  SELECT id FROM loupe_held_batches"
        "  WHERE owner <> $2 AND pg_try_advisory_xact_lock($1, owner)"
        "  FOR UPDATE SKIP LOCKED) "
        "RETURNING id, arrived_ns, records",
        {std::to_string(kLockSpace), std::to_string(owner_)});
    std::vector<HeldBatch> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({static_cast<uint64_t>(r.i64(i, 0)), static_cast<uint64_t>(r.i64(i, 1)),
                     held_records_from_json(r.text(i, 2))});
    std::sort(out.begin(), out.end(),
              [](const HeldBatch& a, const HeldBatch& b) { return a.id < b.id; });
    return out;
  });
}

void PostgresState::write_k8s_history(const K8sIngest& in) {
  if (in.snapshot.empty() && in.changes.empty()) return;
  locked([&](Client& c) {
    c.transaction([&] {
      std::string at = std::to_string(in.received_ns);
      if (!in.snapshot.empty())
        c.exec("INSERT INTO loupe_k8s_snapshots(received_ns, collector, body) VALUES($1, $2, $3)",
               {at, in.collector, in.snapshot});
      for (const auto& change : in.changes)
        c.exec(
            "INSERT INTO loupe_k8s_changes(snapshot_id, received_ns, body) VALUES("
            "(SELECT coalesce(max(id), 0) FROM loupe_k8s_snapshots), $1, $2)",
            {at, change});
    });
  });
}

std::optional<K8sHistory> PostgresState::k8s_history() {
  return locked([&](Client& c) -> std::optional<K8sHistory> {
    std::optional<K8sHistory> h;
    // One snapshot of the database for both reads (a change arriving in
    // between cannot be seen without its snapshot).
    c.transaction([&] {
      c.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      Result snap = c.exec("SELECT id, body FROM loupe_k8s_snapshots ORDER BY id DESC LIMIT 1");
      if (snap.rows() == 0) return;
      h.emplace();
      h->snapshot = snap.text(0, 1);
      Result changes =
          c.exec("SELECT body FROM loupe_k8s_changes WHERE snapshot_id = $1 ORDER BY id",
                 {snap.text(0, 0)});
      for (int i = 0; i < changes.rows(); ++i) h->changes.push_back(changes.text(i, 0));
    });
    return h;
  });
}

void PostgresState::enforce_retention(uint64_t now_ns) {
  if (!retention_ns_ || now_ns < retention_ns_) return;
  locked([&](Client& c) {
    c.transaction([&] {
      std::string cutoff = std::to_string(now_ns - retention_ns_);
      const char* latest = "(SELECT coalesce(max(id), 0) FROM loupe_k8s_snapshots)";
      c.exec(std::string("DELETE FROM loupe_k8s_changes WHERE snapshot_id < ") + latest +
                 " AND received_ns < $1",
             {cutoff});
      c.exec(std::string("DELETE FROM loupe_k8s_snapshots WHERE id < ") + latest +
                 " AND received_ns < $1",
             {cutoff});
    });
  });
}

nlohmann::json PostgresState::status() {
  std::lock_guard lock(mu_);
  nlohmann::json j = {
      {"kind", "postgres"},
      {"url", client_->url().to_string()},
      {"schema_version", kSchemaVersion},
      {"statements", calls_},
      {"errors", errors_},
      {"last_error", last_error_.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_error_)}};
  try {
    j["server_version"] = client_->server_version();
  } catch (const Error& e) {
    j["server_version"] = nullptr;
    j["last_error"] = e.what();
  }
  return j;
}

OpenedState open_state(const std::string& url, bool migrate, uint64_t retention_ns) {
  try {
    Url parsed = parse_url(url);
    {
      Client admin(parsed);
      if (migrate) {
        MigrateResult m = postgres::migrate(admin);
        std::cerr << "loupe: PostgreSQL database '" << parsed.database << "' at "
                  << parsed.endpoint() << ": state schema version " << m.from_version << " -> "
                  << m.to_version << "\n";
      } else {
        check(admin);
      }
    }
    auto state = std::make_unique<PostgresState>(parsed, retention_ns);
    PostgresState* raw = state.get();
    return {std::move(state), [raw] { return raw->status(); }};
  } catch (const Error& e) {
    throw StoreError(e.what());
  }
}

}  // namespace loupe::store::postgres
