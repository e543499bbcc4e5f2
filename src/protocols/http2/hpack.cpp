#include "protocols/http2/hpack.h"

#include <algorithm>
#include <array>
#include <utility>

#include "protocols/http2/huffman.h"

namespace loupe::http2 {
namespace {

struct StaticEntry {
  std::string_view name;
  std::string_view value;
};

// RFC 7541 appendix A; index 1 is kStaticTable[0].
constexpr std::array<StaticEntry, 61> kStaticTable{{
    {":authority", ""},
    {":method", "GET"},
    {":method", "POST"},
    {":path", "/"},
    {":path", "/index.html"},
    {":scheme", "http"},
    {":scheme", "https"},
    {":status", "200"},
    {":status", "204"},
    {":status", "206"},
    {":status", "304"},
    {":status", "400"},
    {":status", "404"},
    {":status", "500"},
    {"accept-charset", ""},
    {"accept-encoding", "gzip, deflate"},
    {"accept-language", ""},
    {"accept-ranges", ""},
    {"accept", ""},
    {"access-control-allow-origin", ""},
    {"age", ""},
    {"allow", ""},
    {"authorization", ""},
    {"cache-control", ""},
    {"content-disposition", ""},
    {"content-encoding", ""},
    {"content-language", ""},
    {"content-length", ""},
    {"content-location", ""},
    {"content-range", ""},
    {"content-type", ""},
    {"cookie", ""},
    {"date", ""},
    {"etag", ""},
    {"expect", ""},
    {"expires", ""},
    {"from", ""},
    {"host", ""},
    {"if-match", ""},
    {"if-modified-since", ""},
    {"if-none-match", ""},
    {"if-range", ""},
    {"if-unmodified-since", ""},
    {"last-modified", ""},
    {"link", ""},
    {"location", ""},
    {"max-forwards", ""},
    {"proxy-authenticate", ""},
    {"proxy-authorization", ""},
    {"range", ""},
    {"referer", ""},
    {"refresh", ""},
    {"retry-after", ""},
    {"server", ""},
    {"set-cookie", ""},
    {"strict-transport-security", ""},
    {"transfer-encoding", ""},
    {"user-agent", ""},
    {"vary", ""},
    {"via", ""},
    {"www-authenticate", ""},
}};

constexpr size_t kEntryOverhead = 32;  // RFC 7541 4.1
// Integers beyond this are not sizes, lengths or indexes any peer uses.
constexpr uint64_t kMaxInteger = (uint64_t{1} << 32) - 1;

// RFC 7541 5.1: an integer with an N-bit prefix in the first byte of `in`.
bool read_integer(std::string_view& in, int prefix_bits, uint64_t& value) {
  if (in.empty()) return false;
  const uint64_t max_prefix = (uint64_t{1} << prefix_bits) - 1;
  value = static_cast<uint8_t>(in[0]) & max_prefix;
  in.remove_prefix(1);
  if (value < max_prefix) return true;
  for (int shift = 0; !in.empty() && shift <= 28; shift += 7) {
    const uint8_t b = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    value += uint64_t{b & 0x7fu} << shift;
    if (value > kMaxInteger) return false;
    if ((b & 0x80) == 0) return true;
  }
  return false;  // the block ended inside the integer, or it has too many bytes
}

// RFC 7541 5.2: a string literal, Huffman-coded or raw.
bool read_string(std::string_view& in, std::string& out) {
  if (in.empty()) return false;
  const bool huffman = (static_cast<uint8_t>(in[0]) & 0x80) != 0;
  uint64_t len = 0;
  if (!read_integer(in, 7, len) || len > in.size()) return false;
  std::string_view raw = in.substr(0, len);
  in.remove_prefix(len);
  if (!huffman) {
    out.assign(raw);
    return true;
  }
  out.clear();
  return huffman_decode(raw, out);
}

size_t field_size(const HeaderField& f) { return f.name.size() + f.value.size() + kEntryOverhead; }

}  // namespace

HpackDecoder::HpackDecoder(bool from_start, Limits limits)
    : limits_(limits), older_unknown_(!from_start) {}

HpackDecoder::Result HpackDecoder::decode(std::string_view block, std::vector<HeaderField>& out) {
  size_t list_bytes = 0;
  bool truncated = false;
  while (!block.empty()) {
    if (!decode_field(block, out, list_bytes, truncated)) {
      if (!older_unknown_) ++desyncs_;
      become_unknown();
      return Result::Malformed;
    }
  }
  return truncated ? Result::Truncated : Result::Ok;
}

bool HpackDecoder::decode_field(std::string_view& in, std::vector<HeaderField>& out,
                                size_t& list_bytes, bool& truncated) {
  const uint8_t first = static_cast<uint8_t>(in[0]);
  uint64_t index = 0;
  HeaderField field;
  bool index_it = false;
  if (first & 0x80) {  // 6.1 indexed field
    if (!read_integer(in, 7, index) || index == 0 || !lookup(index, field)) return false;
  } else if ((first & 0xe0) == 0x20) {  // 6.3 dynamic table size update
    uint64_t size = 0;
    // Not checked against SETTINGS_HEADER_TABLE_SIZE: an observer sees the
    // two directions' frames in an order the peers did not, and a larger
    // size changes only how long entries live.
    if (!read_integer(in, 5, size)) return false;
    max_size_ = size;
    evict_to(max_size_);
    // An empty table is a known table, whatever came before.
    if (max_size_ == 0) older_unknown_ = false;
    return true;
  } else {  // 6.2 literal: with incremental indexing, without, or never indexed
    index_it = (first & 0xc0) == 0x40;
    if (!read_integer(in, index_it ? 6 : 4, index)) return false;
    if (index != 0) {
      if (!lookup(index, field)) return false;
    } else if (!read_string(in, field.name)) {
      return false;
    }
    if (!read_string(in, field.value)) return false;
    if (!field.known) field.name.clear();
  }
  if (index_it) insert(field);
  if (!field.known) field.value.clear();
  list_bytes += field_size(field);
  if (list_bytes > limits_.max_list_bytes) {
    truncated = true;
  } else {
    out.push_back(std::move(field));
  }
  return true;
}

// Resolves an index: the static table, then the dynamic one (newest first).
// Past the entries held, the field is unknown when older entries may exist,
// else the index is an error.
bool HpackDecoder::lookup(uint64_t index, HeaderField& field) const {
  if (index <= kStaticTable.size()) {
    field.name.assign(kStaticTable[index - 1].name);
    field.value.assign(kStaticTable[index - 1].value);
    field.known = true;
    return true;
  }
  const uint64_t dynamic = index - kStaticTable.size() - 1;
  if (dynamic < table_.size()) {
    const Entry& e = table_[dynamic];
    field.name = e.name;
    field.value = e.value;
    field.known = e.known;
    return true;
  }
  field.known = false;
  return older_unknown_;
}

void HpackDecoder::insert(const HeaderField& field) {
  Entry e{field.name, field.value, field.known, field_size(field)};
  // RFC 7541 4.4: an entry larger than the table empties it and is not added.
  // Only a known entry's size is certain; an unknown one's is a lower bound.
  const size_t limit = std::min(max_size_, limits_.max_table_bytes);
  if (e.size > max_size_) {
    evict_to(0);
    return;
  }
  if (e.size > limit) {  // fits the peer's table but not ours
    evict_to(0);
    older_unknown_ = true;
    table_.push_front(Entry{{}, {}, false, 0});
    return;
  }
  evict_to(limit - e.size);
  table_bytes_ += e.size;
  table_.push_front(std::move(e));
}

void HpackDecoder::evict_to(size_t bytes) {
  while (table_bytes_ > bytes && !table_.empty()) {
    table_bytes_ -= table_.back().size;
    table_.pop_back();
    // The peers' table is larger than ours: what we drop may still be used.
    if (max_size_ > limits_.max_table_bytes) older_unknown_ = true;
  }
}

void HpackDecoder::lose_block() {
  if (!older_unknown_) ++desyncs_;
  become_unknown();
}

void HpackDecoder::become_unknown() {
  table_.clear();
  table_bytes_ = 0;
  older_unknown_ = true;
}

size_t HpackDecoder::memory_bytes() const { return table_bytes_ + table_.size() * sizeof(Entry); }

}  // namespace loupe::http2
