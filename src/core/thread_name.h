// Names the calling thread for top -H, perf and /proc/PID/task/*/comm, so a
// profile of `loupe run` says which of its threads spent the CPU (every
// unnamed thread shows as "loupe"). Linux keeps at most 15 characters.
#pragma once

#include <pthread.h>

namespace loupe {

// `name`: at most 15 characters ("loupe-ingest"); a longer one is left
// unset by the kernel, so keep them short.
inline void name_this_thread(const char* name) { pthread_setname_np(pthread_self(), name); }

}  // namespace loupe
