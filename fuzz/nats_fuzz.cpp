// libFuzzer target for the NATS parser (driver: protocol_fuzz_driver.h).
#include "protocol_fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loupe::fuzz::fuzz_protocol(loupe::Protocol::Nats, data, size, [](const loupe::Record&) {});
  return 0;
}
