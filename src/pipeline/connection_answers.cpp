#include "pipeline/connection_answers.h"

#include "core/same_text.h"

namespace loupe::pipeline {

namespace {

// Whether two identities name the same node, namespace, workload and
// service (what an answer depends on; not the pod): at once when they are
// one interned object, as a connection's records' are.
bool same_answer_identity(const PodIdentityRef& a, const PodIdentityRef& b) {
  if (a == b) return true;
  const PodIdentity& x = a ? *a : kNoPodIdentity;
  const PodIdentity& y = b ? *b : kNoPodIdentity;
  return same_text(x.node, y.node) && same_text(x.namespace_, y.namespace_) &&
         same_text(x.workload, y.workload) && same_text(x.service, y.service);
}

}  // namespace

bool same_connection(const Record& a, const Record& b) {
  return a.role == b.role && a.protocol == b.protocol && a.pid == b.pid &&
         same_text(a.local_addr, b.local_addr) && same_text(a.remote_addr, b.remote_addr) &&
         same_text(a.comm, b.comm) && same_text(a.host, b.host) &&
         same_answer_identity(a.local_identity, b.local_identity) &&
         same_answer_identity(a.remote_identity, b.remote_identity);
}

size_t ConnectionAnswers::slot_of(const Record& r) {
  uint64_t h = (uint64_t{r.pid} << 16) ^ (uint64_t{static_cast<uint8_t>(r.role)} << 8) ^
               static_cast<uint64_t>(r.protocol);
  h = mix_word(h ^ text_tail(r.local_addr));  // a port and the end of an IP
  h = mix_word(h ^ text_tail(r.remote_addr));
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
  a.service = nullptr;
  a.caller = nullptr;
  a.folded = false;
  a.caller_pid = 0;
  a.caller_by_service = false;
  a.workload_served = false;
  a.route = nullptr;
  a.route_admitted = false;
  return a;
}

}  // namespace loupe::pipeline
