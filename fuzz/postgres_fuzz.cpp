// libFuzzer target for the postgres parser (driver: protocol_fuzz_driver.h),
// plus the SQL normalizer in its dialect on the raw bytes.
#include <cstdlib>

#include "protocol_fuzz_driver.h"
#include "protocols/sql/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using loupe::sql::kMaxNormalized;
  loupe::fuzz::fuzz_protocol(loupe::Protocol::Postgres, data, size, [](const loupe::Record& r) {
    if (r.route.size() > kMaxNormalized) std::abort();
  });
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  const auto dialect = loupe::sql::Dialect::Postgres;
  if (loupe::sql::normalize_sql(raw, dialect).size() > kMaxNormalized) std::abort();
  (void)loupe::sql::mask_sql_literals(raw, dialect);
  (void)loupe::sql::sql_operation(raw);
  return 0;
}
