#pragma once

#include <string>

#include "core/record.h"

namespace loupe::cli {

// One human-readable line per record:
// 12:53:44.123456 server nginx[812] 127.0.0.1:80 <- 127.0.0.1:40112 http1 GET /a 200 1.21ms
// 78B/612B
std::string format_record_text(const Record& r);

// 850ns, 12.4us, 1.21ms, 2.50s
std::string format_duration(uint64_t ns);

}  // namespace loupe::cli
