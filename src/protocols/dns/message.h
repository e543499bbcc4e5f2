// Decoding the parts of a DNS message that records need. Everything reads
// from a (possibly truncated) captured message and fails softly: a short
// or hostile message yields less information, never a crash or a loop.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loupe::dns {

struct Header {
  uint16_t id = 0;
  uint16_t flags = 0;
  uint16_t qdcount = 0;
  uint16_t ancount = 0;
  uint16_t nscount = 0;
  uint16_t arcount = 0;
  bool qr() const { return (flags & 0x8000) != 0; }
  int opcode() const { return (flags >> 11) & 0xF; }
  int rcode() const { return flags & 0xF; }
};
inline constexpr size_t kHeaderSize = 12;

// A domain name in presentation form: lower case, no trailing dot, "." for
// the root. Fixed storage: names are at most 255 octets on the wire.
struct Name {
  std::array<char, 256> text{};
  size_t len = 0;
  std::string_view view() const { return {text.data(), len}; }
};

struct Question {
  Name name;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
};

bool read_header(std::string_view msg, Header& h);

// Reads the name at `pos` (following compression pointers, each of which
// must point before the previous one, so loops are impossible) and moves
// `pos` past it. `allow_pointers` = false rejects compressed names.
bool read_name(std::string_view msg, size_t& pos, Name& out, bool allow_pointers = true);

bool read_question(std::string_view msg, size_t& pos, Question& q, bool allow_pointers = true);

// Appends the answer section's A/AAAA addresses and CNAME targets to
// `detail`, comma-separated, at most `max_entries`; other records are
// skipped by their length. Stops quietly where the capture ends.
void read_answers(std::string_view msg, size_t pos, const Header& h, std::string& detail,
                  size_t max_entries);

// "A", "AAAA", ... or "TYPE<n>".
std::string qtype_name(uint16_t qtype);
// "NOERROR", "NXDOMAIN", ... or "RCODE<n>".
std::string rcode_name(int rcode);

// A header and first question that a real resolver or client would send:
// QDCOUNT 1..4, opcode QUERY, counts that fit the message kind, and an
// uncompressed question name of hostname-like labels. `want_qr` is 0 for a
// query, 1 for a response, -1 for either.
bool plausible_message(std::string_view msg, int want_qr);

inline uint16_t read_u16(std::string_view b, size_t pos) {
  return static_cast<uint16_t>((static_cast<unsigned char>(b[pos]) << 8) |
                               static_cast<unsigned char>(b[pos + 1]));
}

}  // namespace loupe::dns
