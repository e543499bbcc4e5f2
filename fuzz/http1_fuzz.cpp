// libFuzzer target for the HTTP/1 parser (driver: protocol_fuzz_driver.h).
#include <cstdlib>

#include "protocol_fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loupe::fuzz::fuzz_protocol(loupe::Protocol::Http1, data, size, [](const loupe::Record& r) {
    if (r.path.size() > 1024 || r.route.size() > 1024 ||
        (!r.trace_id.empty() && r.trace_id.size() != 32))
      std::abort();
  });
  return 0;
}
