// CPU profile stacks in pprof's format (the Profile message of
// github.com/google/pprof's proto/profile.proto, gzip-compressed as pprof
// files are), for `go tool pprof`, Grafana and other pprof readers:
// GET /api/v1/profile?format=pprof.
#pragma once

#include <cstdint>
#include <string>

#include "core/profile_stacks.h"

namespace loupe::server {

// One sample type, "samples"/"count"; one function and one location per
// distinct frame name (Loupe stores names, not addresses); each chain a
// sample, leaf first as pprof wants.
std::string to_pprof(const ProfileStacks& stacks, uint64_t time_ns, uint64_t duration_ns);

}  // namespace loupe::server
