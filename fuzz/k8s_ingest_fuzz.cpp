// libFuzzer target for the collector's payload (POST /api/v1/k8s/ingest):
// any JSON is applied or refused with a ParamError, and records enriched
// from the resulting model carry valid UTF-8 names. The store is a stand-in
// that keeps nothing: the target is the model, not SQLite.
#include <cstdlib>

#include "core/record_limits.h"
#include "core/utf8.h"
#include "server/api_params.h"
#include "server/cluster_model.h"

namespace {

using namespace loupe;

class NullStore : public store::Store {
 public:
  void write_batch(const std::vector<Record>&, store::IngestBookkeeping*) override {}
  bool has_batch(const store::BatchKey&) override { return false; }
  std::vector<store::HeldBatch> held_batches() override { return {}; }
  void write_losses(const std::vector<store::LossMinute>&) override {}
  std::vector<store::LossMinute> losses(const store::TimeRange&) override { return {}; }
  std::vector<store::ServiceSummary> services(const store::TimeRange&) override { return {}; }
  std::vector<store::EndpointSummary> endpoints(const std::optional<std::string>&,
                                                const store::TimeRange&) override {
    return {};
  }
  std::vector<store::LatencyPoint> latency(const store::LatencyQuery&) override { return {}; }
  std::vector<store::StoredRequest> requests(const store::RequestQuery&) override { return {}; }
  store::StoreStats stats() override { return {}; }
  std::vector<store::MapEdge> map(const store::TimeRange&) override { return {}; }
  std::vector<store::WorkloadSummary> workloads(const store::TimeRange&) override { return {}; }
  std::vector<store::PodSummary> pods(const std::optional<std::string>&,
                                      const store::TimeRange&) override {
    return {};
  }
  void write_k8s(const store::K8sIngest&) override {}
  std::optional<store::K8sHistory> k8s_history() override { return std::nullopt; }
  std::vector<ClusterEvent> events(const store::EventQuery&) override { return {}; }
  void write_metrics(const std::vector<MetricSample>&) override {}
  std::vector<store::MetricPoint> metrics(const store::MetricQuery&) override { return {}; }
  std::vector<store::MetricSeriesInfo> metric_series(const store::MetricSeriesQuery&) override {
    return {};
  }
  uint64_t write_logs(const std::vector<logs::Entry>&) override { return 0; }
  std::vector<store::StoredLog> logs(const store::LogQuery&) override { return {}; }
  std::vector<store::LogHistogramPoint> log_histogram(const store::LogQuery&, uint64_t) override {
    return {};
  }
  uint64_t count_logs(const store::LogQuery&) override { return 0; }
  uint64_t enforce_retention(uint64_t) override { return 0; }
};

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
    if (!utf8::is_valid(r.*f.member)) std::abort();
  return 0;
}
