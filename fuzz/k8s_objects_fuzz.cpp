// libFuzzer target for the Kubernetes object readers: any bytes as an API
// object, a collector's compact object or a resource quantity must read as
// empty fields or a json exception (which callers turn into a 400 or a
// skipped change), never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "k8s/metadata_store.h"
#include "k8s/objects.h"
#include "k8s/quantity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace loupe::k8s;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_quantity(text);
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  // API objects: defensive readers, no exceptions allowed.
  MetadataStore store;
  for (const char* resource : {"pods", "nodes", "deployments", "daemonsets", "jobs", "cronjobs"})
    store.apply(resource, WatchType::Added, j);
  (void)store.pods();
  (void)pod_from_json(to_json(pod_from_api(j)));
  (void)node_from_json(to_json(node_from_api(j)));
  // Compact objects from a collector: a mistyped field may throw json's own exceptions.
  try {
    (void)pod_from_json(j);
    (void)node_from_json(j);
    (void)workload_from_json(j);
    (void)store.apply_change({{"op", "upsert"}, {"kind", "pod"}, {"object", j}}, nullptr);
  } catch (const nlohmann::json::exception&) {
  }
  return 0;
}
