#include "store/postgres/url.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "core/secret_file.h"
#include "store/postgres/error.h"
#include "store/url_text.h"

namespace loupe::store::postgres {
namespace {

constexpr std::string_view kShape = "postgres://HOST[:PORT]/DB[?user=&password_file=&sslmode=]";

[[noreturn]] void bad(std::string_view what) {
  throw Error(Error::Kind::BadUrl, "bad PostgreSQL URL: " + std::string(what) + " (expected " +
                                       std::string(kShape) + ")");
}

std::string decode_path(std::string_view s) {
  auto path = percent_decode(s);
  if (!path) bad("'password_file' has a broken %-escape");
  return *path;
}

std::string first_line(const char* text) {
  std::string s = text ? text : "";
  if (size_t nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

}  // namespace

Url parse_url(std::string_view text) {
  size_t sep = text.find("://");
  if (sep == std::string_view::npos) bad("no scheme");
  std::string_view scheme = text.substr(0, sep);
  if (scheme != "postgres" && scheme != "postgresql")
    bad("scheme '" + std::string(scheme) + "' (only postgres:// is known)");
  std::string_view rest = text.substr(sep + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos)
    bad("credentials in the host part; use ?user=NAME&password_file=PATH");
  if (authority.empty()) bad("no host");

  // password_file is Loupe's; everything else goes to libpq's URI parser.
  Url url;
  std::string uri(text.substr(0, sep + 3 + authority.size()));
  std::string_view path_and_query = rest.substr(authority.size());
  size_t q = path_and_query.find('?');
  uri += path_and_query.substr(0, q);
  std::string_view query = q == std::string_view::npos ? "" : path_and_query.substr(q + 1);
  char joiner = '?';
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    std::string_view name = pair.substr(0, pair.find('='));
    if (name == "password")
      bad("a password in the URL; put it in a file and pass password_file=PATH");
    if (name == "passfile") bad("passfile; pass password_file=PATH (a file holding the password)");
    if (name == "password_file") {
      if (!url.password_file.empty()) bad("parameter 'password_file' given twice");
      if (pair.size() <= name.size() + 1) bad("an empty password_file");
      url.password_file = decode_path(pair.substr(name.size() + 1));
      continue;
    }
    uri += joiner;
    uri += pair;
    joiner = '&';
  }

  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> opts(
      PQconninfoParse(uri.c_str(), &error), PQconninfoFree);
  if (!opts) {
    std::string msg = first_line(error);
    PQfreemem(error);
    bad(msg.empty() ? "libpq could not parse it" : msg);
  }
  for (PQconninfoOption* o = opts.get(); o->keyword; ++o) {
    if (!o->val) continue;
    std::string key = o->keyword, val = o->val;
    if (key == "host" || key == "hostaddr")
      url.host = val;
    else if (key == "port")
      url.port = val;
    else if (key == "dbname")
      url.database = val;
    else if (key == "user")
      url.user = val;
    else
      url.options.emplace_back(key, val);
  }
  if (url.host.empty()) bad("no host");
  // libpq checks ports only when connecting; a typo is a URL mistake.
  for (size_t start = 0; start <= url.port.size();) {
    size_t comma = std::min(url.port.find(',', start), url.port.size());
    std::string_view one = std::string_view(url.port).substr(start, comma - start);
    int port = 0;
    auto [end, ec] = std::from_chars(one.data(), one.data() + one.size(), port);
    if (ec != std::errc() || end != one.data() + one.size() || port < 1 || port > 65535)
      bad("port '" + std::string(one) + "' is not a number in 1..65535");
    start = comma + 1;
  }
  if (url.database.empty()) bad("no database: add /DB after the host");
  return url;
}

std::string Url::endpoint() const { return host + ":" + port; }

std::string Url::to_string() const {
  std::string s = "postgres://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                  ":" + port + "/" + database;
  QueryWriter query(s);
  if (!user.empty()) query.add("user", user);
  if (!password_file.empty()) query.add("password_file", password_file);
  for (const auto& [k, v] : options) query.add(k, v);
  return s;
}

std::string read_password(const Url& url) {
  if (url.password_file.empty()) return "";
  auto password = read_secret_file(url.password_file);
  if (!password)
    throw Error(Error::Kind::BadUrl,
                "cannot read the PostgreSQL password_file " + url.password_file);
  return *password;
}

}  // namespace loupe::store::postgres
