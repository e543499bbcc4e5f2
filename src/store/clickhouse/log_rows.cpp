#include "store/clickhouse/log_rows.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <vector>

#include "store/clickhouse/answer.h"
#include "store/clickhouse/tables.h"
#include "store/store.h"

namespace loupe::store::clickhouse {
namespace {

using LogKey = std::tuple<std::string, std::string, uint64_t>;  // node, source, offset

struct ParsedRow {
  size_t begin = 0, end = 0;  // its bytes in the body
  uint64_t time_ns = 0;
  LogKey key;
};

// Reads one encode_log_row row; false at the end or on a damaged row.
bool next_row(RowBinaryReader& in, ParsedRow& row) {
  if (in.at_end()) return false;
  row.begin = in.pos();
  in.fixed(8);  // id
  row.time_ns = in.fixed(8);
  std::string node = in.string(), source = in.string();
  for (int i = 0; i < 6; ++i) in.string();  // file, namespace, pod, container, workload, pod_uid
  uint64_t pos = in.fixed(8);
  in.fixed(1);  // level
  in.fixed(1);  // stream
  in.fixed(1);  // truncated
  in.fixed(4);  // pattern
  in.string();  // text
  if (!in.ok()) throw StoreError("a spooled write holds log rows that cannot be read");
  row.end = in.pos();
  row.key = {std::move(node), std::move(source), pos};
  return true;
}

}  // namespace

void encode_log_row(RowBinaryWriter& out, uint64_t id, const logs::Entry& e) {
  out.uint64(id);
  out.uint64(e.time_ns);
  for (const std::string* f :
       {&e.node, &e.source, &e.file, &e.namespace_, &e.pod, &e.container, &e.workload, &e.pod_uid})
    out.string(*f);
  out.uint64(e.offset);
  out.uint8(static_cast<uint8_t>(e.level));
  out.uint8(static_cast<uint8_t>(e.stream));
  out.boolean(e.truncated);
  out.uint32(e.pattern);
  out.string(e.text);
}

std::string without_stored_logs(Client& client, std::string_view rows) {
  std::vector<ParsedRow> parsed;
  RowBinaryReader in(rows);
  for (ParsedRow row; next_row(in, row);) parsed.push_back(std::move(row));
  if (parsed.empty()) return {};
  std::set<std::string> nodes;
  uint64_t lo = parsed.front().time_ns, hi = lo;
  for (const ParsedRow& r : parsed) {
    nodes.insert(std::get<0>(r.key));
    lo = std::min(lo, r.time_ns);
    hi = std::max(hi, r.time_ns);
  }
  std::string node_list;
  for (const std::string& n : nodes)
    node_list += (node_list.empty() ? "" : ", ") + quote_literal(n);
  std::set<LogKey> held;
  for (auto& r : client.select("SELECT node, source, pos FROM " + std::string(kLogsTable) +
                                   " WHERE time_ns >= " + std::to_string(lo) + " AND time_ns <= " +
                                   std::to_string(hi) + " AND node IN (" + node_list + ")",
                               3))
    held.emplace(std::move(r[0]), std::move(r[1]), parse_uint(r[2]));
  std::string out;
  out.reserve(rows.size());
  for (const ParsedRow& r : parsed)
    if (held.insert(r.key).second) out.append(rows.substr(r.begin, r.end - r.begin));
  return out;
}

}  // namespace loupe::store::clickhouse
