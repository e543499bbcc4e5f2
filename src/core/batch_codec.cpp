#include "core/batch_codec.h"

#include <zstd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "core/burst_yield.h"
#include "core/record_limits.h"
#include "core/same_text.h"

namespace loupe {
namespace {

// Layout before compression (varint: LEB128; string: varint length + bytes):
//   u8 version (3), string agent, varint seq,
//   varint text field count, that many strings (the fields' JSON keys),
//   varint record count, then per record (the compact record layout):
//     varint start_ns, varint zigzag(end_ns - start_ns),
//     u8 protocol (its stable id, core/protocol_ids.h), u8 role,
//     u8 flags (1: tls, 2: error), varint pid, varint tid,
//     varint zigzag(status), varint req_bytes, varint resp_bytes,
//     the presence of each text field, one bit each (field i: bit i % 8 of
//     byte i / 8), then a string per field present, in the order named
//     above (an absent field is empty).
// Version 1, which agents wrote before (and spools may still hold), is the
// same but for its records (the full record layout):
//     varint start_ns, varint end_ns, string protocol, string role,
//     u8 flags (1: tls, 2: error), varint pid, varint tid,
//     varint zigzag(status), varint req_bytes, varint resp_bytes,
//     one string per text field, in the order named above.
// Version 3 is ~20% smaller before compression (an HTTP/1 record: 133 ->
// ~106 bytes), so the agent writes and compresses less: most of a
// record's 21 text fields are empty, and its names took 13 bytes.
// Noted records (encode_noted_records) start with u8 version (6), then the
// same field list, varint notes per record, varint record count, and per
// record (the coded record layout):
//     varint zigzag(start_ns - the last record's start_ns, 0 for the
//     first), varint zigzag(end_ns - start_ns), u8 protocol id,
//     u8 role, the numbers as above (flags, pid, tid, status, sizes),
//     a 2-bit code per text field and then per note (field i: bits
//     2(i % 4) of byte i / 4), then per code 3 a varint x, in that order:
//     an even x is followed by a new value of x / 2 bytes (the next of the
//     field's indexes in the body, from 0), an odd x is the value of index
//     (x - 1) / 2 written before. Code 0: empty; 1: the same as this
//     field's (or note's) last non-empty value in the body; 2: the same as
//     its value before that (the two then swap places); 3: the value of x
//     (the last becomes the one before). A value is written once a body: a
//     chunk's records come from a few dozen connections taking turns, and
//     up to version 5 (below) every address or route that was not one of
//     its field's two recent values was written again, ~40% of the bytes
//     zstd then read (docs/benchmarks.md, "issue 14, runcpu6").
// The embedded store keeps its raw requests on disk in that form. A
// chunk's records repeat most of their fields (one service's
// connections): the full layout wrote every byte of them for zstd to
// find again, ~270 bytes a Kubernetes record, ~1/3 of the ingest writer's
// CPU (docs/benchmarks.md, "issue 14, runcpu3"). A chunk's records are
// sorted by start: from version 5 on a record's start is its distance from
// the last one's, a byte or two instead of nine (~15% of an HTTP record's
// coded bytes, which zstd then reads: docs/benchmarks.md, "issue 14,
// runcpu4"). Version 5, which stores wrote before, is version 6 but for
// code 3: always a new value, a string. Version 4, before it, is version
// 5 but for the start, written
// whole; version 2, before it, is the same but for its records: the full
// record layout followed by its notes (strings). All still decode.
constexpr uint8_t kVersion = 1;
constexpr uint8_t kNotedVersion = 2;
constexpr uint8_t kCompactVersion = 3;
constexpr uint8_t kCodedNotedVersion = 4;
constexpr uint8_t kDeltaNotedVersion = 5;
constexpr uint8_t kIndexedNotedVersion = 6;
constexpr size_t kMaxNotesPerRecord = 64;
constexpr uint8_t kTls = 1;
constexpr uint8_t kError = 2;
constexpr int kZstdLevel = 1;  // ~6x smaller than raw at ~0.1 µs per record
constexpr size_t kMaxTextFields = 256;

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Reads what Cursor wrote; any read past the end or malformed varint sets
// ok() to false and yields zeros from then on.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  size_t left() const { return data_.size() - pos_; }

