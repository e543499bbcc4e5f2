// Protocol detection over a connection's first segments, whatever their
// split: holds the segments of a connection until a protocol module decides
// (a request written one byte per send() is still recognised), then hands
// them back in order so the chosen parser sees every byte from the first.
//
// Pure like the parsers: segments in, a decision out. Memory is bounded by
// Limits; running out of room decides with what was seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/record.h"
#include "protocols/detect.h"
#include "protocols/parser.h"

namespace loupe {

class StreamDetector {
 public:
  struct Limits {
    // Captured bytes held per connection while undecided (both directions).
    size_t max_bytes = 8 * 1024;
    // Segments held (one byte per send() makes many small ones).
    size_t max_segments = 4096;
    // Times a direction's bytes may be rejected by every module before the
    // connection is given up; each rejection restarts detection at the next
    // segment of that direction (capture that began mid-stream).
    uint32_t max_rejections = 4;
  };

  enum class State : uint8_t { Detecting, Detected, Undetected };

  // `role` may be Role::Unknown: then the first role under which the bytes
  // are a known protocol is taken. `datagrams`: every segment is a whole
  // message (UDP) and is judged alone.
  StreamDetector(Role role, uint16_t local_port, uint16_t remote_port, bool datagrams,
                 Limits limits);
  StreamDetector(Role role, uint16_t local_port, uint16_t remote_port, bool datagrams)
      : StreamDetector(role, local_port, remote_port, datagrams, Limits{}) {}

  // Holds `seg` and judges the bytes seen so far.
  State feed(const Segment& seg);
  // No more bytes will come (close, or the caller's memory budget ran out):
  // decides with what was seen.
  State finish();

  State state() const { return state_; }
  Protocol protocol() const { return protocol_; }
  Role role() const { return role_; }

  // The held segments in arrival order, views into this detector: replay
  // them into the parser once Detected, then call release().
  std::vector<Segment> held() const;
  void release();

  // Bytes this detector holds (0 when fresh or released), for a caller's
  // budget over many connections.
  size_t memory_bytes() const;

 private:
  struct Held {
    Direction dir;
    uint64_t ts_ns;
    uint64_t length;
    size_t offset;  // into bytes_
    size_t size;
  };
  // Bytes of one direction under judgement: from the segment detection
  // (re)started at, up to the first uncaptured gap.
  struct Window {
    std::string bytes;
    bool gap = false;  // the bytes stopped at a gap: nothing more can be added
  };

  DetectResult judge(const Window& w, Direction dir);
  void reject(Window& w);
  void decide(Protocol p, Role r);
  void give_up();

  Role role_;
  uint16_t local_port_;
  uint16_t remote_port_;
  bool datagrams_;
  Limits limits_;
  State state_ = State::Detecting;
  Protocol protocol_ = Protocol::Unknown;
  Protocol fallback_ = Protocol::Unknown;  // taken at finish() if nothing better
  Role fallback_role_ = Role::Unknown;
  uint32_t rejections_ = 0;
  Window windows_[2];  // indexed by Direction
  std::string bytes_;  // captured bytes of every held segment, in order
  std::vector<Held> held_;
};

}  // namespace loupe
