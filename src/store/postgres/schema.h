// The state tables in PostgreSQL and their versions. migrate() (loupe
// server --state URL --migrate) creates or upgrades them; check() is what
// every server runs on start, refusing a database without Loupe's schema
// or with another version's, with one line saying what to do.
//
//   loupe_schema(version, description, loupe_version, applied_at)
//   loupe_alert_state(key, alert)           one row per tracked alert (JSON)
//   loupe_silences(id, silence)             every silence (JSON)
//   loupe_k8s_snapshots(id, received_ns, collector, body)
//   loupe_k8s_changes(id, snapshot_id, received_ns, body)
//   loupe_held_batches(id, arrived_ns, owner, records)
#pragma once

#include "store/postgres/client.h"

namespace loupe::store::postgres {

constexpr int kSchemaVersion = 1;
// Advisory lock space of Loupe's locks (pg_advisory_lock(kLockSpace, n)):
// n = 0 migration, 1 alert state writes, 2 the alert engine's leader,
// n >= 1000: a running server's presence (state_store.cpp).
constexpr int kLockSpace = 0x4c6f7570;  // "Loup"

struct MigrateResult {
  int from_version = 0, to_version = 0;
};

// In one transaction, under an advisory lock, so replicas started together
// with --migrate apply each migration once. Refuses a newer schema.
MigrateResult migrate(Client& client);
// Throws Error(Kind::Schema) unless the database is at kSchemaVersion.
void check(Client& client);

}  // namespace loupe::store::postgres
