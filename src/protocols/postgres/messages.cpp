#include "protocols/postgres/messages.h"

#include "core/utf8.h"
#include "protocols/sql/wire.h"

namespace loupe::postgres {

ErrorFields parse_error(std::string_view body) {
  std::string_view severity, severity_v, code, message;
  std::size_t pos = 0;
  while (pos < body.size() && body[pos] != '\0') {
    const char field = body[pos++];
    std::string_view value = sql::read_cstr(body, pos);
    switch (field) {
      case 'S':
        severity = value;
        break;
      case 'V':
        severity_v = value;
        break;  // not localized (9.6+): preferred
      case 'C':
        code = value;
        break;
      case 'M':
        message = value;
        break;
      default:
        break;
    }
  }
  ErrorFields e;
  e.sqlstate = std::string(code.substr(0, 5));
  std::string_view sev = severity_v.empty() ? severity : severity_v;
  e.message.reserve(sev.size() + 2 + message.size());
  e.message.append(sev);
  if (!sev.empty()) e.message += ": ";
  e.message.append(utf8::cut(message, 1024));
  return e;
}

std::string startup_database(std::string_view params) {
  std::string_view user, database;
  std::size_t pos = 0;
  while (pos < params.size() && params[pos] != '\0') {
    std::string_view key = sql::read_cstr(params, pos);
    std::string_view value = sql::read_cstr(params, pos);
    if (key == "database") database = value;
    if (key == "user") user = value;
  }
  return std::string(database.empty() ? user : database);
}

}  // namespace loupe::postgres
