// The batch codec's version 1 (core/batch_codec.cpp), written by hand as
// agents wrote it before version 3: tests check that such bodies (from an
// older agent, or an upgraded agent's spool) still decode and are stored.
// Likewise noted records' version 2, as stores wrote their chunks before
// version 4.
#pragma once

#include <zstd.h>

#include <span>
#include <string>
#include <string_view>

#include "core/batch_key.h"
#include "core/record.h"
#include "core/record_limits.h"

namespace loupe::test {

inline void put_varint_v1(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

inline void put_string_v1(std::string& out, std::string_view s) {
  put_varint_v1(out, s.size());
  out += s;
}

// One record in the full layout (versions 1 and 2).
inline void put_record_v1(std::string& raw, const Record& r) {
  put_varint_v1(raw, r.start_ns);
  put_varint_v1(raw, r.end_ns);
  put_string_v1(raw, to_string(r.protocol));
  put_string_v1(raw, to_string(r.role));
  raw += static_cast<char>((r.tls ? 1 : 0) | (r.error ? 2 : 0));
  put_varint_v1(raw, r.pid);
  put_varint_v1(raw, r.tid);
  put_varint_v1(raw, (static_cast<uint64_t>(int64_t{r.status}) << 1) ^
                         static_cast<uint64_t>(int64_t{r.status} >> 63));
  put_varint_v1(raw, r.req_bytes);
  put_varint_v1(raw, r.resp_bytes);
  for (const TextField& f : record_text_fields()) put_string_v1(raw, text_of(r, f));
}

// A version-1 body of `records`, zstd-compressed as the codec does.
inline std::string encode_batch_v1(const BatchKey& key, std::span<const Record> records) {
  std::string raw;
  raw += '\x01';
  put_string_v1(raw, key.agent);
  put_varint_v1(raw, key.seq);
  put_varint_v1(raw, record_text_fields().size());
  for (const TextField& f : record_text_fields()) put_string_v1(raw, f.name);
  put_varint_v1(raw, records.size());
  for (const Record& r : records) put_record_v1(raw, r);
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1));
  return out;
}

// A version-2 noted body: `notes_per_record` notes after each record.
inline std::string encode_noted_v2(std::span<const Record> records,
                                   std::span<const std::string_view> notes,
                                   size_t notes_per_record) {
  std::string raw;
  raw += '\x02';
  put_varint_v1(raw, record_text_fields().size());
  for (const TextField& f : record_text_fields()) put_string_v1(raw, f.name);
  put_varint_v1(raw, notes_per_record);
  put_varint_v1(raw, records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    put_record_v1(raw, records[i]);
    for (size_t k = 0; k < notes_per_record; ++k)
      put_string_v1(raw, notes[i * notes_per_record + k]);
  }
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1));
  return out;
}

}  // namespace loupe::test
