// Continuous profiling's unit of data: the CPU samples of one process in one
// minute, aggregated by call chain. The agent builds them
// (agent/profile/continuous_profiler.h), the server names their Kubernetes
// entities, the store keeps them with deduplicated stack and frame tables
// (store/profile_tables.h). Wire shape (POST /api/v1/profile/ingest,
// docs/profiling.md): one frame table per batch, stacks as indexes into it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/batch_key.h"
#include "core/profile_stacks.h"

namespace loupe {

// Who the samples belong to.
struct ProfileEntity {
  std::string node;
  uint32_t pid = 0;
  std::string process;  // the process's name (comm)
  // Set by the agent for processes in kubepods cgroups; the server turns
  // them into the names below from the cluster model.
  std::string container_id, pod_uid;
  std::string namespace_, pod, container;
  std::string workload;  // "namespace/Kind/name"
};

struct ProfileMinute {
  uint64_t minute_s = 0;  // the minute's start, unix seconds
  ProfileEntity entity;
  // Chains of frames, outermost caller first, without the process name;
  // kernel frames end in "_[k]".
  ProfileStacks stacks;
};

// What a batch may hold, so a bad or hostile body costs bounded memory.
struct ProfileBatchLimits {
  size_t max_frames = 1'000'000;
  size_t max_stacks = 1'000'000;
  size_t max_depth = 512;  // frames in one chain
};

// {"frames": [names], "profiles": [{"minute", "node", "pid", "process",
// "container_id", "pod_uid", "namespace", "pod", "container", "workload",
// "stacks": [[[frame index, ...], samples], ...]}, ...],
// "batch": {"agent", "seq"}}, with `key` as its "batch": the agent's POST
// body every ship interval. Written straight as text: a nlohmann DOM,
// built and dumped, allocated per frame, stack and field.
std::string profile_batch_json_text(const std::vector<ProfileMinute>& batch, const BatchKey& key);
// Throws std::invalid_argument naming what is wrong (a bad index, a limit
// passed, a wrong type). Frame names are passed through clean_frame_name().
std::vector<ProfileMinute> profile_batch_from_json(const nlohmann::json& j,
                                                   const ProfileBatchLimits& limits = {});

// The memory a minute holds (struct, strings, stack map nodes), for the
// agent's byte budget.
size_t memory_bytes(const ProfileMinute& m);

}  // namespace loupe
