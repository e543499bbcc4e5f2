// A connection to PostgreSQL through libpq, for one thread at a time (the
// owner serialises). Statements take text parameters ($1, $2...) and
// answer text; a dropped connection is opened again on the next statement
// (on_connect runs again then). Every failure is an Error with one line
// naming the server and what to do.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/error.h"
#include "store/postgres/url.h"

struct pg_conn;
struct pg_result;

namespace loupe::store::postgres {

class Result {
 public:
  explicit Result(pg_result* r) : r_(r, &free_result) {}
  int rows() const;
  bool is_null(int row, int col) const;
  std::string text(int row, int col) const;
  int64_t i64(int row, int col) const;

 private:
  static void free_result(pg_result* r);
  std::unique_ptr<pg_result, void (*)(pg_result*)> r_;
};

using Param = std::optional<std::string>;  // nullopt: NULL

class Client {
 public:
  // Connects (connect timeout 5 s). Throws Error.
  explicit Client(Url url, std::function<void(Client&)> on_connect = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result exec(std::string_view sql, const std::vector<Param>& params = {});
  // Several statements without parameters (DDL).
  void exec_script(std::string_view sql);
  // BEGIN, f(), COMMIT; ROLLBACK and rethrow if f or COMMIT throws.
  void transaction(const std::function<void()>& f);
  // "15.18" (server_version); the server's version number as an integer
  // (150018) in *number when given.
  std::string server_version(int* number = nullptr);
  // Counts the connections made: changes when a dropped one was reopened.
  uint64_t generation() const { return generation_; }
  const Url& url() const { return url_; }

 private:
  void connect();
  void ensure_connected();
  [[noreturn]] void fail_statement(pg_result* r, std::string_view sql);

  Url url_;
  std::string password_;
  std::function<void(Client&)> on_connect_;
  pg_conn* conn_ = nullptr;
  uint64_t generation_ = 0;
};

}  // namespace loupe::store::postgres
