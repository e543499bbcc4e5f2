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
    case Protocol::Amqp:
      return "rabbitmq";
    default:
      return "";
  }
}

// What a message protocol's record did, in the messaging conventions'
// terms: "send" (a publish), "receive" (a delivery to a subscriber or a
// basic.get), or empty (subscriptions, declarations, pings, errors: not a
// message).
constexpr std::string_view messaging_operation_type(std::string_view method) {
  if (method == "PUB" || method == "HPUB" || method == "basic.publish") return "send";
  if (method == "MSG" || method == "HMSG" || method == "basic.deliver" || method == "basic.get")
    return "receive";
  return "";
}

}  // namespace loupe::exporting
