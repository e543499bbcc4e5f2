#include "server/ingest_decode.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/batch_codec.h"
#include "core/record_json.h"
#include "core/record_limits.h"
#include "core/utf8.h"

namespace loupe::server {
namespace {

using nlohmann::json;

bool time_ok(const Record& r, const IngestLimits& limits, uint64_t now_ns) {
  uint64_t oldest = limits.retention_ns && now_ns > limits.retention_ns
                        ? now_ns - limits.retention_ns
                        : 1;  // 0 is "no time", never a real record
  uint64_t newest = now_ns + limits.max_future_ns;
  return r.start_ns >= oldest && r.start_ns <= newest && r.end_ns >= r.start_ns &&
         r.end_ns <= newest;
}

// Decodes one list element with `decode`, naming it when it does not fit.
template <typename F>
auto decode_item(F decode, const json& item, std::string_view list, size_t index) {
  try {
    return decode(item);
  } catch (const json::exception& e) {
    throw ParamError(std::string(list) + "[" + std::to_string(index) + "]",
                     std::string("bad element: ") + e.what());
  }
}

// Counts the record in `out.rejected` when it may not be stored.
bool keep_record(const Record& r, const IngestLimits& limits, uint64_t now_ns, DecodedBatch& out) {
  if (oversize_field(r)) {
    ++out.rejected.oversize_field;
    return false;
  }
  if (!time_ok(r, limits, now_ns)) {
    ++out.rejected.bad_time;
    return false;
  }
  return true;
}

std::string agent_id_rule() {
  return "\"batch\" must be {\"agent\": a string of 1 to " + std::to_string(kMaxAgentIdBytes) +
         " bytes, \"seq\": an unsigned integer}";
}

}  // namespace

DecodedBatch decode_ingest_body(std::string_view body, const IngestLimits& limits, uint64_t now_ns,
                                std::vector<Record> into) {
  DecodedBatch out{.records = std::move(into)};
  out.records.clear();
  // Room for the records a body of this size usually holds: growing by
  // doubling instead moves every ~800-byte record twice and faults in fresh
  // pages each time, a fifth of the server's ingest CPU. A body of smaller
  // records just grows past it.
  constexpr size_t kTypicalRecordJsonBytes = 256;
  out.records.reserve(std::min(limits.max_records, body.size() / kTypicalRecordJsonBytes + 1));
  const JsonList records{"records", limits.max_records, [&](const json& item, size_t i) {
                           Record r = decode_item(record_from_json, item, "records", i);
                           // JSON text is valid UTF-8 (the parser rejects anything
                           // else), so only the lengths and times need checking.
                           if (keep_record(r, limits, now_ns, out))
                             out.records.push_back(std::move(r));
                         }};
  json j = parse_json_lists(body, {&records, 1});
  if (!j.contains("records"))
    throw ParamError("records", "body must be an object with a \"records\" array");
  out.key = decode_batch_key(j);
  return out;
}

std::optional<BatchKey> decode_batch_key(const json& body) {
  auto b = body.find("batch");
  if (b == body.end()) return std::nullopt;
  const json& agent = b->is_object() ? b->value("agent", json()) : json();
  const json& seq = b->is_object() ? b->value("seq", json()) : json();
  if (!agent.is_string() || agent.get_ref<const std::string&>().empty() ||
      agent.get_ref<const std::string&>().size() > kMaxAgentIdBytes || !seq.is_number_unsigned())
    throw ParamError("batch", agent_id_rule());
  return BatchKey{agent.get<std::string>(), seq.get<uint64_t>()};
}

bool is_batch_codec_body(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return std::equal(type.begin(), type.end(), kBatchMediaType.begin(), kBatchMediaType.end(),
                    [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
}

DecodedBatch decode_ingest_batch_codec(std::string_view body, const IngestLimits& limits,
                                       uint64_t now_ns, std::vector<Record> into) {
  BatchDecodeError error;
  auto batch = decode_batch(
      body, &error,
      {.max_decoded_bytes = limits.max_decoded_bytes, .max_records = limits.max_records},
      std::move(into));
  if (!batch) {
    using Kind = BatchDecodeError::Kind;
    const std::string what =
        "the " + std::string(kBatchMediaType) + " body does not decode: " + error.why;
    if (error.kind == Kind::UnknownVersion)
      throw UnsupportedBatchVersion("body", what + "; send JSON (application/json) instead");
    if (error.kind == Kind::TooManyRecords) throw BatchTooLarge("records", limits.max_records);
    if (error.kind == Kind::TooLarge)
      throw BodyTooLarge("body", "the body is larger than " +
                                     std::to_string(limits.max_decoded_bytes >> 20) +
                                     " MiB once decompressed");
    throw ParamError("body", what);
  }
  BatchKey& key = batch->key;
  if (key.agent.empty() || key.agent.size() > kMaxAgentIdBytes || !utf8::is_valid(key.agent))
    throw ParamError("batch", agent_id_rule());
  DecodedBatch out{.records = std::move(batch->records), .key = std::move(key)};
  // Kept records are moved down over rejected ones, in place.
  size_t kept = 0;
  for (Record& r : out.records) {
    // Made valid, not cut (keep_record rejects what is past a limit).
    for (const TextField& f : record_text_fields()) {
      if (utf8::is_valid(text_of(r, f))) continue;
      std::string text(text_of(r, f));
      utf8::make_valid(text);
      set_text(r, f, text);
    }
    if (!keep_record(r, limits, now_ns, out)) continue;
    if (&out.records[kept] != &r) out.records[kept] = std::move(r);
    ++kept;
  }
  out.records.resize(kept);
  return out;
}

MetricIngest decode_metric_ingest(std::string_view body) {
  MetricIngest out;
  const JsonList lists[] = {
      {"samples", kMaxMetricItems,
       [&](const json& item, size_t i) {
         out.samples.push_back(decode_item(metric_sample_from_json, item, "samples", i));
       }},
      {"oom_kills", kMaxMetricItems,
       [&](const json& item, size_t i) {
         out.oom_kills.push_back(decode_item(oom_kill_from_json, item, "oom_kills", i));
       }},
  };
  parse_json_lists(body, lists);
  return out;
}

std::vector<logs::Entry> decode_log_ingest(std::string_view body, size_t max_entries) {
  std::vector<logs::Entry> entries;
  constexpr size_t kMaxName = 1024;
  const JsonList list{"entries", max_entries, [&](const json& item, size_t i) {
                        logs::Entry e = decode_item(logs::entry_from_json, item, "entries", i);
                        if (e.source.empty())
                          throw ParamError("entries[" + std::to_string(i) + "]",
                                           "an entry needs a source");
                        utf8::make_valid(e.text, logs::kMaxEntryBytes);
                        for (std::string* f : {&e.source, &e.file, &e.node, &e.namespace_, &e.pod,
                                               &e.container, &e.workload, &e.pod_uid})
                          utf8::make_valid(*f, kMaxName);
                        entries.push_back(std::move(e));
                      }};
  parse_json_lists(body, {&list, 1});
  return entries;
}

}  // namespace loupe::server
