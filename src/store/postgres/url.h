// The state URL `postgres://HOST[:PORT]/DB[?user=NAME&password_file=PATH&sslmode=MODE]`
// (postgresql:// too). libpq parses the URI (hosts, IPv6, %-escapes); this
// adds Loupe's rules: a database is required, and a password is never taken
// from the URL itself (URLs end up in process lists, shell histories and
// logs) but from password_file, a file holding just the password.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loupe::store::postgres {

struct Url {
  std::string host;  // as written (a name, an address, or a socket directory)
  std::string port = "5432";
  std::string database;
  std::string user;           // empty: libpq's default (the OS user)
  std::string password_file;  // empty: no password
  // Every other parameter libpq accepted (sslmode, connect_timeout...).
  std::vector<std::pair<std::string, std::string>> options;

  // "HOST:PORT" as written in errors.
  std::string endpoint() const;
  // The URL back, safe to print (it holds no secret: only the file's path).
  std::string to_string() const;
};

// Throws Error(Kind::BadUrl) naming the part that is wrong.
Url parse_url(std::string_view text);

// The password file's content without its trailing newline; "" when the URL
// names no file. Throws Error(Kind::BadUrl) when the file cannot be read.
std::string read_password(const Url& url);

}  // namespace loupe::store::postgres
