// OpenTelemetry semantic-convention values Loupe's exports share
// (Prometheus /metrics and OTLP).
#pragma once

#include <string_view>

#include "core/record.h"

namespace loupe::exporting {

// db.system.name of a database or cache protocol; empty for the others.
constexpr std::string_view db_system(Protocol p) {
  switch (p) {
    case Protocol::Postgres:
      return "postgresql";
    case Protocol::Mysql:
      return "mysql";
    case Protocol::Redis:
      return "redis";
    case Protocol::Memcached:
      return "memcached";
    default:
      return "";
  }
}

// messaging.system of a message protocol; empty for the others.
constexpr std::string_view messaging_system(Protocol p) {
  switch (p) {
    case Protocol::Nats:
      return "nats";
    default:
      return "";
  }
}

// What a message protocol's record did, in the messaging conventions'
// terms: "send" (a publish), "receive" (a delivery to a subscriber), or
// empty (subscriptions, pings, errors: not a message).
constexpr std::string_view messaging_operation_type(std::string_view method) {
  if (method == "PUB" || method == "HPUB") return "send";
  if (method == "MSG" || method == "HMSG") return "receive";
  return "";
}

}  // namespace loupe::exporting
