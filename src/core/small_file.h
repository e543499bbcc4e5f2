// A small file (a /proc or cgroup file, a token, a config) read whole with
// read(2). The agent reads /proc and cgroup files on every round of its
// samplers; a stream (std::ifstream and a stringstream) costs a locale, its
// buffer and two copies of the text a read, and /proc files have no size to
// ask for. One reader for all of them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace loupe {

// Past this a file is not small (a path given by mistake: /dev/zero, a
// log): the read fails rather than grow without bound. The largest read
// here is a big process's /proc/PID/maps, ~100 bytes a mapping.
inline constexpr size_t kMaxSmallFileBytes = size_t{64} << 20;

// The contents of `path` in `out`, whose capacity is kept from one read to
// the next (callers that read every round keep one buffer). false, `out`
// empty and errno kept, when it cannot be opened or read (a process that
// exited: ENOENT or ESRCH), or holds kMaxSmallFileBytes or more (EFBIG).
bool read_small_file(const std::string& path, std::string& out);

// The same as a value: nullopt when it cannot be read.
std::optional<std::string> read_small_file(const std::string& path);

}  // namespace loupe
