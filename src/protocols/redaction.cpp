#include "protocols/redaction.h"

#include "protocols/sql/normalize.h"

namespace loupe {

std::optional<Redaction> redaction_from_string(std::string_view s) {
  if (s == "default") return Redaction::Default;
  if (s == "off") return Redaction::Off;
  if (s == "strict") return Redaction::Strict;
  return std::nullopt;
}

std::string_view to_string(Redaction r) {
  switch (r) {
    case Redaction::Off:
      return "off";
    case Redaction::Strict:
      return "strict";
    case Redaction::Default:
      break;
  }
  return "default";
}

std::string mask_query_values(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view query = target.substr(q + 1);
  bool first = true;
  while (true) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    size_t eq = pair.find('=');
    out.append(pair.substr(0, eq == std::string_view::npos ? eq : eq + 1));
    if (eq != std::string_view::npos && eq + 1 < pair.size()) out += '?';  // never longer
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

void redact_record(Record& r, Redaction level) {
  if (level == Redaction::Off) return;
  const bool sql = r.protocol == Protocol::Postgres || r.protocol == Protocol::Mysql;
  if (r.protocol == Protocol::Http1 || r.protocol == Protocol::Http2)
    r.path = level == Redaction::Strict ? r.route : mask_query_values(r.path);
  if (sql && !r.error_message.empty())
    r.error_message = sql::mask_sql_literals(r.error_message, r.protocol == Protocol::Mysql
                                                                  ? sql::Dialect::Mysql
                                                                  : sql::Dialect::Postgres);
  if (level != Redaction::Strict) return;
  r.error_message.clear();
  if (r.protocol == Protocol::Redis || r.protocol == Protocol::Memcached) r.path.clear();
  // A NATS subject or AMQP routing key may carry ids (orders.1234.paid):
  // its route folds them.
  if (r.protocol == Protocol::Nats || r.protocol == Protocol::Amqp) r.path = r.route;
  if (r.protocol == Protocol::Dns) r.detail.clear();
}

}  // namespace loupe
