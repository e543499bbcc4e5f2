// ClickHouse's RowBinary input format: each row is its columns' values back
// to back, in the column order of the INSERT, with no delimiters.
// Integers are little-endian of the column's width, Float64 its IEEE 754
// bits likewise; String is its length as
// an unsigned LEB128 varint followed by the bytes; Date is UInt16 days and
// DateTime UInt32 seconds since the epoch. (Format described in ClickHouse's
// "Formats" documentation; 18.16 reads it as current releases do.)
//
// The writer appends to one growing buffer, so a batch of rows is one
// allocation-amortised string ready to be the body of an INSERT.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace loupe::store::clickhouse {

class RowBinaryWriter {
 public:
  void uint8(uint8_t v) { out_ += static_cast<char>(v); }
  void uint16(uint16_t v) { little_endian(v, 2); }
  void uint32(uint32_t v) { little_endian(v, 4); }
  void uint64(uint64_t v) { little_endian(v, 8); }
  void int32(int32_t v) { little_endian(static_cast<uint32_t>(v), 4); }
  void int64(int64_t v) { little_endian(static_cast<uint64_t>(v), 8); }
  void boolean(bool v) { uint8(v ? 1 : 0); }
  void float64(double v) { little_endian(std::bit_cast<uint64_t>(v), 8); }
  void string(std::string_view s);
  // The LEB128 length prefix on its own (also used by string()).
  void varint(uint64_t v);

  const std::string& bytes() const { return out_; }
  size_t size() const { return out_.size(); }
  void clear() { out_.clear(); }
  // Hands over the buffer, leaving the writer empty.
  std::string take() { return std::move(out_); }

 private:
  void little_endian(uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  std::string out_;
};

// Reads what RowBinaryWriter wrote (the spool's files, log rows filtered
// before a replay); any short or malformed field clears ok().
class RowBinaryReader {
 public:
  explicit RowBinaryReader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  size_t pos() const { return pos_; }
  bool expect(std::string_view text) {
    if (!ok_ || in_.substr(pos_, text.size()) != text) return ok_ = false;
    pos_ += text.size();
    return true;
  }
  uint64_t fixed(int width);
  uint64_t varint();
  std::string string();

 private:
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace loupe::store::clickhouse
