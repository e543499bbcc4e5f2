#include "pipeline/connection_answers.h"

#include "core/same_text.h"

namespace loupe::pipeline {

namespace {

// Whether two identities name the same node, namespace, workload and
// service (what an answer depends on; not the pod): at once when they are
// one interned object, as a connection's records' are.
[[gnu::noinline]] bool same_named_identity(const PodIdentity* a, const PodIdentity* b) {
  const PodIdentity& x = a ? *a : kNoPodIdentity;
  const PodIdentity& y = b ? *b : kNoPodIdentity;
  return same_text(x.node, y.node) && same_text(x.namespace_, y.namespace_) &&
         same_text(x.workload, y.workload) && same_text(x.service, y.service);
}

inline bool same_answer_identity(const PodIdentityRef& a, const PodIdentityRef& b) {
  return a.get() == b.get() || same_named_identity(a.get(), b.get());
}

// same_connection, inlined where every record asks it (probe): a call
// per record was ~15 instructions more.
[[gnu::always_inline]] inline bool connection_matches(const Record& a, const Record& b) {
  return a.role == b.role && a.protocol == b.protocol && a.pid == b.pid &&
         same_text(a.local_addr, b.local_addr) && same_text(a.remote_addr, b.remote_addr) &&
         same_text(a.comm, b.comm) && same_text(a.host, b.host) &&
         same_answer_identity(a.local_identity, b.local_identity) &&
         same_answer_identity(a.remote_identity, b.remote_identity);
}

}  // namespace

bool same_connection(const Record& a, const Record& b) { return connection_matches(a, b); }

// Inline in find() (as probe()): a record's lookup is one function.
[[gnu::always_inline]] inline uint64_t ConnectionAnswers::hash_of(const Record& r) {
  uint64_t h = (uint64_t{r.pid} << 16) ^ (uint64_t{static_cast<uint8_t>(r.role)} << 8) ^
               static_cast<uint64_t>(r.protocol);
  h = mix_word(h ^ text_tail(r.local_addr));  // a port and the end of an IP
  return mix_word(h ^ text_tail(r.remote_addr));
}

[[gnu::always_inline]] inline size_t ConnectionAnswers::probe(const Record& r,
                                                              uint64_t hash) const {
  for (size_t i = hash & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
    const Slot& slot = slots_[i];
    if (slot.stamp != stamp_ ||
        (slot.hash == hash && connection_matches(*answers_[slot.answer].exemplar, r)))
      return i;
  }
}

ConnectionAnswer* ConnectionAnswers::find(const Record& r) {
  const Slot& slot = slots_[probe(r, hash_of(r))];
  return slot.stamp == stamp_ ? &answers_[slot.answer] : nullptr;
}

ConnectionAnswer& ConnectionAnswers::add(const Record& r) {
  if (used_ == kAnswers) forget();
  if (used_ == answers_.size()) answers_.emplace_back();
  ConnectionAnswer& a = answers_[used_];
  uint64_t hash = hash_of(r);
  slots_[probe(r, hash)] = {static_cast<uint32_t>(used_), stamp_, hash};
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
  a.labels = 0;
  a.labelled = nullptr;
  return a;
}

}  // namespace loupe::pipeline
