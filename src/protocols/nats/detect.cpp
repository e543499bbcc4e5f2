// Recognising a NATS connection from its first bytes.
#include "protocols/nats/nats.h"

namespace loupe::nats {
namespace {

// NeedMore while `bytes` is a prefix of `greeting`, Match once it starts with it.
Detection starts_with(std::string_view bytes, std::string_view greeting) {
  if (bytes.size() < greeting.size())
    return greeting.starts_with(bytes) ? Detection::NeedMore : Detection::NoMatch;
  return bytes.starts_with(greeting) ? Detection::Match : Detection::NoMatch;
}

}  // namespace

Detection detect(std::string_view first_bytes, Direction dir, Role role) {
  if (first_bytes.empty()) return Detection::NeedMore;
  const bool request = role == Role::Unknown || dir == request_direction(role);
  const bool reply = role == Role::Unknown || dir != request_direction(role);
  Detection d = Detection::NoMatch;
  if (reply) d = starts_with(first_bytes, "INFO {");
  if (request && d == Detection::NoMatch) d = starts_with(first_bytes, "CONNECT {");
  return d;
}

}  // namespace loupe::nats
