// libFuzzer target for the agents' profile batches (POST /api/v1/profile/ingest,
// core/profile_minute.h): any body is either refused (a JSON parse error or
// std::invalid_argument) or yields minutes within the limits whose frames
// are clean (valid UTF-8, no ';' or line breaks), and which survive a round
// trip through the wire shape unchanged.
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/profile_minute.h"
#include "core/utf8.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace loupe;
  const ProfileBatchLimits limits{.max_frames = 256, .max_stacks = 256, .max_depth = 32};
  std::vector<ProfileMinute> minutes;
  try {
    auto j = nlohmann::json::parse(data, data + size);
    minutes = profile_batch_from_json(j, limits);
  } catch (const nlohmann::json::exception&) {
    return 0;
  } catch (const std::invalid_argument&) {
    return 0;
  }
  size_t stacks = 0;
  for (const ProfileMinute& m : minutes) {
    if (m.minute_s % 60) std::abort();
    for (const auto& [chain, samples] : m.stacks.stacks()) {
      ++stacks;
      if (!utf8::is_valid(chain) || chain.find('\n') != std::string::npos) std::abort();
    }
  }
  if (stacks > limits.max_stacks) std::abort();
  auto again = profile_batch_from_json(
      nlohmann::json::parse(profile_batch_json_text(minutes, {.agent = "fuzz", .seq = 1})));
  if (again.size() != minutes.size()) std::abort();
  for (size_t i = 0; i < minutes.size(); ++i)
    if (again[i].stacks.stacks() != minutes[i].stacks.stacks() ||
        again[i].entity.process != minutes[i].entity.process)
      std::abort();
  return 0;
}
