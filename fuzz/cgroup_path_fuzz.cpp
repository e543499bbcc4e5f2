// libFuzzer target for the cgroup path parser (/proc/PID/cgroup -> pod and
// container): the ids it returns end up in records, so they must be valid
// UTF-8 and bounded whatever the file holds.
#include <cstdlib>

#include "core/utf8.h"
#include "k8s/cgroup_path.h"

namespace {

void check(const loupe::k8s::ContainerIdentity& id, size_t input_size) {
  for (const std::string* s : {&id.container_id, &id.pod_uid, &id.runtime, &id.qos})
    if (!loupe::utf8::is_valid(*s) || s->size() > input_size + 64) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check(loupe::k8s::parse_proc_cgroup(text), size);
  check(loupe::k8s::parse_cgroup_path(text), size);
  return 0;
}
