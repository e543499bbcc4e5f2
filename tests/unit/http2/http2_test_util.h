// Helpers for feeding HTTP/2 bytes to a parser in tests: recordings of real
// connections (tests/data/http2/*.txt, see README.md there) and frames
// built by hand.
#pragma once

#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../../support/parser_conn.h"
#include "protocols/http2/http2.h"
#include "protocols/parser.h"

namespace loupe::http2::testing {

// "8286 84" -> bytes; spaces are ignored.
inline std::string unhex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    if (c == ' ') continue;
    int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

// One chunk as the recording relay read it.
struct Chunk {
  bool from_client = true;
  std::string bytes;
};

inline std::vector<Chunk> load_recording(const std::string& name) {
  std::ifstream in(std::string(LOUPE_TEST_DATA) + "/http2/" + name);
  std::vector<Chunk> chunks;
  std::string tag, hex;
  while (in >> tag >> hex) chunks.push_back({tag == "C", unhex(hex)});
  return chunks;
}

// Feeds chunks to a parser of `role` (Role::Unknown: client bytes are
// Egress), one timestamp tick per chunk.
struct Conn : loupe::testing::ParserConn {
  explicit Conn(Role r = Role::Server) : ParserConn(make_parser(r), r) {}

  Direction client_dir() const {
    return role == Role::Server ? Direction::Ingress : Direction::Egress;
  }
  Direction server_dir() const {
    return client_dir() == Direction::Ingress ? Direction::Egress : Direction::Ingress;
  }
  using ParserConn::send;
  void send(bool from_client, std::string_view bytes, uint64_t length = 0) {
    send(from_client ? client_dir() : server_dir(), bytes, ++ts, length);
  }
  void play(const std::vector<Chunk>& chunks) {
    for (const Chunk& c : chunks) send(c.from_client, c.bytes);
  }
  // Plays `chunks` with chunk `i` read in two: before and from byte `cut`.
  void play_cut(const std::vector<Chunk>& chunks, size_t i, size_t cut) {
    for (size_t j = 0; j < chunks.size(); ++j) {
      std::string_view b = chunks[j].bytes;
      if (j == i) {
        send(chunks[j].from_client, b.substr(0, cut));
        send(chunks[j].from_client, b.substr(cut));
      } else {
        send(chunks[j].from_client, b);
      }
    }
  }

  uint64_t ts = 0;
};

// A frame: 9-byte header then payload.
inline std::string frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
  std::string f;
  const size_t n = payload.size();
  f.push_back(static_cast<char>(n >> 16));
  f.push_back(static_cast<char>(n >> 8));
  f.push_back(static_cast<char>(n));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<char>(stream >> shift));
  f.append(payload);
  return f;
}

// Splits bytes that are whole frames into their frames.
inline std::vector<std::string> split_frames(std::string_view b) {
  std::vector<std::string> out;
  while (b.size() >= 9) {
    const size_t n = static_cast<size_t>(static_cast<uint8_t>(b[0])) << 16 |
                     static_cast<size_t>(static_cast<uint8_t>(b[1])) << 8 |
                     static_cast<uint8_t>(b[2]);
    out.emplace_back(b.substr(0, 9 + n));
    b.remove_prefix(std::min(b.size(), 9 + n));
  }
  return out;
}

}  // namespace loupe::http2::testing