  uint8_t byte() {
    if (!ok_ || pos_ >= data_.size()) return fail();
    return static_cast<uint8_t>(data_[pos_++]);
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = byte();
      if (!ok_) return 0;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail();  // more than 10 bytes
  }
  std::string_view string() { return bytes(varint()); }
  std::string_view bytes(uint64_t n) {
    if (!ok_ || n > left()) return fail(), std::string_view();
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  uint8_t fail() {
    ok_ = false;
    return 0;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

using ErrorKind = BatchDecodeError::Kind;

std::nullopt_t failed(BatchDecodeError* error, const char* why,
                      ErrorKind kind = ErrorKind::Damaged) {
  if (error) *error = {kind, why};
  return std::nullopt;
}

using Members = std::vector<const TextField*>;  // nullptr: a field this build does not know

// Where a record's text fields are decoded to: its own strings, and each
// side's identity gathered here, then interned, so the records of one pod
// share one (core/pod_identity.h). begin() before a record's fields,
// end() after them.
class TextTarget {
 public:
  void begin() {
    for (std::string* s : identity_fields(local_, remote_)) s->clear();  // capacity kept
  }
  void set(Record& r, const TextField* f, std::string_view value) {
    if (f == nullptr) return;
    if (f->side == TextSide::Record) {
      r.*f->member = value;
    } else {
      (f->side == TextSide::Local ? local_ : remote_).*f->part = value;
    }
  }
  void end(Record& r) {
    r.local_identity = memo_.get(local_);
    r.remote_identity = memo_.get(remote_);
  }

 private:
  PodIdentity local_, remote_;
  IdentityMemo memo_;
};

// The body's zstd frame decompressed; nullopt (and `error` set) when damaged
// or past the limits.
std::optional<std::string> decompress(std::string_view body, BatchDecodeError* error,
                                      const BatchLimits& limits) {
  unsigned long long size = ZSTD_getFrameContentSize(body.data(), body.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
    return failed(error, "not a zstd frame with its size");
  if (size > limits.max_decoded_bytes)
    return failed(error, "decoded size past the bound", ErrorKind::TooLarge);
  // One context a thread, reused: ZSTD_decompress makes and zeroes a fresh
  // ~100 KiB context per call, which was ~40% of a scan over many small
  // chunks (a quiet host's store writes a few records a chunk).
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(),
                                                                       ZSTD_freeDCtx);
  if (!dctx) return failed(error, "no memory for a zstd context");
  std::string raw(size, '\0');
  size_t n = ZSTD_decompressDCtx(dctx.get(), raw.data(), raw.size(), body.data(), body.size());
  if (ZSTD_isError(n) || n != size) return failed(error, "damaged zstd frame");
  return raw;
}

bool read_field_names(Reader& in, Members& members) {
  uint64_t field_count = in.varint();
  if (!in.ok() || field_count > kMaxTextFields) return false;
  members.reserve(field_count);
  for (uint64_t i = 0; i < field_count; ++i) {
    std::string_view name = in.string();
    const TextField* field = nullptr;
    for (const TextField& f : record_text_fields())
      if (name == f.name) field = &f;
    members.push_back(field);
  }
  return in.ok();
}

// The record count that follows, checked against what is left (each record
// takes at least `min_record_bytes`) and the limits; nullopt on failure.
std::optional<uint64_t> read_count(Reader& in, size_t min_record_bytes, BatchDecodeError* error,
                                   const BatchLimits& limits) {
  uint64_t count = in.varint();
  if (!in.ok() || count > in.left() / min_record_bytes) return failed(error, "bad record count");
  if (count > limits.max_records)
    return failed(error, "more records than a batch may hold", ErrorKind::TooManyRecords);
  return count;
}

// What both record layouts write alike after protocol and role: the
// flags, pid, tid, status and sizes.
void read_numbers(Reader& in, Record& r) {
  uint8_t flags = in.byte();
  r.tls = flags & kTls;
  r.error = flags & kError;
  r.pid = static_cast<uint32_t>(in.varint());
  r.tid = static_cast<uint32_t>(in.varint());
  r.status = static_cast<int>(unzigzag(in.varint()));
  r.req_bytes = in.varint();
  r.resp_bytes = in.varint();
}

void read_record(Reader& in, Record& r, const Members& members, TextTarget& texts) {
  r.start_ns = in.varint();
  r.end_ns = in.varint();
  r.protocol = protocol_from_string(in.string());
  r.role = role_from_string(in.string());
  read_numbers(in, r);
  texts.begin();
  for (const TextField* field : members) texts.set(r, field, in.string());
  texts.end(r);
}

// The text fields' presence bits of a compact record.
constexpr size_t presence_bytes(size_t fields) { return (fields + 7) / 8; }

Protocol protocol_from_id(uint8_t id) {
  for (const auto& [value, name] : protocol_ids::kNames)
    if (static_cast<uint8_t>(value) == id) return value;
  return Protocol::Unknown;
}

Role role_from_id(uint8_t id) {
  return id == static_cast<uint8_t>(Role::Client)   ? Role::Client
         : id == static_cast<uint8_t>(Role::Server) ? Role::Server
                                                    : Role::Unknown;
}

void read_compact_record(Reader& in, Record& r, const Members& members, TextTarget& texts) {
  r.start_ns = in.varint();
  r.end_ns = r.start_ns + static_cast<uint64_t>(unzigzag(in.varint()));
  r.protocol = protocol_from_id(in.byte());
  r.role = role_from_id(in.byte());
  read_numbers(in, r);
  std::string_view present = in.bytes(presence_bytes(members.size()));
  if (!in.ok()) return;
  texts.begin();
  for (size_t i = 0; i < members.size(); ++i) {
    if (!((static_cast<uint8_t>(present[i / 8]) >> (i % 8)) & 1)) continue;
    texts.set(r, members[i], in.string());
  }
  texts.end(r);
}

}  // namespace

namespace {

// The codec's primitive writes, to a pointer that the caller keeps in a
// local (so in a register): a char store may alias anything, and writing
// through a member (a buffer and a position) made the compiler load both
// again after every byte. Inline: the record coders call them a dozen
// times a record, and a call each was ~1/3 of `loupe agent`'s encoding.

constexpr size_t kMaxVarint = 10;

// The low 56 bits of `v` as eight 7-bit groups, one a byte, low first (a
// varint's bytes without their continuation bits), in three steps of
// shifts and masks.
constexpr uint64_t spread_7bit_groups(uint64_t v) {
  uint64_t x = (v & 0x0fff'ffffULL) | ((v >> 28) & 0x0fff'ffffULL) << 32;
  x = (x & 0x0000'3fff'0000'3fffULL) | ((x >> 14) & 0x0000'3fff'0000'3fffULL) << 16;
  return (x & 0x007f'007f'007f'007fULL) | ((x >> 7) & 0x007f'007f'007f'007fULL) << 8;
}

// A varint's length in bytes by the bit width of its value (0 to 64).
constexpr auto kVarintLength = [] {
  std::array<uint8_t, 65> length{};
  for (size_t width = 0; width < length.size(); ++width)
    length[width] = static_cast<uint8_t>(width <= 7 ? 1 : (width + 6) / 7);
  return length;
}();

// A varint of three bytes or more as one word store: a pid, a tid or a
// duration (3 or 4 bytes) from its groups shifted in place, a longer value
// (a record's start in nanoseconds is 9 bytes) from its spread groups and
// a byte or two more past 56 bits. Not a byte a turn of a loop, which was
// ~1/5 of a compact record's instructions. It may write kMaxVarint bytes
// at `p` whatever the value's length, which every caller makes room for.
// Out of line: the coders write a dozen varints a record, most of one or
// two bytes, and stay small enough for the pump's instruction cache.
[[gnu::noinline]] char* put_long_varint(char* p, uint64_t v) {
  static_assert(std::endian::native == std::endian::little);
  constexpr uint64_t kContinued = 0x8080'8080'8080'8080ULL;
  if (v < uint64_t{1} << 28) {
    const uint32_t groups = static_cast<uint32_t>((v & 0x7f) | (v << 1 & 0x7f00) |
                                                  (v << 2 & 0x7f'0000) | (v << 3 & 0x7f00'0000));
    const bool three = v < uint64_t{1} << 21;
    const uint32_t word = groups | (three ? 0x8080u : 0x80'8080u);
    std::memcpy(p, &word, 4);
    return p + (three ? 3 : 4);
  }
  uint64_t bytes = spread_7bit_groups(v);
  if (v < uint64_t{1} << 56) {
    const unsigned n = kVarintLength[std::bit_width(v)];  // 5..8
    bytes |= kContinued >> (8 * (9 - n));                 // on all but the last byte
    std::memcpy(p, &bytes, 8);
    return p + n;
  }
  bytes |= kContinued;
  std::memcpy(p, &bytes, 8);
  p[8] = static_cast<char>(v >> 56);  // bit 7 (continued) set when bit 63 is
  if (v < uint64_t{1} << 63) return p + 9;
  p[9] = 1;
  return p + 10;
}

// LEB128; returns the end of the value's bytes, but may write up to
// kMaxVarint bytes at `p` (put_long_varint).
[[gnu::always_inline]] inline char* put_varint(char* p, uint64_t v) {
  if (v < 0x80) {
    *p = static_cast<char>(v);
    return p + 1;
  }
  if (v < 0x4000) {
    const uint16_t two = static_cast<uint16_t>((v & 0x7f) | 0x80 | (v >> 7) << 8);
    std::memcpy(p, &two, 2);
    return p + 2;
  }
  return put_long_varint(p, v);
}

[[gnu::always_inline]] inline char* put_bytes(char* to, std::string_view s) {
  const char* from = s.data();
  const size_t n = s.size();
  // Most fields are a few bytes (names, addresses, methods): copied with
  // two fixed-size moves each (overlapping), which the compiler inlines,
  // instead of a call to memcpy per field.
  if (n >= 8 && n <= 16) {
    std::memcpy(to, from, 8);
    std::memcpy(to + n - 8, from + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(to, from, 4);
    std::memcpy(to + n - 4, from + n - 4, 4);
  } else if (n > 16) {
    std::memcpy(to, from, n);
  } else if (n > 0) {  // 1 to 3 bytes: the first, the middle, the last
    to[0] = from[0];
    to[n / 2] = from[n / 2];
    to[n - 1] = from[n - 1];
  }
  return to + n;
}

[[gnu::always_inline]] inline char* put_string(char* p, std::string_view s) {
  return put_bytes(put_varint(p, s.size()), s);
}

// What both record layouts write alike after protocol and role
// (read_numbers reads it): the flags, pid, tid, status and sizes.
[[gnu::always_inline]] inline char* put_numbers(char* p, const Record& r) {
  *p++ = static_cast<char>((r.tls ? kTls : 0) | (r.error ? kError : 0));
  p = put_varint(p, r.pid);
  p = put_varint(p, r.tid);
  p = put_varint(p, zigzag(r.status));
  p = put_varint(p, r.req_bytes);
  return put_varint(p, r.resp_bytes);
}

// Writes into a buffer sized beforehand (Cursor::room), so the bytes go
// out with plain stores: appending byte by byte to a std::string checked
// its capacity on every one (the exporter's hottest function).
class Cursor {
 public:
  // Writes from `pos` on (what is before it is kept).
  explicit Cursor(std::string& buf, size_t pos = 0) : buf_(buf), pos_(pos) {}
  size_t size() const { return pos_; }
  // Makes room for `n` more bytes.
  void room(size_t n) {
    if (pos_ + n > buf_.size()) grow(n);
  }
  // Where the next byte goes, for a run of put_* calls within the room
  // made; then advance_to(what the last one returned).
  char* here() { return buf_.data() + pos_; }
  void advance_to(const char* p) { pos_ = offset_of(p); }
  // Where `p` (within the room made) is from the buffer's start, and back:
  // for a place written later, as making room may move the buffer.
  size_t offset_of(const char* p) const { return static_cast<size_t>(p - buf_.data()); }
  char* at(size_t offset) { return buf_.data() + offset; }
  void byte(uint8_t b) { buf_[pos_++] = static_cast<char>(b); }
  void varint(uint64_t v) { advance_to(put_varint(here(), v)); }
  void string(std::string_view s) { advance_to(put_string(here(), s)); }
  void bytes(std::string_view s) { advance_to(put_bytes(here(), s)); }

 private:
  // Out of line: rare, and room() is made on every record.
  [[gnu::noinline]] void grow(size_t n) { buf_.resize(std::max(buf_.size() * 2, pos_ + n)); }

  std::string& buf_;
  size_t pos_;
};

constexpr bool is_local(const TextField& f, std::string PodIdentity::*part) {
  return f.side == TextSide::Local && f.part == part;
}

// The index of the node among the text fields (an agent's default node
// fills it).
constexpr size_t node_field_index() {
  std::span<const TextField> fields = record_text_fields();
  for (size_t i = 0; i < fields.size(); ++i)
    if (is_local(fields[i], &PodIdentity::node)) return i;
  return fields.size();
}

// Where field `f` of a record is in a RecordIdentity, or nullptr.
constexpr std::string_view RecordIdentity::*identity_field(const TextField& f) {
  if (f.side == TextSide::Record && f.member == &Record::comm) return &RecordIdentity::comm;
  if (f.side == TextSide::Record && f.member == &Record::local_addr)
    return &RecordIdentity::local_addr;
  if (f.side == TextSide::Record && f.member == &Record::remote_addr)
    return &RecordIdentity::remote_addr;
  if (is_local(f, &PodIdentity::container)) return &RecordIdentity::container;
  if (is_local(f, &PodIdentity::pod)) return &RecordIdentity::pod;
  return nullptr;
}

// Where the compact and the coded layouts write a record: room is made
// for its head, its flag bytes and kSmallText bytes of text at once, and
// again only for a value that needs more (sizing a record first read every
// field twice: most of the function that did).
class RecordRoom {
 public:
  // Makes the room, writes the head (`start`: the start as the layout
  // writes it, the end as its distance from the start, protocol and role
  // ids, the numbers) and zeroes the
  // `flag_bytes` that follow: with one fixed-size store where they fit,
  // not a memset call of a size known only at run time.
  // Inline: a call per record cost ~25 instructions of the chunk coder's
  // ~600 (docs/benchmarks.md "issue 14, runcpu7").
  [[gnu::always_inline]] RecordRoom(Cursor& out, const Record& r, uint64_t start, size_t flag_bytes)
      : out_(out) {
    static_assert(kSmallText >= 8);
    const size_t room = 7 * kMaxVarint + 3 + flag_bytes + kSmallText;
    out.room(room);
    char* p = out.here();
    limit_ = p + room;
    p = put_varint(p, start);
    p = put_varint(p, zigzag(static_cast<int64_t>(r.end_ns - r.start_ns)));
    *p++ = static_cast<char>(r.protocol);
    *p++ = static_cast<char>(r.role);
    p = put_numbers(p, r);
    if (flag_bytes <= 8) {
      std::memset(p, 0, 8);
    } else {
      std::memset(p, 0, flag_bytes);
    }
    flags_offset_ = out.offset_of(p);  // making room may move the buffer
    flags_ = p;
    head_end_ = p + flag_bytes;
  }
  // Where the values start; each one goes through fit() first.
  char* values() const { return head_end_; }
  // Room for a value of `n` bytes at `p`; more made (`p` and flags()
  // follow the buffer) only when it does not fit.
  void fit(char*& p, size_t n) {
    if (p + kMaxVarint + n > limit_) [[unlikely]]
      grow(p, n);
  }
  char* flags() const { return flags_; }
  void done(const char* p) { out_.advance_to(p); }

 private:
  static constexpr size_t kSmallText = 512;
  [[gnu::noinline]] void grow(char*& p, size_t n) {
    out_.advance_to(p);
    out_.room(kMaxVarint + n + kSmallText);
    p = out_.here();
    limit_ = p + kMaxVarint + n + kSmallText;
    flags_ = out_.at(flags_offset_);
  }
  Cursor& out_;
  const char* limit_;
  size_t flags_offset_;
  char* flags_;
  char* head_end_;
};

// A record in the compact layout (batches from version 3 on): a record
// without a node name gets `default_node`, and with `identity` its
// identity fields are written from there. One pass over the text fields,
// most of them empty: each present one is written as it is found, its
// presence bit gathered in a word stored once at the end (RecordRoom
// reserved the bytes). The pass is unrolled over the field table
// (core/record_limits.h), so each field's place in the record, its
// presence bit and whether it is the node are constants: a loop reading
// them from the table was ~60% of this function. Inline in its one
// caller, which `loupe agent` calls with a segment's one or two records.
[[gnu::always_inline]] inline void write_compact_record(Cursor& out, const Record& r,
                                                        std::string_view default_node,
                                                        const RecordIdentity* identity) {
  constexpr size_t node_index = node_field_index();
  constexpr std::span<const TextField> fields = record_text_fields();
  constexpr size_t presence = presence_bytes(fields.size());
  static_assert(presence <= 8);
  RecordRoom room(out, r, r.start_ns, presence);
  char* p = room.values();
  uint64_t present = 0;
#pragma GCC unroll 32
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string_view value = text_of(r, fields[i]);
    if (identity != nullptr && identity_field(fields[i]) != nullptr)
      value = identity->*identity_field(fields[i]);
    if (value.empty()) {
      if (i != node_index || default_node.empty()) continue;
      value = default_node;
    }
    room.fit(p, value.size());
    present |= uint64_t{1} << i;
    p = put_string(p, value);
  }
  // Field i's bit is bit i % 8 of byte i / 8: the word's bytes, low first.
  char* bits = room.flags();
  for (size_t b = 0; b < presence; ++b) bits[b] = static_cast<char>(present >> (8 * b));
  room.done(p);
}

// A field's (or note's) values in a noted body being coded (version 6):
// every distinct value written, by index, found again by a hash table,
// and the last one coded. Views into the records and notes, alive while
// the body is coded; kept by the encoder with their memory between bodies.
class FieldValues {
 public:
  // Forgets the last body's values.
  void start() {
    for (uint32_t slot : used_) table_[slot] = 0;
    used_.clear();
    values_.clear();
    last = before = {};
  }
  // The index of `value` (not empty) when written in this body, else -1.
  int64_t find(std::string_view value, uint64_t hash) const {
    if (table_.empty()) return -1;
    const size_t mask = table_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      uint64_t e = table_[i];
      if (e == 0) return -1;
      uint32_t index = static_cast<uint32_t>(e) - 1;
      if (e >> 32 == hash >> 32 && same_text(values_[index], value)) return index;
    }
  }
  // Adds `value` (not found) as the next index, which it returns.
  uint32_t add(std::string_view value, uint64_t hash) {
    if ((values_.size() + 1) * 2 > table_.size()) grow();
    uint32_t index = static_cast<uint32_t>(values_.size());
    values_.push_back(value);
    place(hash, index);
    return index;
  }

  // The last two distinct values coded (empty: none yet) and their
  // indexes: most values are one of them (a chunk's records alternate
  // between a call's server and client sides), found by comparing.
  std::string_view last, before;
  uint32_t last_index = 0, before_index = 0;
  // `value` (whose index is `index`) is now the last value.
  void use(std::string_view value, uint32_t index) {
    before = last;
    before_index = last_index;
    last = value;
    last_index = index;
  }

 private:
  void place(uint64_t hash, uint32_t index) {
    const size_t mask = table_.size() - 1;
    size_t i = hash & mask;
    while (table_[i] != 0) i = (i + 1) & mask;
    table_[i] = (hash >> 32 << 32) | (uint64_t{index} + 1);
    used_.push_back(static_cast<uint32_t>(i));
  }
  [[gnu::noinline]] void grow() {
    for (uint32_t slot : used_) table_[slot] = 0;
    used_.clear();
    table_.resize(std::max<size_t>(16, table_.size() * 2));
    for (uint32_t i = 0; i < values_.size(); ++i) place(hash_text(values_[i]), i);
  }

 public:
  // Up to 16 bytes (addresses, routes, names), every byte read as two
  // words, mixed: std::hash's call was ~2/3 of a lookup.
  static uint64_t hash_text(std::string_view v) {
    const size_t n = v.size();
    if (n > 16) return std::hash<std::string_view>{}(v);
    uint64_t head = 0;
    if (n > 8) std::memcpy(&head, v.data(), 8);
    return mix_word(text_tail(v) ^ head * 0x9e3779b97f4a7c15ULL);
  }

 private:
  std::vector<std::string_view> values_;
  std::vector<uint64_t> table_;  // (hash's high half, index + 1); 0: empty
  std::vector<uint32_t> used_;   // the slots filled in this body
};

// The fields every record of one connection holds alike (what the record
// pipeline's same_connection compares, pipeline/connection_answers.h).
// Of either side's identity: all but the pod and the container.
constexpr bool connection_field(const TextField& f) {
  if (f.side == TextSide::Record)
    return f.member == &Record::comm || f.member == &Record::local_addr ||
           f.member == &Record::remote_addr || f.member == &Record::host;
  return f.part == &PodIdentity::node || f.part == &PodIdentity::namespace_ ||
         f.part == &PodIdentity::workload || f.part == &PodIdentity::service;
}

// Per text field, whether it is a connection field and its place among
// them (a table: the coder's unrolled pass reads constants).
struct ConnectionSlots {
  std::array<bool, std::size(kRecordTextFields)> is{};
  std::array<uint8_t, std::size(kRecordTextFields)> at{};
  size_t count = 0;
};
constexpr ConnectionSlots kConnectionSlots = [] {
  ConnectionSlots s;
  for (size_t k = 0; k < s.is.size(); ++k) {
    s.is[k] = connection_field(record_text_fields()[k]);
    s.at[k] = static_cast<uint8_t>(s.count);
    s.count += s.is[k] ? 1 : 0;
  }
  return s;
}();
constexpr size_t kConnectionFields = kConnectionSlots.count;

}  // namespace

// What BatchEncoder::encode_noted keeps between bodies: each field's (and
// note's) values, and for connection c (ChunkRow::connection) the ids of
// the values its fields had when last coded (0: none), `kConnectionFields`
// from c * kConnectionFields. A body's value ids are base + 1 + its index
// in its field (base: next_id when the body started; at most one value a
// record and field), and next_id passes them all at the body's end, so an
// id from an earlier body (or another batch's connection c) is never taken
// for one of this body's.
struct BatchEncoder::ConnectionValues {
  std::vector<uint32_t> ids;
  uint32_t next_id = 0;
  std::vector<FieldValues> fields;
};

namespace {

// A record in the coded layout of noted records (version 6, see above),
// its start against `last_start`, its fields and notes against `values`
// (one per field, then per note). One pass over them, the last values
// compared inline (same_text). The pass over the text fields is unrolled
// over the field table, as write_compact_record's, and their codes
// gathered in a word stored once: the loop reading each field's place from
// the table and or'ing its code into a byte was ~1/4 of this function.
// `known` (null: the connection is not known): the ids of the values of
// the record's connection's fields when last coded in this body (`base`:
// the body's ids are above it). A connection field whose value has an id
// is coded from it without a comparison or a lookup, whichever connection
// wrote the value (the same bytes as without: most of a record's
// comparisons, ~11 a Kubernetes record).
void write_coded_record(Cursor& out, const Record& r, uint64_t last_start, uint32_t* known,
                        uint32_t base, std::span<const std::string_view> notes,
                        FieldValues* values) {
  constexpr std::span<const TextField> fields = record_text_fields();
  constexpr size_t field_bytes = (fields.size() + 3) / 4;
  static_assert(field_bytes <= 8);
  RecordRoom room(out, r, zigzag(static_cast<int64_t>(r.start_ns - last_start)),
                  (fields.size() + notes.size() + 3) / 4);
  char* p = room.values();
  // The code of `value` (not empty) whose index is `index`, its index
  // written when it is not the last one.
  auto refer = [&](FieldValues & f, std::string_view value, uint32_t index)
      __attribute__((always_inline)) {
    if (!f.last.empty() && index == f.last_index) return 1u;
    if (!f.before.empty() && index == f.before_index) {
      std::swap(f.last, f.before);
      std::swap(f.last_index, f.before_index);
      return 2u;
    }
    f.use(value, index);
    room.fit(p, 0);
    p = put_varint(p, uint64_t{index} * 2 + 1);
    return 3u;
  };
  // `value`'s code (not empty): the last one, the one before (both
  // compared), one written before them (looked up), or new (written).
  auto code = [&](FieldValues & f, std::string_view value) __attribute__((always_inline)) {
    if (!f.last.empty() && same_text(value, f.last)) return 1u;
    if (!f.before.empty() && same_text(value, f.before)) {
      std::swap(f.last, f.before);
      std::swap(f.last_index, f.before_index);
      return 2u;
    }
    uint64_t hash = FieldValues::hash_text(value);
    if (int64_t index = f.find(value, hash); index >= 0)
      return refer(f, value, static_cast<uint32_t>(index));
    f.use(value, f.add(value, hash));
    room.fit(p, value.size());
    p = put_bytes(put_varint(p, uint64_t{value.size()} * 2), value);
    return 3u;
  };
  uint64_t codes = 0;
#pragma GCC unroll 32
  for (size_t k = 0; k < fields.size(); ++k) {
    std::string_view value = text_of(r, fields[k]);
    if (value.empty()) continue;
    FieldValues& f = values[k];
    unsigned c;
    if (!kConnectionSlots.is[k] || known == nullptr) {
      c = code(f, value);
    } else if (uint32_t& id = known[kConnectionSlots.at[k]]; id > base) {
      c = refer(f, value, id - base - 1);
    } else {
      c = code(f, value);
      id = base + 1 + f.last_index;  // `last` is now this record's value
    }
    codes |= uint64_t{c} << (2 * k);
  }
  // Field k's code is bits 2(k % 4) of byte k / 4: the word's bytes, low
  // first; the notes' follow in the same bytes. Notes whose codes fit in
  // the fields' last byte (the store's three) are gathered in the word
  // too: one store, not a byte read and written again per note.
  constexpr size_t spare_codes = 4 * field_bytes - fields.size();
  static_assert(std::endian::native == std::endian::little);
  if (notes.size() <= spare_codes) {
    for (size_t n = 0; n < notes.size(); ++n)
      if (!notes[n].empty())
        codes |= uint64_t{code(values[fields.size() + n], notes[n])} << (2 * (fields.size() + n));
    std::memcpy(room.flags(), &codes, field_bytes);
    room.done(p);
    return;
  }
  char* bytes = room.flags();
  std::memcpy(bytes, &codes, field_bytes);
  for (size_t n = 0; n < notes.size(); ++n) {
    if (notes[n].empty()) continue;
    size_t k = fields.size() + n;
    unsigned c = code(values[k], notes[n]);
    bytes = room.flags();  // writing a new value may have moved the buffer
    bytes[k / 4] = static_cast<char>(bytes[k / 4] | (c << (2 * (k % 4))));
  }
  room.done(p);
}
}  // namespace

BatchEncoder::BatchEncoder()
    : cctx_(ZSTD_createCCtx()), connection_values_(std::make_unique<ConnectionValues>()) {
  if (!cctx_) throw std::runtime_error("zstd: cannot create a compression context");
}

BatchEncoder::~BatchEncoder() { ZSTD_freeCCtx(cctx_); }

void EncodedRecords::append(std::span<const Record> records, std::string_view default_node,
                            const RecordIdentity* identity) {
  Cursor out(raw_, size_);
  for (const Record& r : records) write_compact_record(out, r, default_node, identity);
  size_ = out.size();
  count_ += records.size();
}

std::string BatchEncoder::encode(const BatchKey& key, std::span<const EncodedRecords> parts) {
  std::span<const TextField> fields = record_text_fields();
  size_t count = 0, records_bytes = 0;
  for (const EncodedRecords& part : parts) {
    count += part.count();
    records_bytes += part.bytes().size();
  }
  Cursor out(raw_);
  size_t head = 1 + 2 * kMaxVarint + key.agent.size() + kMaxVarint;
  for (const TextField& f : fields) head += kMaxVarint + std::strlen(f.name);
  out.room(head + kMaxVarint + records_bytes);
  out.byte(kCompactVersion);
  out.string(key.agent);
  out.varint(key.seq);
  out.varint(fields.size());
  for (const TextField& f : fields) out.string(f.name);
  out.varint(count);
  for (const EncodedRecords& part : parts) out.bytes(part.bytes());
  const size_t bound = ZSTD_compressBound(out.size());
  if (frame_capacity_ < bound) {
    frame_ = std::make_unique_for_overwrite<char[]>(bound);
    frame_capacity_ = bound;
  }
  size_t n = ZSTD_compressCCtx(cctx_, frame_.get(), bound, raw_.data(), out.size(), kZstdLevel);
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  return std::string(frame_.get(), n);
}

std::string encode_batch(const BatchKey& key, std::span<const Record> records) {
  EncodedRecords part;
  part.append(records);
  BatchEncoder encoder;
  return encoder.encode(key, std::span(&part, 1));
}

std::optional<DecodedBatch> decode_batch(std::string_view body, BatchDecodeError* error,
                                         const BatchLimits& limits, std::vector<Record> into) {
  std::optional<std::string> raw = decompress(body, error, limits);
  if (!raw) return std::nullopt;
  Reader in(*raw);
  const uint8_t version = in.byte();
  if (!in.ok()) return failed(error, "empty batch");
  if (version != kCompactVersion && version != kVersion)
    return failed(error, "unknown batch codec version", ErrorKind::UnknownVersion);
  const bool compact = version == kCompactVersion;
  DecodedBatch batch;
  batch.key.agent = in.string();
  batch.key.seq = in.varint();
  Members members;
  if (!read_field_names(in, members)) return failed(error, "bad field list");
  // Each record takes at least one byte per varint, string and flag (a
  // compact one: per varint, the three bytes and its presence bits).
  auto count = read_count(in, compact ? 10 + presence_bytes(members.size()) : 10 + members.size(),
                          error, limits);
  if (!count) return std::nullopt;
  batch.records = std::move(into);
  batch.records.clear();
  batch.records.resize(*count);
  TextTarget texts;
  for (Record& r : batch.records) {
    if (compact) {
      read_compact_record(in, r, members, texts);
    } else {
      read_record(in, r, members, texts);
    }
    if (!in.ok()) return failed(error, "truncated record");
  }
  if (in.left() != 0) return failed(error, "bytes after the last record");
  return batch;
}

std::string_view BatchEncoder::encode_noted(std::span<const Record* const> records,
                                            std::span<const std::string_view> notes,
                                            size_t notes_per_record,
                                            std::span<const uint32_t> connections) {
  if (notes.size() != records.size() * notes_per_record || notes_per_record > kMaxNotesPerRecord ||
      (!connections.empty() && connections.size() != records.size()))
    throw std::invalid_argument("encode_noted_records: notes do not match the records");
  std::span<const TextField> fields = record_text_fields();
  const size_t coded = fields.size() + notes_per_record;
  Cursor out(raw_);
  size_t head = 1 + kMaxVarint + 2 * kMaxVarint;
  for (const TextField& f : fields) head += kMaxVarint + std::strlen(f.name);
  out.room(head + records.size() * 64);
  out.byte(kIndexedNotedVersion);
  out.varint(fields.size());
  for (const TextField& f : fields) out.string(f.name);
  out.varint(notes_per_record);
  out.varint(records.size());
  ConnectionValues& values = *connection_values_;
  if (values.fields.size() < coded) values.fields.resize(coded);
  for (size_t k = 0; k < coded; ++k) values.fields[k].start();
  // Ids start again, and so does what they meant.
  if (values.next_id > (1u << 31) - records.size()) {
    std::fill(values.ids.begin(), values.ids.end(), 0);
    values.next_id = 0;
  }
  const uint32_t base = values.next_id;
  for (size_t i = 0; i < records.size(); ++i) {
    burst_point();  // a store round's ~4,000 records: milliseconds (core/burst_yield.h)
    uint32_t* known = nullptr;
    if (!connections.empty() && connections[i] != 0) {
      size_t at = size_t{connections[i]} * kConnectionFields;
      if (at + kConnectionFields > values.ids.size()) values.ids.resize(at + kConnectionFields);
      known = values.ids.data() + at;
    }
    write_coded_record(out, *records[i], i ? records[i - 1]->start_ns : 0, known, base,
                       notes.subspan(i * notes_per_record, notes_per_record), values.fields.data());
  }
  values.next_id = base + static_cast<uint32_t>(records.size()) + 1;
  size_t bound = ZSTD_compressBound(out.size());
  if (body_.size() < bound) body_.resize(bound);
  size_t n =
      ZSTD_compressCCtx(cctx_, body_.data(), body_.size(), raw_.data(), out.size(), kZstdLevel);
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  return std::string_view(body_.data(), n);
}

std::string encode_noted_records(std::span<const Record* const> records,
                                 std::span<const std::string_view> notes, size_t notes_per_record) {
  BatchEncoder encoder;
  return std::string(encoder.encode_noted(records, notes, notes_per_record));
}

namespace {

// A coded noted record's field's (or note's) values so far in the body:
// the last one, and the one before (versions 4 and 5) or every one written
// (version 6), views into the body.
struct SeenValues {
  std::string_view last, before;
  std::vector<std::string_view> written;
};

// A coded noted record's text fields and notes (see the layout above);
// `seen` holds each one's values so far; `indexed`: version 6's codes.
void read_coded_texts(Reader& in, Record& r, const Members& members, std::span<std::string> notes,
                      std::vector<SeenValues>& seen, bool indexed, TextTarget& texts) {
  const size_t coded = members.size() + notes.size();
  std::string_view codes = in.bytes((coded + 3) / 4);
  if (!in.ok()) return;
  texts.begin();
  for (size_t k = 0; k < coded; ++k) {
    unsigned c = (static_cast<uint8_t>(codes[k / 4]) >> (2 * (k % 4))) & 3;
    std::string_view value;
    SeenValues& values = seen[k];
    if (c == 1) {
      value = values.last;
    } else if (c == 2) {
      value = values.before;
      std::swap(values.last, values.before);
    } else if (c == 3 && indexed) {
      uint64_t x = in.varint();
      if (x % 2 == 0) {
        value = in.bytes(x / 2);
        values.written.push_back(value);
      } else if (x / 2 < values.written.size()) {
        value = values.written[x / 2];
      }
      values.before = values.last;
      values.last = value;
    } else if (c == 3) {
      value = in.string();
      values.before = values.last;
      values.last = value;
    }
    // A value never seen, or written empty: not what an encoder writes.
    if (c != 0 && value.empty()) {
      in.bytes(in.left() + 1);  // fails the reader
      return;
    }
    if (k < members.size()) {
      texts.set(r, members[k], value);
    } else {
      notes[k - members.size()] = value;
    }
  }
  texts.end(r);
}

}  // namespace

std::optional<NotedRecords> decode_noted_records(std::string_view body, BatchDecodeError* error,
                                                 const BatchLimits& limits, NotedRecords into) {
  std::optional<std::string> raw = decompress(body, error, limits);
  if (!raw) return std::nullopt;
  Reader in(*raw);
  const uint8_t version = in.byte();
  if (!in.ok()) return failed(error, "empty batch");
  if (version != kIndexedNotedVersion && version != kDeltaNotedVersion &&
      version != kCodedNotedVersion && version != kNotedVersion)
    return failed(error, "unknown batch codec version", ErrorKind::UnknownVersion);
  const bool coded = version != kNotedVersion;
  // Starts from the last record's; values by index.
  const bool delta = version == kDeltaNotedVersion || version == kIndexedNotedVersion;
  const bool indexed = version == kIndexedNotedVersion;
  Members members;
  if (!read_field_names(in, members)) return failed(error, "bad field list");
  NotedRecords out = std::move(into);
  out.notes_per_record = in.varint();
  if (!in.ok() || out.notes_per_record > kMaxNotesPerRecord) return failed(error, "bad note count");
  const size_t npr = out.notes_per_record;
  // Each record takes at least a byte per varint, flag and string (a
  // coded one: per varint, its three bytes and its codes).
  auto count = read_count(
      in, coded ? 10 + (members.size() + npr + 3) / 4 : 10 + members.size() + npr, error, limits);
  if (!count) return std::nullopt;
  out.records.clear();
  out.records.resize(*count);
  out.notes.clear();
  out.notes.resize(*count * npr);
  std::vector<SeenValues> seen(coded ? members.size() + npr : 0);
  uint64_t last_start = 0;
  TextTarget texts;
  for (size_t i = 0; i < *count; ++i) {
    Record& r = out.records[i];
    std::span<std::string> notes(out.notes.data() + i * npr, npr);
    if (coded) {
      r.start_ns = delta ? last_start + static_cast<uint64_t>(unzigzag(in.varint())) : in.varint();
      last_start = r.start_ns;
      r.end_ns = r.start_ns + static_cast<uint64_t>(unzigzag(in.varint()));
      r.protocol = protocol_from_id(in.byte());
      r.role = role_from_id(in.byte());
      read_numbers(in, r);
      read_coded_texts(in, r, members, notes, seen, indexed, texts);
    } else {
      read_record(in, r, members, texts);
      for (std::string& note : notes) note = in.string();
    }
    if (!in.ok()) return failed(error, "truncated record");
  }
  if (in.left() != 0) return failed(error, "bytes after the last record");
  return out;
}

}  // namespace loupe
