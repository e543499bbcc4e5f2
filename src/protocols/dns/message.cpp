#include "protocols/dns/message.h"

#include <arpa/inet.h>

#include <algorithm>

namespace loupe::dns {
namespace {

constexpr int kMaxLabels = 128;

bool hostname_byte(unsigned char c) { return c > 0x20 && c < 0x7F && c != '.'; }

}  // namespace

bool read_header(std::string_view msg, Header& h) {
  if (msg.size() < kHeaderSize) return false;
  h.id = read_u16(msg, 0);
  h.flags = read_u16(msg, 2);
  h.qdcount = read_u16(msg, 4);
  h.ancount = read_u16(msg, 6);
  h.nscount = read_u16(msg, 8);
  h.arcount = read_u16(msg, 10);
  return true;
}

bool read_name(std::string_view msg, size_t& pos, Name& out, bool allow_pointers) {
  out.len = 0;
  size_t p = pos;
  size_t limit = pos;  // every pointer must point strictly before this
  bool jumped = false;
  for (int labels = 0; labels < kMaxLabels; ++labels) {
    if (p >= msg.size()) return false;
    auto len = static_cast<unsigned char>(msg[p]);
    if ((len & 0xC0) == 0xC0) {
      if (!allow_pointers || p + 1 >= msg.size()) return false;
      size_t target = read_u16(msg, p) & 0x3FFF;
      if (target >= limit) return false;  // forward or looping pointer
      if (!jumped) pos = p + 2;
      jumped = true;
      limit = target;
      p = target;
      continue;
    }
    if (len & 0xC0) return false;  // 0x40/0x80 label types are obsolete
    if (len == 0) {
      if (!jumped) pos = p + 1;
      if (out.len == 0) out.text[out.len++] = '.';  // the root
      return true;
    }
    if (p + 1 + len > msg.size()) return false;
    if (out.len + len + 1 > out.text.size()) return false;  // longer than 255 octets
    if (out.len > 0) out.text[out.len++] = '.';
    for (size_t i = 0; i < len; ++i) {
      auto c = static_cast<unsigned char>(msg[p + 1 + i]);
      if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
      out.text[out.len++] = hostname_byte(c) ? static_cast<char>(c) : '?';
    }
    p += 1 + len;
  }
  return false;
}

bool read_question(std::string_view msg, size_t& pos, Question& q, bool allow_pointers) {
  if (!read_name(msg, pos, q.name, allow_pointers)) return false;
  if (pos + 4 > msg.size()) return false;
  q.qtype = read_u16(msg, pos);
  q.qclass = read_u16(msg, pos + 2);
  pos += 4;
  return true;
}

void read_answers(std::string_view msg, size_t pos, const Header& h, std::string& detail,
                  size_t max_entries) {
  size_t entries = 0;
  Name name;
  for (uint16_t i = 0; i < h.ancount && entries < max_entries; ++i) {
    if (!read_name(msg, pos, name)) return;
    if (pos + 10 > msg.size()) return;
    uint16_t type = read_u16(msg, pos);
    uint16_t rdlength = read_u16(msg, pos + 8);
    size_t rdata = pos + 10;
    pos = rdata + rdlength;
    char addr[INET6_ADDRSTRLEN] = {};
    std::string_view text;
    if (type == 1 && rdlength == 4 && rdata + 4 <= msg.size()) {
      inet_ntop(AF_INET, msg.data() + rdata, addr, sizeof addr);
      text = addr;
    } else if (type == 28 && rdlength == 16 && rdata + 16 <= msg.size()) {
      inet_ntop(AF_INET6, msg.data() + rdata, addr, sizeof addr);
      text = addr;
    } else if (type == 5) {
      size_t p = rdata;
      if (!read_name(msg, p, name)) return;
      text = name.view();
    }
    if (text.empty()) {
      if (pos > msg.size()) return;  // the rest was not captured
      continue;
    }
    if (entries++ > 0) detail.push_back(',');
    detail.append(text);
  }
}

std::string qtype_name(uint16_t qtype) {
  switch (qtype) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 65:
      return "HTTPS";
    case 64:
      return "SVCB";
    case 255:
      return "ANY";
    default:
      return "TYPE" + std::to_string(qtype);
  }
}

std::string rcode_name(int rcode) {
  switch (rcode) {
    case 0:
      return "NOERROR";
    case 1:
      return "FORMERR";
    case 2:
      return "SERVFAIL";
    case 3:
      return "NXDOMAIN";
    case 4:
      return "NOTIMP";
    case 5:
      return "REFUSED";
    case 6:
      return "YXDOMAIN";
    case 7:
      return "YXRRSET";
    case 8:
      return "NXRRSET";
    case 9:
      return "NOTAUTH";
    case 10:
      return "NOTZONE";
    default:
      return "RCODE" + std::to_string(rcode);
  }
}

bool plausible_message(std::string_view msg, int want_qr) {
  Header h;
  if (!read_header(msg, h)) return false;
  if (want_qr >= 0 && h.qr() != (want_qr == 1)) return false;
  if (h.opcode() != 0 || h.qdcount < 1 || h.qdcount > 4) return false;
  if (h.qr()) {
    if (h.ancount > 512 || h.nscount > 64 || h.arcount > 64) return false;
  } else if (h.rcode() != 0 || h.ancount > 4 || h.nscount > 4 || h.arcount > 4) {
    return false;
  }
  // A question name is never compressed: nothing precedes it to point at.
  size_t pos = kHeaderSize;
  Question q;
  if (!read_question(msg, pos, q, false)) return false;
  if (std::find(q.name.text.begin(), q.name.text.begin() + q.name.len, '?') !=
      q.name.text.begin() + q.name.len)
    return false;
  uint16_t qclass = q.qclass & 0x7FFF;  // mDNS uses the top bit for "unicast response"
  return qclass == 1 || qclass == 3 || qclass == 254 || qclass == 255;
}

}  // namespace loupe::dns
