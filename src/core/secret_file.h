// A secret kept in a file of its own (a database password_file): the file's
// content without the newline an editor or `echo` leaves at its end. Secrets
// are never taken from URLs or flags, which end up in process lists and logs.
#pragma once

#include <optional>
#include <string>

namespace loupe {

// nullopt when the file cannot be read.
std::optional<std::string> read_secret_file(const std::string& path);

}  // namespace loupe
