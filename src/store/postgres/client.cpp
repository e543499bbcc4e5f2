#include "store/postgres/client.h"

#include <libpq-fe.h>

#include <charconv>

namespace loupe::store::postgres {
namespace {

// libpq's messages: "connection to server at \"127.0.0.1\", port 5 failed:
// FATAL:  password authentication failed for user \"x\"\n..." -> the first
// line after the last "FATAL:  " / "failed: " (the rest is libpq's hint).
std::string server_words(std::string msg) {
  for (std::string_view cut : {"FATAL:  ", "failed: "})
    if (size_t at = msg.rfind(cut); at != std::string::npos) msg = msg.substr(at + cut.size());
  if (size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return msg;
}

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

int Result::rows() const { return PQntuples(r_.get()); }
bool Result::is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
std::string Result::text(int row, int col) const {
  return std::string(PQgetvalue(r_.get(), row, col),
                     static_cast<size_t>(PQgetlength(r_.get(), row, col)));
}
int64_t Result::i64(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  int64_t out = 0;
  std::from_chars(v, v + PQgetlength(r_.get(), row, col), out);
  return out;
}
void Result::free_result(pg_result* r) { PQclear(r); }

Client::Client(Url url, std::function<void(Client&)> on_connect)
    : url_(std::move(url)), password_(read_password(url_)), on_connect_(std::move(on_connect)) {
  connect();
}

Client::~Client() {
  if (conn_) PQfinish(conn_);
}

void Client::connect() {
  if (conn_) PQfinish(conn_);
  std::vector<const char*> keys, values;
  auto add = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    keys.push_back(k);
    values.push_back(v.c_str());
  };
  add("host", url_.host);
  add("port", url_.port);
  add("dbname", url_.database);
  add("user", url_.user);
  add("password", password_);
  bool timeout_given = false;
  for (const auto& [k, v] : url_.options) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
    timeout_given |= k == "connect_timeout";
  }
  static const std::string kTimeout = "5", kApp = "loupe";
  if (!timeout_given) add("connect_timeout", kTimeout);
  add("application_name", kApp);
  keys.push_back(nullptr);
  values.push_back(nullptr);
  conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
  if (PQstatus(conn_) == CONNECTION_OK) {
    // NOTICEs ("relation ... already exists, skipping") are not errors:
    // libpq would print each one to stderr.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    ++generation_;
    if (on_connect_) on_connect_(*this);
    return;
  }
  std::string raw = PQerrorMessage(conn_), words = server_words(raw);
  std::string at = "PostgreSQL at " + url_.endpoint();
  std::string user = url_.user.empty() ? "(the OS user)" : "'" + url_.user + "'";
  if (has(raw, "does not exist") && has(raw, "database \""))
    throw Error(Error::Kind::UnknownDatabase, at + " has no database '" + url_.database + "' (" +
                                                  words + "): create it (createdb -O USER " +
                                                  url_.database + ") or fix the URL");
  if (has(raw, "password authentication failed") || has(raw, "no password supplied") ||
      has(raw, "role \"") || has(raw, "pg_hba.conf") || has(raw, "authentication failed"))
    throw Error(Error::Kind::Auth,
                at + " refused user " + user + ": " + words +
                    (password_.empty() ? "; give the password with password_file=PATH"
                                       : "; check the user and the password_file"));
  throw Error(Error::Kind::Unreachable, "cannot connect to " + at + ": " + words +
                                            ": is it running and accepting TCP connections?");
}

void Client::ensure_connected() {
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) connect();
}

void Client::fail_statement(pg_result* r, std::string_view sql) {
  const char* code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string state = code ? code : "";
  std::string msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  if (r) PQclear(r);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  for (char& c : msg)
    if (c == '\n') c = ' ';
  std::string at = "PostgreSQL at " + url_.endpoint();
  if (PQstatus(conn_) != CONNECTION_OK)
    throw Error(Error::Kind::Unreachable, at + " dropped the connection (" + msg + ")");
  std::string first_words(sql.substr(0, sql.find_first_of("(\n")));
  throw Error(Error::Kind::Server,
              at + ": " + msg + " (SQLSTATE " + state + ", in: " + first_words + ")");
}

Result Client::exec(std::string_view sql, const std::vector<Param>& params) {
  ensure_connected();
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  pg_result* r = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                              values.data(), nullptr, nullptr, 0);
  ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail_statement(r, sql);
  return Result(r);
}

void Client::exec_script(std::string_view sql) {
  ensure_connected();
  std::string text(sql);
  pg_result* r = PQexec(conn_, text.c_str());
  if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) fail_statement(r, sql);
  PQclear(r);
}

void Client::transaction(const std::function<void()>& f) {
  exec("BEGIN");
  try {
    f();
    exec("COMMIT");
  } catch (...) {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
    throw;
  }
}

std::string Client::server_version(int* number) {
  ensure_connected();
  if (number) *number = PQserverVersion(conn_);
  const char* v = PQparameterStatus(conn_, "server_version");
  return v ? v : "";
}

}  // namespace loupe::store::postgres
