// Decoders of what a ClickHouse server answers over HTTP: TabSeparated
// result sets, exception texts, and the version string. Everything here
// takes untrusted bytes (fuzz/clickhouse_answer_fuzz.cpp) and either decodes
// them or throws Error(Kind::BadAnswer); nothing reads past its input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loupe::store::clickhouse {

using TsvRow = std::vector<std::string>;

// A TabSeparated result: one row per '\n'-terminated line, fields split on
// '\t', escapes (\t \n \\ \0 \b \f \r \' and '\' before any other byte)
// undone. Every row must have `columns` fields (0: any, but all the same).
std::vector<TsvRow> parse_tsv(std::string_view body, size_t columns = 0);

// The first line of `text`, without trailing spaces and dots, control bytes
// as spaces, cut at max_bytes (then "..." follows): server texts end up on
// one terminal line.
std::string one_line(std::string_view text, size_t max_bytes);
inline constexpr size_t kMaxMessageBytes = 500;

// A field that must be an unsigned integer (a count, a version, a day).
uint64_t parse_uint(std::string_view field);
// A field that must be a signed integer.
int64_t parse_int(std::string_view field);
// A field that must be a Float64 as ClickHouse writes it.
double parse_double(std::string_view field);

// A ClickHouse exception as sent in an HTTP error body, in the 18.x form
//   "Code: 81, e.displayText() = DB::Exception: Database x doesn't exist, e.what() = ..."
// and the current one
//   "Code: 81. DB::Exception: Database x doesn't exist. (UNKNOWN_DATABASE) (version 23.8.1)".
struct ServerException {
  int code = 0;         // 0 when the body has no "Code: N"
  std::string message;  // one line, without the "DB::Exception: " prefix and suffixes
};
ServerException parse_exception(std::string_view body);

// "18.16.1", "23.8.2.7" -> {18, 16, 1}; nullopt for anything else.
struct Version {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const Version&) const = default;
  std::string to_string() const;
};
std::optional<Version> parse_version(std::string_view text);

}  // namespace loupe::store::clickhouse
