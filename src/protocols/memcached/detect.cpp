// Recognising a memcached connection from the first request line.
#include "protocols/memcached/command.h"
#include "protocols/memcached/memcached.h"

namespace loupe::memcached {
namespace {

// memcached reads at most this much looking for a line end (its key limit
// plus room for flags); a longer first line is not memcached.
constexpr size_t kMaxFirstLine = 2048;

}  // namespace

Detection detect(std::string_view first_bytes, Direction dir, Role role) {
  // Clients speak first; replies first means the capture started mid-stream.
  if (role != Role::Unknown && dir != request_direction(role)) return Detection::NoMatch;
  size_t end = first_bytes.find('\n');
  if (end == std::string_view::npos) {
    if (first_bytes.size() > kMaxFirstLine) return Detection::NoMatch;
    // Wait while the bytes could still become a command line.
    size_t word_end = first_bytes.find_first_of(" \r");
    if (word_end == std::string_view::npos)
      return is_command_word(first_bytes, true) ? Detection::NeedMore : Detection::NoMatch;
    return is_command_word(first_bytes.substr(0, word_end)) ? Detection::NeedMore
                                                            : Detection::NoMatch;
  }
  std::string_view line = first_bytes.substr(0, end);
  if (line.empty() || line.back() != '\r') return Detection::NoMatch;
  line.remove_suffix(1);
  // A lone "quit" says nothing: other text protocols have one too.
  auto cmd = parse_command(line);
  return cmd && cmd->shape != ReplyShape::Closes ? Detection::Match : Detection::NoMatch;
}

}  // namespace loupe::memcached
