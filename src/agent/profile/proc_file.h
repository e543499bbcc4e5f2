// A /proc file read whole with read(2) into a buffer the caller keeps: the
// profiler reads every sampled process's stat each round, and the maps of
// each new one, where std::ifstream and a stringstream cost a stream and
// its buffer, a locale and two copies of the text a read.
#pragma once

#include <string>

namespace loupe::profile {

// The contents of the file at `path` in `out` (its capacity kept from one
// read to the next). False when it cannot be opened or read (a process
// that exited).
bool read_proc_file(const std::string& path, std::string& out);

}  // namespace loupe::profile
