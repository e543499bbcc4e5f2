// Names one agent batch, so a batch sent again (its acknowledgement lost,
// or replayed from the agent's spool after a restart) is stored once: the
// agent run's random id and the batch's sequence number in that run. The
// batch codec carries it (core/batch_codec.h) and the stores keep it
// (store/store.h, has_batch).
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace loupe {

struct BatchKey {
  std::string agent;
  uint64_t seq = 0;
  auto operator<=>(const BatchKey&) const = default;
};

}  // namespace loupe
