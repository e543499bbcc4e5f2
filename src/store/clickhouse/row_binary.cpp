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

}  // namespace loupe::store::clickhouse
