#include "store/clickhouse/clickhouse_store.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "store/clickhouse/compaction.h"
#include "store/clickhouse/prepared_write.h"
#include "store/clickhouse/record_rows.h"
#include "store/clickhouse/retention.h"
#include "store/clickhouse/rollup_cells.h"
#include "store/clickhouse/schema.h"
#include "store/clickhouse/shard_writes.h"
#include "store/clickhouse/store_schema.h"
#include "store/clickhouse/tables.h"
#include "store/query_window.h"

namespace loupe::store::clickhouse {
namespace {

uint64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since)
          .count());
}

}  // namespace

std::string batch_id_of(const BatchKey& key) {
  return "agent " + key.agent + " " + std::to_string(key.seq);
}

ClickHouseStore::ClickHouseStore(const Url& url, StoreOptions options, SpoolOptions spool,
                                 ClientOptions client)
    : pool_(url, client), client_options_(client), options_(options), rng_(std::random_device{}()) {
  auto c = pool_.borrow();
  Version version = c->server_version();
  check(*c);
  if (!url.cluster.empty()) {
    cluster_ = read_cluster(*c);
    status_.cluster = url.cluster + " (" + std::to_string(cluster_->hosts.size()) + " hosts" +
                      (cluster_->replicated ? ", Replicated tables)" : ")");
    shard_writes_ = std::make_unique<ShardWrites>(*cluster_, client);
  }
  version_ = version.to_string();
  features_ = to_string(features_of(version));
  status_.url = url.to_string();
  status_.version = version_;
  status_.features = features_;
  status_.schema_version = schema_version();
  if (!spool.dir.empty())
    spool_ = std::make_unique<SpooledWriter>(
        pool_, spool,
        SpooledWriter::Events{[this](uint64_t records, uint64_t ns) { stored(records, ns); },
                              [this](const std::string& error) { failed(error); }},
        shard_writes_.get());
}

ClickHouseStore::~ClickHouseStore() = default;

uint64_t ClickHouseStore::next_prefix() {
  std::lock_guard lock(rng_mu_);
  return rng_() >> (64 - 63 + kIndexBits);  // 43 bits: ids stay positive int64
}

void ClickHouseStore::write_batch(const ResolvedBatch& batch, IngestBookkeeping* book) {
  if (book && (!book->hold.empty() || !book->released.empty()))
    throw StoreError("the ClickHouse store keeps no held batches (the embedded store does)");
  bool keys = book && !book->batches.empty();
  if (batch.rows.empty() && batch.new_services.empty() && !keys) return;
  if (batch.rows.size() > kMaxRowsPerWrite)
    throw StoreError("a write of " + std::to_string(batch.rows.size()) +
                     " records to ClickHouse (at most " + std::to_string(kMaxRowsPerWrite) + ")");
  store_write(prepare_write(batch, book ? &book->batches : nullptr, next_prefix()));
}

void ClickHouseStore::store_write(const PreparedWrite& write) {
  if (spool_) {
    spool_->write(write);
    return;
  }
  auto started = std::chrono::steady_clock::now();
  try {
    with_client([&](Client& c) { return send_write(c, write, false, shard_writes_.get()); });
  } catch (const StoreError& e) {
    failed(e.what());
    throw;
  }
  stored(write.records, elapsed_ns(started));
}

void ClickHouseStore::stored(uint64_t records, uint64_t ns) {
  std::lock_guard lock(status_mu_);
  ++status_.writes;
  status_.rows_written += records;
  status_.write_ns_last = ns;
  status_.write_ns_total += ns;
}

void ClickHouseStore::failed(const std::string& error) {
  std::lock_guard lock(status_mu_);
  ++status_.write_errors;
  status_.last_error = error;
}

bool ClickHouseStore::drain_spool(std::chrono::milliseconds timeout) {
  return !spool_ || spool_->drain(timeout);
}

ResolverSeed ClickHouseStore::resolver_seed() {
  return with_client([](Client& c) {
    ResolverSeed seed;
    for (auto& row : c.select("SELECT name, any(kind), port, any(ip) FROM " +
                                  std::string(kServicesTable) + " GROUP BY name, port",
                              4))
      seed.services.push_back({row[0], row[1], static_cast<uint16_t>(parse_uint(row[2])), row[3]});
    for (auto& row :
         c.select("SELECT DISTINCT service, route FROM " + std::string(kRecordMinuteTable) +
                      " WHERE span = " + std::to_string(kMinuteSpan),
                  2))
      seed.routes.emplace_back(row[0], row[1]);
    return seed;
  });
}

bool ClickHouseStore::has_batch(const BatchKey& key) {
  std::string id = batch_id_of(key);
  // Spooled: acknowledged, and stored once ClickHouse takes the spool.
  if (spool_ && spool_->holds_batch(id)) return true;
  try {
    return with_client([&id](Client& c) {
      auto rows = c.select("SELECT count() FROM " + std::string(kBatchesTable) +
                               " WHERE batch_id = " + quote_literal(id) + " AND state = 2",
                           1);
      return !rows.empty() && parse_uint(rows[0][0]) > 0;
    });
  } catch (const StoreError&) {
    // ClickHouse is down: the batch goes to the spool, whose replay skips
    // a write whose batches are all stored already (prepared_write.h).
    if (spool_) return false;
    throw;
  }
}

