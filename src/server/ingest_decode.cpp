#include "server/ingest_decode.h"

#include <nlohmann/json.hpp>

#include "core/record_json.h"
#include "core/record_limits.h"
#include "core/utf8.h"

namespace loupe::server {
namespace {

using nlohmann::json;

// Parses the body, throwing BatchTooLarge as soon as the records array
// holds one record too many (before the rest is materialised).
json parse_bounded(std::string_view body, size_t max_records) {
  bool in_records = false;
  size_t records = 0;
  auto count = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key)
      in_records = parsed.is_string() && parsed.get_ref<const std::string&>() == "records";
    if (in_records && depth == 2 && event == json::parse_event_t::object_start &&
        ++records > max_records)
      throw BatchTooLarge(max_records);
    return true;
  };
  auto j = json::parse(body, count, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ParamError("body", "body is not valid JSON");
  return j;
}

bool time_ok(const Record& r, const IngestLimits& limits, uint64_t now_ns) {
  uint64_t oldest = limits.retention_ns && now_ns > limits.retention_ns
                        ? now_ns - limits.retention_ns
                        : 1;  // 0 is "no time", never a real record
  uint64_t newest = now_ns + limits.max_future_ns;
  return r.start_ns >= oldest && r.start_ns <= newest && r.end_ns >= r.start_ns &&
         r.end_ns <= newest;
}

}  // namespace

DecodedBatch decode_ingest_body(std::string_view body, const IngestLimits& limits,
                                uint64_t now_ns) {
  json j = parse_bounded(body, limits.max_records);
  if (!j.is_object() || !j.contains("records") || !j["records"].is_array())
    throw ParamError("records", "body must be an object with a \"records\" array");
  DecodedBatch out;
  if (auto b = j.find("batch"); b != j.end()) {
    const json& agent = b->is_object() ? b->value("agent", json()) : json();
    const json& seq = b->is_object() ? b->value("seq", json()) : json();
    if (!agent.is_string() || agent.get_ref<const std::string&>().empty() ||
        agent.get_ref<const std::string&>().size() > kMaxAgentIdBytes || !seq.is_number_unsigned())
      throw ParamError("batch", "\"batch\" must be {\"agent\": a string of 1 to " +
                                    std::to_string(kMaxAgentIdBytes) +
                                    " bytes, \"seq\": an unsigned integer}");
    out.key = store::BatchKey{agent.get<std::string>(), seq.get<uint64_t>()};
  }
  const auto& arr = j["records"];
  out.records.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    std::string where = "records[" + std::to_string(i) + "]";
    if (!arr[i].is_object()) throw ParamError(where, "each record must be a JSON object");
    Record r;
    try {
      r = record_from_json(arr[i]);
    } catch (const json::exception& e) {
      throw ParamError(where, std::string("bad record: ") + e.what());
    }
    // JSON text is valid UTF-8 (the parser rejects anything else), so only
    // the lengths and times need checking.
    if (oversize_field(r)) {
      ++out.rejected.oversize_field;
    } else if (!time_ok(r, limits, now_ns)) {
      ++out.rejected.bad_time;
    } else {
      out.records.push_back(std::move(r));
    }
  }
  return out;
}

namespace {

// Decodes body[key], an optional array of objects, with `decode` per element.
template <typename T, typename F>
std::vector<T> decode_array(const nlohmann::json& body, const char* key, F decode) {
  std::vector<T> out;
  auto it = body.find(key);
  if (it == body.end()) return out;
  if (!it->is_array()) throw ParamError(key, std::string("\"") + key + "\" must be an array");
  out.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    std::string where = std::string(key) + "[" + std::to_string(i) + "]";
    if (!(*it)[i].is_object()) throw ParamError(where, "each element must be a JSON object");
    try {
      out.push_back(decode((*it)[i]));
    } catch (const nlohmann::json::exception& e) {
      throw ParamError(where, std::string("bad element: ") + e.what());
    }
  }
  return out;
}

}  // namespace

MetricIngest decode_metric_ingest(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ParamError("body", "body is not valid JSON");
  if (!j.is_object()) throw ParamError("body", "body must be a JSON object");
  return {decode_array<MetricSample>(j, "samples", metric_sample_from_json),
          decode_array<OomKill>(j, "oom_kills", oom_kill_from_json)};
}

std::vector<logs::Entry> decode_log_ingest(std::string_view body, size_t max_entries) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ParamError("body", "body is not valid JSON");
  if (!j.is_object()) throw ParamError("body", "body must be a JSON object");
  if (auto it = j.find("entries"); it != j.end() && it->is_array() && it->size() > max_entries) {
    throw BatchTooLarge(max_entries);
  }
  auto entries = decode_array<logs::Entry>(j, "entries", logs::entry_from_json);
  constexpr size_t kMaxName = 1024;
  for (size_t i = 0; i < entries.size(); ++i) {
    logs::Entry& e = entries[i];
    if (e.source.empty())
      throw ParamError("entries[" + std::to_string(i) + "]", "an entry needs a source");
    utf8::make_valid(e.text, logs::kMaxEntryBytes);
    for (std::string* f : {&e.source, &e.file, &e.node, &e.namespace_, &e.pod, &e.container,
                           &e.workload, &e.pod_uid})
      utf8::make_valid(*f, kMaxName);
  }
  return entries;
}

}  // namespace loupe::server
