#include "core/pod_identity.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace loupe {
namespace {

struct IdentityHash {
  size_t operator()(const PodIdentity& id) const {
    std::hash<std::string> h;
    size_t v = h(id.node);
    for (const std::string* s : {&id.namespace_, &id.pod, &id.container, &id.workload, &id.service})
      v = v * 1000003u ^ h(*s);
    return v;
  }
};

// The identities in use. An entry only the table holds belongs to no
// record any more: those go when the table has doubled since the last
// sweep (pods come and go; the table stays near the live ones).
class InternTable {
 public:
  PodIdentityRef get(const PodIdentity& id) {
    std::lock_guard lock(mu_);
    if (auto it = table_.find(id); it != table_.end()) return it->second;
    if (table_.size() >= sweep_at_) sweep();
    return table_.emplace(id, std::make_shared<const PodIdentity>(id)).first->second;
  }

 private:
  static constexpr size_t kMinSweep = 1024;
  void sweep() {
    std::erase_if(table_, [](const auto& e) { return e.second.use_count() == 1; });
    sweep_at_ = std::max(kMinSweep, 2 * table_.size());
  }
  std::mutex mu_;
  std::unordered_map<PodIdentity, PodIdentityRef, IdentityHash> table_;
  size_t sweep_at_ = kMinSweep;
};

}  // namespace

PodIdentityRef intern(const PodIdentity& id) {
  if (id.empty()) return nullptr;
  static InternTable* table = new InternTable;  // never destroyed: records may outlive statics
  return table->get(id);
}

bool same_identity(const PodIdentityRef& a, const PodIdentityRef& b) {
  if (a == b) return true;
  return (a ? *a : kNoPodIdentity) == (b ? *b : kNoPodIdentity);
}

PodIdentity& edit(PodIdentityRef& ref) {
  auto copy = std::make_shared<PodIdentity>(ref ? *ref : kNoPodIdentity);
  PodIdentity& writable = *copy;
  ref = std::move(copy);
  return writable;
}

PodIdentityRef IdentityMemo::get(const PodIdentity& id) {
  if (id.empty()) return nullptr;
  for (const PodIdentityRef& seen : recent_)
    if (seen && *seen == id) return seen;
  PodIdentityRef ref = intern(id);
  recent_[next_] = ref;
  next_ = (next_ + 1) % recent_.size();
  return ref;
}

}  // namespace loupe
