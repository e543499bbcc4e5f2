#include "store/clickhouse/url.h"

#include <charconv>
#include <set>

#include "core/secret_file.h"
#include "store/clickhouse/error.h"
#include "store/url_text.h"

namespace loupe::store::clickhouse {
namespace {

constexpr std::string_view kScheme = "clickhouse://";
constexpr std::string_view kShape = "clickhouse://HOST[:PORT]/DB[?user=&password_file=&cluster=]";

[[noreturn]] void bad(std::string_view what) {
  throw Error(Error::Kind::BadUrl, "bad ClickHouse URL: " + std::string(what) + " (expected " +
                                       std::string(kShape) + ")");
}

std::string decode_value(std::string_view s, std::string_view name) {
  auto value = percent_decode(s);
  if (!value) bad("'" + std::string(name) + "' has a broken %-escape");
  return *value;
}

void parse_authority(std::string_view authority, Url& url) {
  if (authority.empty()) bad("no host");
  if (authority.find('@') != std::string_view::npos)
    bad("credentials in the host part; use ?user=NAME&password_file=PATH");
  std::string_view port_text;
  if (authority.front() == '[') {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) bad("an IPv6 host without its closing ']'");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') bad("garbage after the IPv6 host");
      port_text = rest.substr(1);
      if (port_text.empty()) bad("an empty port");
    }
  } else {
    size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) bad("an empty port");
    }
  }
  if (url.host.empty()) bad("no host");
  if (!port_text.empty()) {
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535)
      bad("port '" + std::string(port_text) + "' is not a number in 1..65535");
    url.port = port;
  }
}

void parse_query(std::string_view query, Url& url) {
  std::set<std::string, std::less<>> seen;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    if (eq == std::string_view::npos) bad("parameter '" + std::string(name) + "' has no value");
    if (!seen.insert(std::string(name)).second)
      bad("parameter '" + std::string(name) + "' given twice");
    std::string value = decode_value(pair.substr(eq + 1), name);
    if (name == "user") {
      if (value.empty()) bad("an empty user");
      url.user = std::move(value);
    } else if (name == "password_file") {
      if (value.empty()) bad("an empty password_file");
      url.password_file = std::move(value);
    } else if (name == "cluster") {
      if (!is_plain_identifier(value))
        bad("cluster '" + value + "' is not a plain name ([A-Za-z_][A-Za-z0-9_]*)");
      url.cluster = std::move(value);
    } else if (name == "password") {
      bad("a password in the URL; put it in a file and pass password_file=PATH");
    } else {
      bad("unknown parameter '" + std::string(name) + "' (known: user, password_file, cluster)");
    }
  }
}

}  // namespace

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name.front())) return false;
  for (char c : name)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

Url parse_url(std::string_view text) {
  if (text.substr(0, kScheme.size()) != kScheme) {
    size_t sep = text.find("://");
    if (sep == std::string_view::npos) bad("no scheme");
    bad("scheme '" + std::string(text.substr(0, sep)) + "' (only clickhouse:// is known)");
  }
  text.remove_prefix(kScheme.size());
  Url url;
  size_t slash = text.find('/');
  size_t question = text.find('?');
  if (slash == std::string_view::npos || (question != std::string_view::npos && question < slash))
    bad("no database: add /DB after the host");
  parse_authority(text.substr(0, slash), url);
  std::string_view rest = text.substr(slash + 1);
  size_t q = rest.find('?');
  std::string_view database = rest.substr(0, q);
  if (database.empty()) bad("no database: add /DB after the host");
  if (!is_plain_identifier(database))
    bad("database '" + std::string(database) + "' is not a plain name ([A-Za-z_][A-Za-z0-9_]*)");
  url.database = std::string(database);
  if (q != std::string_view::npos) parse_query(rest.substr(q + 1), url);
  return url;
}

std::string Url::endpoint() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

std::string Url::to_string() const {
  std::string s = std::string(kScheme) + endpoint() + "/" + database;
  QueryWriter query(s);
  if (user != "default") query.add("user", user);
  if (!password_file.empty()) query.add("password_file", password_file);
  if (!cluster.empty()) query.add("cluster", cluster);
  return s;
}

std::string read_password(const Url& url) {
  if (url.password_file.empty()) return "";
  auto password = read_secret_file(url.password_file);
  if (!password)
    throw Error(Error::Kind::BadUrl,
                "cannot read the ClickHouse password_file " + url.password_file);
  return *password;
}

}  // namespace loupe::store::clickhouse
