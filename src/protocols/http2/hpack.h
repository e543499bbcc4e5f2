// HPACK (RFC 7541): the decoder of one direction of one HTTP/2 connection.
//
// Written for a passive observer rather than taken from a library (libnghttp2's
// inflater stops at the first reference it cannot resolve): a connection that
// predates the capture, or a header block lost to a capture gap, leaves the
// dynamic table partly unknown. Fields that reference an unknown entry are
// then reported as unknown, never guessed, while static-table and literal
// fields still decode. Memory is bounded: the table never exceeds
// Limits::max_table_bytes and a block never yields more than
// Limits::max_list_bytes of fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::http2 {

struct HeaderField {
  std::string name;
  std::string value;
  // False when the field names a dynamic-table entry the decoder never saw
  // inserted; name and value are then empty.
  bool known = true;
};

class HpackDecoder {
 public:
  struct Limits {
    // Table bytes (RFC 7541 4.1 sizes) kept at most, whatever the peers
    // negotiate; entries beyond are dropped and become unknown.
    size_t max_table_bytes = 64 * 1024;
    // Bytes of fields (name + value + 32 each) one block yields at most;
    // further fields are still decoded for the table but not returned.
    size_t max_list_bytes = 64 * 1024;
  };

  // `from_start`: the decoder sees the connection's first header block, so
  // the dynamic table starts empty and known. False when capture joined a
  // running connection.
  explicit HpackDecoder(bool from_start, Limits limits);
  explicit HpackDecoder(bool from_start) : HpackDecoder(from_start, Limits{}) {}

  enum class Result : uint8_t {
    Ok,         // every field decoded (some may be unknown)
    Truncated,  // decoded, but fields beyond max_list_bytes were not returned
    Malformed,  // not HPACK: the fields before the error are returned
  };

  // Decodes one complete header block (a HEADERS or PUSH_PROMISE fragment
  // with its CONTINUATIONs), appending its fields to `out`. A malformed
  // block makes the table unknown, like a lost one.
  Result decode(std::string_view block, std::vector<HeaderField>& out);

  // A header block of this direction was not seen whole (a capture gap):
  // the insertions it made are unknown, so is every entry before them.
  void lose_block();

  // True while every entry the encoder may reference is known.
  bool in_sync() const { return !older_unknown_; }
  // Times the table went from known to unknown (loss or malformed block).
  uint64_t desyncs() const { return desyncs_; }
  // Entries held in the dynamic table, and their RFC 7541 4.1 size.
  size_t table_entries() const { return table_.size(); }
  size_t table_size() const { return table_bytes_; }
  size_t memory_bytes() const;

 private:
  struct Entry {
    std::string name;
    std::string value;
    bool known = true;
    size_t size = 0;  // RFC 7541 4.1 size; a lower bound for unknown names
  };

  bool decode_field(std::string_view& in, std::vector<HeaderField>& out, size_t& list_bytes,
                    bool& truncated);
  bool lookup(uint64_t index, HeaderField& field) const;
  void insert(const HeaderField& field);
  void evict_to(size_t bytes);
  void become_unknown();

  Limits limits_;
  std::deque<Entry> table_;  // newest first: dynamic index 62 is table_[0]
  size_t table_bytes_ = 0;
  size_t max_size_ = 4096;      // set by the encoder's size updates
  bool older_unknown_ = false;  // entries past the end of table_ may exist
  uint64_t desyncs_ = 0;
};

}  // namespace loupe::http2
