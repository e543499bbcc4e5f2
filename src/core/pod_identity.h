// The Kubernetes identity of one side of a record, held once and shared.
//
// Every record of a pod names the same node, namespace, pod, container,
// workload and service, and on a bare host it names none. So a record
// holds a pointer to an immutable identity, null when there is none,
// instead of ten strings of its own (320 of its 728 bytes, moved with it
// through every queue and vector). `intern` gives the one shared object
// for an identity, so the records of one pod point at one copy.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>

namespace loupe {

struct PodIdentity {
  std::string node;  // local side only
  std::string namespace_;
  std::string pod;
  std::string container;  // local side only
  std::string workload;   // "Kind/name", e.g. "Deployment/api"
  std::string service;

  bool empty() const {
    return node.empty() && namespace_.empty() && pod.empty() && container.empty() &&
           workload.empty() && service.empty();
  }
  bool operator==(const PodIdentity&) const = default;
};

// The two sides' ten fields, in the order records had them (and stores
// keep): node, namespace, pod, container, workload, service, then the
// remote namespace, pod, workload and service. `Id` may be const.
template <typename Id>
auto identity_fields(Id& local, Id& remote) {
  return std::array{&local.node,      &local.namespace_, &local.pod,         &local.container,
                    &local.workload,  &local.service,    &remote.namespace_, &remote.pod,
                    &remote.workload, &remote.service};
}

// Null: no identity (a bare host, a peer outside the cluster).
using PodIdentityRef = std::shared_ptr<const PodIdentity>;

// What a null identity reads as. Not `constinit`: clang cannot evaluate
// libstdc++ 12's std::string constructor as a constant (the fuzz build).
inline const PodIdentity kNoPodIdentity{};

// The one shared copy of `id` (null when it is empty). Thread-safe: a
// process-wide table under a lock, which lets go of identities no record
// holds any more as it grows. Callers with many records in a row keep an
// IdentityMemo in front of it.
PodIdentityRef intern(const PodIdentity& id);

// Whether two identities say the same (pointers compared first: interned
// ones are equal exactly when they are the same object).
bool same_identity(const PodIdentityRef& a, const PodIdentityRef& b);

// A writable copy of `ref`'s identity, which `ref` then points at: for
// tests and one-off records; not interned (intern what many records share).
PodIdentity& edit(PodIdentityRef& ref);

// The last few identities a decoder or enricher interned, compared before
// the process-wide table: a batch's records come from a few pods, often
// one after the other, so most lookups take neither its lock nor a hash.
class IdentityMemo {
 public:
  PodIdentityRef get(const PodIdentity& id);

 private:
  std::array<PodIdentityRef, 4> recent_;
  size_t next_ = 0;
};

}  // namespace loupe
