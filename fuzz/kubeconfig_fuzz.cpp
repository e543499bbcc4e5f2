// libFuzzer target for the kubeconfig reader: any text is a config or an
// error message, never a crash or a hang. File references resolve against
// a directory that does not exist, so nothing outside the input is read.
#include <cstdlib>

#include "k8s/kube_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto config = loupe::k8s::parse_kubeconfig(yaml, "/nonexistent-loupe-fuzz", "", &error);
  if (!config && error.empty()) std::abort();  // a refusal always says why
  return 0;
}
