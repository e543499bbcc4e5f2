// libFuzzer target for the collector's payload (POST /api/v1/k8s/ingest):
// any JSON is applied or refused with a ParamError, and records enriched
// from the resulting model carry valid UTF-8 names. The store is a stand-in
// that keeps nothing: the target is the model, not SQLite.
#include <cstdlib>

#include "../tests/support/null_store.h"
#include "core/record_limits.h"
#include "core/utf8.h"
#include "server/api_params.h"
#include "server/cluster_model.h"

namespace {

using namespace loupe;

using NullStore = testing::NullStore;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto payload = nlohmann::json::parse(reinterpret_cast<const char*>(data),
                                       reinterpret_cast<const char*>(data) + size, nullptr,
                                       /*allow_exceptions=*/false);
  if (payload.is_discarded()) return 0;
  NullStore store;
  server::ClusterModel model(store, 0);
  try {
    model.ingest(payload, 1'800'000'000ULL * 1'000'000'000ULL);
  } catch (const server::ParamError&) {
  }
  // Records as an agent sends them: container id / pod uid to be named.
  Record r;
  r.role = Role::Server;
  r.local_addr = "10.0.0.1:80";
  r.remote_addr = "10.0.0.2:5000";
  model.enrich(r);
  for (const TextField& f : record_text_fields())
    if (!utf8::is_valid(text_of(r, f))) std::abort();
  return 0;
}
