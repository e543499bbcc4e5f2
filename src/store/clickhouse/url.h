// The store URL `clickhouse://HOST[:PORT]/DB[?user=U&password_file=PATH&cluster=NAME]`
// URL. Parsing is pure (no file is read); read_password() reads the file.
// A password is never taken from the URL itself: URLs end up in process
// lists, shell histories and logs.
#pragma once

#include <string>
#include <string_view>

namespace loupe::store::clickhouse {

struct Url {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  int port = 8123;   // ClickHouse's HTTP interface
  std::string database;
  std::string user = "default";
  std::string password_file;  // empty: no password
  std::string cluster;        // empty: a single server

  // "HOST:PORT" as written in errors ("[::1]:8123" for IPv6).
  std::string endpoint() const;
  // The URL back, safe to print (it holds no secret: only the file's path).
  std::string to_string() const;
};

// Throws Error(Kind::BadUrl) naming the part that is wrong. The database and
// cluster names must be plain identifiers ([A-Za-z_][A-Za-z0-9_]*, at most
// 64 bytes): Loupe writes them into DDL.
Url parse_url(std::string_view text);

// The password file's content without its trailing newline; "" when the URL
// names no file. Throws Error(Kind::BadUrl) when the file cannot be read.
std::string read_password(const Url& url);

// True when `name` can be written into SQL unquoted: [A-Za-z_][A-Za-z0-9_]*,
// 1..64 bytes.
bool is_plain_identifier(std::string_view name);

}  // namespace loupe::store::clickhouse
