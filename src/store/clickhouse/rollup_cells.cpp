#include "store/clickhouse/rollup_cells.h"

#include <map>
#include <tuple>

#include "store/clickhouse/row_binary.h"
#include "store/clickhouse/tables.h"
#include "store/rollup.h"

namespace loupe::store::clickhouse {
namespace {

constexpr std::string_view kCellColumns = "requests, errors, sum_ns, sketch, write_id";

void encode_cell(RowBinaryWriter& out, const RollupCell& cell, uint64_t write_id) {
  out.uint64(cell.count);
  out.uint64(cell.errors);
  out.uint64(cell.sum_ns);
  out.string(cell.sketch.serialize());
  out.uint64(write_id);
}

uint32_t minute_s(const Record& r) { return static_cast<uint32_t>(minute_of(r.start_ns)); }

// (minute, a, b, protocol) -> kinds and cell: an edge or a workload's pod.
struct PairCell {
  std::string_view a_kind, b_kind;  // the last row's (as the embedded store keeps them)
  RollupCell cell;
};
using PairKey = std::tuple<uint32_t, std::string_view, std::string_view, Protocol>;

std::string encode_pairs(const std::map<PairKey, PairCell>& pairs, uint64_t write_id) {
  RowBinaryWriter out;
  for (const auto& [key, pair] : pairs) {
    out.uint32(std::get<0>(key));
    out.string(std::get<1>(key));
    out.string(pair.a_kind);
    out.string(std::get<2>(key));
    out.string(pair.b_kind);
    out.uint8(static_cast<uint8_t>(std::get<3>(key)));
    encode_cell(out, pair.cell, write_id);
  }
  return out.take();
}

std::string pair_target(std::string_view table) {
  return std::string(table) + " (minute, a, a_kind, b, b_kind, protocol, " +
         std::string(kCellColumns) + ")";
}

}  // namespace

RollupBodies encode_rollups(const ResolvedBatch& batch, uint64_t write_id) {
  using MinuteKey =
      std::tuple<uint32_t, std::string_view, std::string_view, std::string_view, Protocol,
                 bool>;  // minute, service, route, method, protocol, counted
  std::map<MinuteKey, RollupCell> minutes;
  std::map<PairKey, PairCell> edges, pods;
  for (const ResolvedRecord& row : batch.rows) {
    const Record& r = batch.records[row.index];
    const ServiceIdentity& id = *row.service;
    const CallerIdentity& caller = *row.caller;
    minutes[{minute_s(r), id.name, row.route, r.method, r.protocol, id.counted}].add(r);
    if (caller.counted) {
      PairCell& edge = edges[{minute_s(r), caller.name, id.name, r.protocol}];
      edge.a_kind = caller.kind;
      edge.b_kind = id.kind;
      edge.cell.add(r);
    }
    if (row.workload_served) {
      PairCell& pod = pods[{minute_s(r), id.name, row.pod, r.protocol}];
      pod.a_kind = id.kind;
      pod.b_kind = "pod";
      pod.cell.add(r);
    }
  }
  RowBinaryWriter out;
  for (const auto& [key, cell] : minutes) {
    const auto& [minute, service, route, method, protocol, counted] = key;
    out.uint32(minute);
    out.string(service);
    out.string(route);
    out.string(method);
    out.uint8(static_cast<uint8_t>(protocol));
    out.boolean(counted);
    encode_cell(out, cell, write_id);
  }
  return {out.take(), encode_pairs(edges, write_id), encode_pairs(pods, write_id)};
}

std::string record_minute_target() {
  return std::string(kRecordMinuteTable) + " (minute, service, route, method, protocol, counted, " +
         std::string(kCellColumns) + ")";
}
std::string edge_minute_target() { return pair_target(kEdgeMinuteTable); }
std::string pod_minute_target() { return pair_target(kPodMinuteTable); }

}  // namespace loupe::store::clickhouse
