// libFuzzer target for the AMQP 0-9-1 parser (driver: protocol_fuzz_driver.h).
#include "protocol_fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loupe::fuzz::fuzz_protocol(loupe::Protocol::Amqp, data, size, [](const loupe::Record&) {});
  return 0;
}
