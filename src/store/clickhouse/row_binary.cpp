#include "store/clickhouse/row_binary.h"

namespace loupe::store::clickhouse {

void RowBinaryWriter::varint(uint64_t v) {
  while (v >= 0x80) {
    out_ += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out_ += static_cast<char>(v);
}

void RowBinaryWriter::string(std::string_view s) {
  varint(s.size());
  out_.append(s);
}

uint64_t RowBinaryReader::fixed(int width) {
  if (!ok_ || in_.size() - pos_ < static_cast<size_t>(width)) {
    ok_ = false;
    return 0;
  }
  uint64_t v = 0;
  for (int i = 0; i < width; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
  pos_ += width;
  return v;
}

uint64_t RowBinaryReader::varint() {
  uint64_t v = 0;
  for (int shift = 0; ok_ && shift < 64; shift += 7) {
    if (pos_ >= in_.size()) break;
    auto byte = static_cast<uint8_t>(in_[pos_++]);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return v;
  }
  ok_ = false;
  return 0;
}

std::string RowBinaryReader::string() {
  uint64_t n = varint();
  if (!ok_ || in_.size() - pos_ < n) {
    ok_ = false;
    return {};
  }
  std::string s(in_.substr(pos_, n));
  pos_ += n;
  return s;
}

}  // namespace loupe::store::clickhouse
