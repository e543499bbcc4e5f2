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

}  // namespace loupe::exporting
