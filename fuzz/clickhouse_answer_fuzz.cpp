// libFuzzer target for the decoders of ClickHouse's HTTP answers
// (store/clickhouse/answer.h): a TabSeparated result set, an exception text,
// a version string and numbers (unsigned, signed, Float64). Any bytes either decode or throw
// Error(BadAnswer); a decoded result keeps its invariants: rows of equal width, an exception
// message on one bounded line, a version that prints and parses back.
#include <cstdlib>

#include "store/clickhouse/answer.h"
#include "store/clickhouse/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace loupe::store::clickhouse;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    auto rows = parse_tsv(input);
    size_t bytes = 0;
    for (const auto& row : rows) {
      if (row.size() != rows.front().size()) std::abort();
      for (const auto& field : row) bytes += field.size();
    }
    if (bytes > size) std::abort();  // unescaping only ever shrinks
  } catch (const Error& e) {
    if (e.kind() != Error::Kind::BadAnswer) std::abort();
  }
  ServerException e = parse_exception(input);
  if (e.message.empty() || e.message.size() > 503 || e.code < 0) std::abort();
  for (char c : e.message)
    if (static_cast<unsigned char>(c) < 0x20) std::abort();
  try {
    (void)parse_uint(input);
    for (char c : input)  // only plain digits are numbers
      if (c < '0' || c > '9') std::abort();
  } catch (const Error& e) {
    if (e.kind() != Error::Kind::BadAnswer) std::abort();
  }
  try {
    (void)parse_double(input);
  } catch (const Error& e) {
    if (e.kind() != Error::Kind::BadAnswer) std::abort();
  }
  try {
    (void)parse_int(input);
  } catch (const Error& e) {
    if (e.kind() != Error::Kind::BadAnswer) std::abort();
  }
  if (auto v = parse_version(input)) {
    auto again = parse_version(v->to_string());
    if (!again || *again != *v) std::abort();
  }
  return 0;
}
