#include "protocols/stream_detector.h"

#include <algorithm>

namespace loupe {

StreamDetector::StreamDetector(Role role, uint16_t local_port, uint16_t remote_port, bool datagrams,
                               Limits limits)
    : role_(role),
      local_port_(local_port),
      remote_port_(remote_port),
      datagrams_(datagrams),
      limits_(limits) {}

StreamDetector::State StreamDetector::feed(const Segment& seg) {
  if (state_ != State::Detecting) return state_;
  // What does not fit is held as uncaptured, like bytes the kernel did not copy.
  size_t room = limits_.max_bytes - std::min(bytes_.size(), limits_.max_bytes);
  std::string_view kept = seg.bytes.substr(0, room);
  held_.push_back({seg.dir, seg.ts_ns, std::max<uint64_t>(seg.length, seg.bytes.size()),
                   bytes_.size(), kept.size()});
  bytes_.append(kept);

  Window& w = windows_[static_cast<size_t>(seg.dir)];
  if (datagrams_) w = Window{};  // a datagram is judged alone
  if (!w.gap) {
    w.bytes.append(kept);
    w.gap = held_.back().length > kept.size();
  }
  DetectResult r = judge(w, seg.dir);
  if (r.verdict == Detection::Match) {
    decide(r.protocol, role_);
    return state_;
  }
  // More bytes cannot change the verdict of a window stopped at a gap or of
  // a whole datagram.
  if (r.verdict == Detection::NeedMore && (w.gap || datagrams_)) {
    if (r.fallback != Protocol::Unknown) {
      decide(r.fallback, fallback_role_);
      return state_;
    }
    r.verdict = Detection::NoMatch;
  }
  if (r.verdict == Detection::NoMatch) reject(w);
  if (state_ == State::Detecting &&
      (bytes_.size() >= limits_.max_bytes || held_.size() >= limits_.max_segments))
    finish();
  return state_;
}

DetectResult StreamDetector::judge(const Window& w, Direction dir) {
  auto run = [&](Role role) {
    DetectResult r = detect_protocol(w.bytes, dir, role, local_port_, remote_port_);
    if (r.verdict == Detection::NeedMore && r.fallback != Protocol::Unknown) {
      fallback_ = r.fallback;
      fallback_role_ = role;
    }
    return r;
  };
  if (role_ != Role::Unknown) return run(role_);
  // No OPEN event told the role: whichever role makes these bytes a request
  // (or response) of a known protocol is the role.
  DetectResult best;
  for (Role guess : {Role::Client, Role::Server}) {
    DetectResult r = run(guess);
    if (r.verdict == Detection::Match) {
      role_ = guess;
      return r;
    }
    if (r.verdict == Detection::NeedMore) best = r;
  }
  return best;
}

void StreamDetector::reject(Window& w) {
  w = Window{};
  if (++rejections_ >= limits_.max_rejections) give_up();
}

StreamDetector::State StreamDetector::finish() {
  if (state_ != State::Detecting) return state_;
  if (fallback_ != Protocol::Unknown) {
    decide(fallback_, fallback_role_);
  } else {
    give_up();
  }
  return state_;
}

void StreamDetector::decide(Protocol p, Role r) {
  state_ = State::Detected;
  protocol_ = p;
  role_ = r;
  windows_[0] = windows_[1] = Window{};
}

void StreamDetector::give_up() {
  state_ = State::Undetected;
  release();
}

std::vector<Segment> StreamDetector::held() const {
  std::vector<Segment> out;
  out.reserve(held_.size());
  std::string_view all = bytes_;
  for (const Held& h : held_)
    out.push_back({h.dir, h.ts_ns, all.substr(h.offset, h.size), h.length});
  return out;
}

void StreamDetector::release() {
  bytes_ = std::string();
  held_ = std::vector<Held>();
  windows_[0] = windows_[1] = Window{};
}

size_t StreamDetector::memory_bytes() const {
  // Sizes, not capacities: 0 for a fresh or released detector, so a caller
  // summing deltas over many detectors never drifts.
  return bytes_.size() + windows_[0].bytes.size() + windows_[1].bytes.size() +
         held_.size() * sizeof(Held);
}

}  // namespace loupe