void ClickHouseStore::write_losses(const std::vector<LossMinute>& losses) {
  if (losses.empty()) return;
  // Summed when read, so written as records are: through the spool (a
  // server killed while ClickHouse is down keeps them), one part per UTC
  // hour with the write id (schema version 11), resumed without doubling.
  const uint64_t write_id = next_prefix();
  std::map<uint32_t, RowBinaryWriter> hours;
  for (const LossMinute& m : losses) {
    RowBinaryWriter& out = hours[static_cast<uint32_t>(m.minute_s / 3600)];
    out.uint32(static_cast<uint32_t>(m.minute_s));
    out.uint64(m.records);
    out.uint64(m.events);
    out.uint64(write_id);
  }
  std::map<uint32_t, std::string> bodies;
  for (auto& [hour, out] : hours) bodies.emplace(hour, out.take());
  store_write(hourly_write(write_id, kLossesTable, "minute, records, events, write_id",
                           std::move(bodies), losses.size()));
}

std::vector<LossMinute> ClickHouseStore::losses(const TimeRange& range) {
  // Built before the lambda: clang 14 (the fuzz build) cannot capture the
  // names a structured binding declares.
  auto [from_m, to_m] = minute_bounds(range);
  std::string sql = "SELECT toUInt32(minute), sum(records), sum(events) FROM " +
                    std::string(kLossesTable) + " WHERE minute >= toDateTime(" +
                    std::to_string(from_m) + ") AND minute < toDateTime(" + std::to_string(to_m) +
                    ") GROUP BY minute ORDER BY minute";
  return with_client([&sql](Client& c) {
    std::vector<LossMinute> out;
    for (auto& row : c.select(sql, 3))
      out.push_back({parse_uint(row[0]), parse_uint(row[1]), parse_uint(row[2])});
    return out;
  });
}

void ClickHouseStore::for_each_shard(const std::function<void(Client&, bool local)>& fn) {
  if (!cluster_) {
    with_client([&fn](Client& c) {
      fn(c, false);
      return 0;
    });
    return;
  }
  try {
    for_hosts(
        *cluster_, pool_.url(), Hosts::OnePerShard, [&fn](Client& c) { fn(c, true); },
        client_options_);
  } catch (const Error& e) {
    throw StoreError(e.what());
  }
}

StoreStats ClickHouseStore::stats() {
  try {
    StoreStats now;
    for_each_shard([&now](Client& c, bool local) {
      std::string records = local ? local_table(kRecordsTable) : std::string(kRecordsTable);
      std::string logs = local ? local_table(kLogsTable) : std::string(kLogsTable);
      auto rows = c.select("SELECT sumIf(rows, table = " + quote_literal(records) +
                               "), sumIf(rows, table = " + quote_literal(logs) +
                               "), sum(bytes) FROM system.parts WHERE active AND database = " +
                               quote_literal(c.url().database),
                           3);
      if (!rows.empty()) {
        now.records_stored += parse_uint(rows[0][0]);
        now.logs_stored += parse_uint(rows[0][1]);
        now.store_size_bytes += parse_uint(rows[0][2]);
      }
    });
    std::lock_guard lock(status_mu_);
    last_stats_ = now;
  } catch (const StoreError&) {
    // ClickHouse is down: /api/v1/status still answers (with the spool's
    // state), showing the last sizes known.
    if (!spool_) throw;
  }
  std::lock_guard lock(status_mu_);
  StoreStats st = last_stats_;
  st.metric_samples_skipped = metric_samples_skipped_.load();
  return st;
}

uint64_t ClickHouseStore::enforce_retention(uint64_t now_ns) {
  // As the embedded store: raw metric samples after their own (shorter)
  // retention even when the rest is kept for ever.
  uint64_t raw_retention = options_.metrics_raw_retention_ns;
  if (options_.retention_ns) raw_retention = std::min(raw_retention, options_.retention_ns);
  if (now_ns > raw_retention)
    metric_raw_cutoff_s_ = static_cast<int64_t>((now_ns - raw_retention) / 1'000'000'000ULL);
  const uint64_t grace_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(kCompactionGrace).count();
  const bool retain = options_.retention_ns != 0 && now_ns > options_.retention_ns;
  if (retain) retention_cutoff_ns_ = now_ns - options_.retention_ns;
  bool routes_dropped = false;
  CompactionResult folded;
  for_each_shard([&](Client& c, bool local) {
    if (now_ns > grace_ns) {
      CompactionResult r = compact_rollups(c, now_ns - grace_ns, local);
      folded.hours += r.hours;
      folded.rows_before += r.rows_before;
      folded.rows_after += r.rows_after;
    }
    if (!retain) return;
    for (const DroppedPartition& p :
         drop_partitions_before(c, now_ns - options_.retention_ns, local))
      if (p.table == kRecordMinuteTable || p.table == local_table(kRecordMinuteTable))
        routes_dropped = true;
  });
  if (routes_dropped) ++seed_generation_;  // routes of that day are forgotten
  std::lock_guard lock(status_mu_);
  status_.compacted_hours += folded.hours;
  status_.compacted_rows_before += folded.rows_before;
  status_.compacted_rows_after += folded.rows_after;
  return 0;
}

ClickHouseStatus ClickHouseStore::status() {
  std::optional<SpoolStatus> spool;
  if (spool_) spool = spool_->status();
  std::lock_guard lock(status_mu_);
  ClickHouseStatus s = status_;
  s.spool = std::move(spool);
  return s;
}

}  // namespace loupe::store::clickhouse
