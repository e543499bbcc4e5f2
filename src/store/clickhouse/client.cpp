#include "store/clickhouse/client.h"

#include <httplib.h>
#include <signal.h>

#include <mutex>

#include "store/clickhouse/error.h"
#include "store/clickhouse/features.h"

namespace loupe::store::clickhouse {
namespace {

// ClickHouse exception codes that mean "who you are" rather than "what you
// asked": UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, IP_ADDRESS_NOT_ALLOWED,
// AUTHENTICATION_FAILED (current releases say this for the first three).
bool is_auth_code(int code) {
  return code == 192 || code == 193 || code == 194 || code == 195 || code == 516;
}
constexpr int kUnknownDatabase = 81;

std::string seconds(std::chrono::milliseconds ms) {
  auto tenths = ms.count() / 100;
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") +
         " s";
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string quote_literal(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {  // control bytes as \xHH: the SQL stays one line
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
      continue;
    }
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

Client::Client(Url url, ClientOptions options) : url_(std::move(url)), options_(options) {
  // A server closing the connection under a write must fail the request,
  // not kill the process with SIGPIPE.
  static std::once_flag once;
  std::call_once(once, [] { signal(SIGPIPE, SIG_IGN); });
  std::string password = read_password(url_);
  http_ = std::make_unique<httplib::Client>(url_.host, url_.port);
  http_->set_keep_alive(true);
  // httplib writes a request's headers and its body in two sends. On a
  // kept-alive connection Nagle's algorithm holds the body until the
  // server's delayed ACK of the headers, 40 ms later: every query and
  // insert took >= 40 ms (docs/benchmarks.md, "CI time").
  http_->set_tcp_nodelay(true);
  auto connect = options_.connect_timeout;
  http_->set_connection_timeout(std::chrono::duration_cast<std::chrono::seconds>(connect).count(),
                                (connect.count() % 1000) * 1000);
  auto t = options_.timeout;
  auto whole = std::chrono::duration_cast<std::chrono::seconds>(t).count();
  http_->set_read_timeout(whole, (t.count() % 1000) * 1000);
  http_->set_write_timeout(whole, (t.count() % 1000) * 1000);
  http_->set_basic_auth(url_.user, password);
}

Client::~Client() = default;

std::string Client::post(const std::string& target, std::string_view body, bool compress) {
  http_->set_compress(compress);
  // The pointer overload: an INSERT body of hundreds of MB is not copied.
  auto res = http_->Post(target, body.data(), body.size(), "text/plain; charset=UTF-8");
  if (!res) {
    auto err = res.error();
    if (err == httplib::Error::Read || err == httplib::Error::Write)
      throw Error(Error::Kind::Unreachable,
                  "ClickHouse at " + url_.endpoint() + " did not answer within " +
                      seconds(options_.timeout) + " or dropped the connection");
    throw Error(Error::Kind::Unreachable, "cannot connect to ClickHouse at " + url_.endpoint() +
                                              " (" + httplib::to_string(err) +
                                              "): is it running and listening on its HTTP port?");
  }
  if (res->status == 200) return std::move(res->body);
  ServerException e = parse_exception(res->body);
  if (is_auth_code(e.code))
    throw Error(
        Error::Kind::Auth,
        "ClickHouse at " + url_.endpoint() + " refused user '" + url_.user + "': " + e.message,
        e.code);
  if (e.code == kUnknownDatabase)
    throw Error(Error::Kind::UnknownDatabase,
                "ClickHouse at " + url_.endpoint() + " has no database '" + url_.database +
                    "' (migrating creates it): " + e.message,
                e.code);
  if (e.code == 0)  // not a ClickHouse exception: likely the wrong port or server
    throw Error(Error::Kind::Server, "ClickHouse at " + url_.endpoint() + ": " + e.message +
                                         " (HTTP " + std::to_string(res->status) + ": is " +
                                         url_.endpoint() + " ClickHouse's HTTP port?)");
  throw Error(Error::Kind::Server,
              "ClickHouse at " + url_.endpoint() + ": " + e.message + " (code " +
                  std::to_string(e.code) + ")",
              e.code);
}

// The settings of every statement. wait_end_of_query=1: the server holds the
// answer until the query has finished, so an error late in a query is an
// HTTP 500 with its message, not a 200 whose body ends in the exception
// text (which would read as one more row); max_result_bytes bounds what it
// holds.
std::string Client::settings() const {
  return "wait_end_of_query=1&result_overflow_mode=throw&max_result_bytes=" +
         std::to_string(options_.max_result_bytes);
}

std::string Client::execute(std::string_view sql) {
  return post("/?database=" + url_.database + "&" + settings(), sql, false);
}

std::string Client::execute_in_default(std::string_view sql) {
  return post("/?" + settings(), sql, false);
}

std::vector<TsvRow> Client::select(std::string_view sql, size_t columns) {
  return parse_tsv(execute(std::string(sql) + " FORMAT TabSeparated"), columns);
}

void Client::insert_row_binary(std::string_view target, std::string_view rows) {
  std::string query = "INSERT INTO " + std::string(target) + " FORMAT RowBinary";
  // Into a cluster's Distributed tables: the insert returns once every shard
  // has its rows (not when they sit in the local queue), so a success means
  // stored; and no block dedup by Replicated tables, which would drop a
  // write whose rollup cells happen to equal an earlier write's (Loupe's
  // batch keys are what make a batch count once).
  post("/?database=" + url_.database +
           (url_.cluster.empty() ? "" : "&insert_distributed_sync=1&insert_deduplicate=0") +
           "&query=" + percent_encode(query),
       rows, options_.compress_inserts);
}

Version Client::server_version() {
  std::string answer = execute_in_default("SELECT version() FORMAT TabSeparated");
  auto rows = parse_tsv(answer, 1);
  std::optional<Version> v = rows.size() == 1 ? parse_version(rows[0][0]) : std::nullopt;
  if (!v)
    throw Error(Error::Kind::BadAnswer, "ClickHouse at " + url_.endpoint() +
                                            " answered SELECT version() with '" +
                                            one_line(answer, 64) + "', not a version");
  if (*v < kMinimumVersion)
    throw Error(Error::Kind::Server, "ClickHouse at " + url_.endpoint() + " is version " +
                                         v->to_string() + "; Loupe needs " +
                                         kMinimumVersion.to_string() + " or newer");
  return *v;
}

}  // namespace loupe::store::clickhouse
