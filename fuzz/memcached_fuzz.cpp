// libFuzzer target for the memcached parser (driver: protocol_fuzz_driver.h).
#include "protocol_fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loupe::fuzz::fuzz_protocol(loupe::Protocol::Memcached, data, size, [](const loupe::Record&) {});
  return 0;
}
