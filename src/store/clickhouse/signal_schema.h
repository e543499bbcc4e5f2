// The tables of the signals that moved to ClickHouse after records (so
// every server replica answers them alike): metric samples (migration 5),
// logs and log patterns (6), Kubernetes events (7), CPU profiles (8).
// Kept apart from store_schema.cpp (records) and schema.cpp (the list of
// migrations).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/clickhouse/features.h"

namespace loupe::store::clickhouse {

std::vector<std::string> metric_tables_ddl(const Features& features);
// The tables metric_tables_ddl creates.
std::vector<std::string_view> metric_tables();
std::vector<std::string> log_tables_ddl(const Features& features);
std::vector<std::string_view> log_tables();
std::vector<std::string> event_tables_ddl(const Features& features);
std::vector<std::string_view> event_tables();
std::vector<std::string> profile_tables_ddl(const Features& features);
std::vector<std::string_view> profile_tables();

}  // namespace loupe::store::clickhouse
