#include "pipeline/connection_answers.h"

#include <algorithm>
#include <cstring>

#include "core/same_text.h"

namespace loupe::pipeline {

namespace {

// The last 8 bytes of an address ("0.0.1:40312"): its port and the end of
// its IP, what tells connections of one host apart. Read whole, not
// hashed byte by byte.
uint64_t tail(const std::string& s) {
  uint64_t v = 0;
  size_t n = std::min<size_t>(sizeof v, s.size());
  std::memcpy(&v, s.data() + s.size() - n, n);
  return v ^ (uint64_t{s.size()} << 56);
}

// Every input bit moves every output bit (MurmurHash3's finalizer): the
// addresses of one host's connections differ only in their last bytes.
uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

}  // namespace

bool same_connection(const Record& a, const Record& b) {
  return a.role == b.role && a.protocol == b.protocol && a.pid == b.pid &&
         same_text(a.local_addr, b.local_addr) && same_text(a.remote_addr, b.remote_addr) &&
         same_text(a.comm, b.comm) && same_text(a.host, b.host) && same_text(a.node, b.node) &&
         same_text(a.namespace_, b.namespace_) && same_text(a.workload, b.workload) &&
         same_text(a.service, b.service) && same_text(a.remote_namespace, b.remote_namespace) &&
         same_text(a.remote_workload, b.remote_workload) &&
         same_text(a.remote_service, b.remote_service);
}

size_t ConnectionAnswers::slot_of(const Record& r) {
  uint64_t h = (uint64_t{r.pid} << 16) ^ (uint64_t{static_cast<uint8_t>(r.role)} << 8) ^
               static_cast<uint64_t>(r.protocol);
  h = mix(h ^ tail(r.local_addr));
  h = mix(h ^ tail(r.remote_addr));
  return static_cast<size_t>(h) & (kSlots - 1);
}

ConnectionAnswer* ConnectionAnswers::find(const Record& r) {
  const Slot& slot = slots_[slot_of(r)];
  if (slot.stamp != stamp_) return nullptr;
  ConnectionAnswer& a = answers_[slot.answer];
  return same_connection(*a.exemplar, r) ? &a : nullptr;
}

ConnectionAnswer& ConnectionAnswers::add(const Record& r) {
  if (used_ == kAnswers) forget();
  if (used_ == answers_.size()) answers_.emplace_back();
  ConnectionAnswer& a = answers_[used_];
  slots_[slot_of(r)] = {static_cast<uint32_t>(used_), stamp_};
  ++used_;
  a.exemplar = &r;
  a.folded = false;
  a.caller_pid = 0;
  a.caller_by_service = false;
  a.workload_served = false;
  a.route = nullptr;
  a.route_admitted = false;
  return a;
}

}  // namespace loupe::pipeline
