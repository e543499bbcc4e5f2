#include "server/pprof.h"

#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/gzip.h"

namespace loupe::server {
namespace {

// Protocol buffers' wire format, the few pieces a Profile needs.
class ProtoWriter {
 public:
  void varint(uint32_t field, uint64_t v) {
    if (v == 0) return;  // proto3: a zero scalar is not written
    key(field, 0);
    raw_varint(v);
  }
  void bytes(uint32_t field, std::string_view s) {
    key(field, 2);
    raw_varint(s.size());
    out_.append(s);
  }
  void message(uint32_t field, const ProtoWriter& m) { bytes(field, m.out_); }
  void packed(uint32_t field, const std::vector<uint64_t>& values) {
    ProtoWriter body;
    for (uint64_t v : values) body.raw_varint(v);
    bytes(field, body.out_);
  }
  const std::string& data() const { return out_; }

 private:
  void key(uint32_t field, uint32_t wire_type) { raw_varint(uint64_t{field} << 3 | wire_type); }
  void raw_varint(uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  std::string out_;
};

// Field numbers of profile.proto.
enum ProfileField : uint32_t {
  kSampleType = 1,
  kSample = 2,
  kLocation = 4,
  kFunction = 5,
  kStringTable = 6,
  kTimeNanos = 9,
  kDurationNanos = 10,
};
enum ValueTypeField : uint32_t { kType = 1, kUnit = 2 };
enum SampleField : uint32_t { kLocationId = 1, kValue = 2 };
enum LocationField : uint32_t { kLocationIdField = 1, kLine = 4 };
enum LineField : uint32_t { kFunctionId = 1 };
enum FunctionField : uint32_t { kFunctionIdField = 1, kName = 2, kSystemName = 3 };

}  // namespace

std::string to_pprof(const ProfileStacks& stacks, uint64_t time_ns, uint64_t duration_ns) {
  std::vector<std::string_view> strings{""};  // string_table[0] is ""
  std::unordered_map<std::string_view, uint64_t> string_ids{{"", 0}};
  auto string_id = [&](std::string_view s) {
    auto [it, fresh] = string_ids.try_emplace(s, strings.size());
    if (fresh) strings.push_back(s);
    return it->second;
  };
  // Frame name -> function id, which is also its location id.
  std::unordered_map<std::string_view, uint64_t> frame_ids;
  std::vector<std::string_view> frames;
  ProtoWriter profile;
  ProtoWriter sample_type;
  sample_type.varint(kType, string_id("samples"));
  sample_type.varint(kUnit, string_id("count"));
  profile.message(kSampleType, sample_type);

  std::vector<uint64_t> ids;
  for (const auto& [chain, samples] : stacks.stacks()) {
    ids.clear();
    std::string_view rest = chain;
    while (true) {
      size_t semi = rest.find(';');
      std::string_view frame = rest.substr(0, semi);
      auto [it, fresh] = frame_ids.try_emplace(frame, frames.size() + 1);
      if (fresh) frames.push_back(frame);
      ids.push_back(it->second);
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
    ProtoWriter sample;
    sample.packed(kLocationId, std::vector<uint64_t>(ids.rbegin(), ids.rend()));  // leaf first
    sample.packed(kValue, {samples});
    profile.message(kSample, sample);
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    uint64_t id = i + 1;
    ProtoWriter line;
    line.varint(kFunctionId, id);
    ProtoWriter location;
    location.varint(kLocationIdField, id);
    location.message(kLine, line);
    profile.message(kLocation, location);
    ProtoWriter function;
    function.varint(kFunctionIdField, id);
    uint64_t name = string_id(frames[i]);
    function.varint(kName, name);
    function.varint(kSystemName, name);
    profile.message(kFunction, function);
  }
  for (std::string_view s : strings) profile.bytes(kStringTable, s);
  profile.varint(kTimeNanos, time_ns);
  profile.varint(kDurationNanos, duration_ns);
  return gzip_compress(profile.data());
}

}  // namespace loupe::server
