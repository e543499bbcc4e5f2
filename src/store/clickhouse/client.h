// A ClickHouse client over its HTTP interface (cpp-httplib, already the
// project's HTTP client library): statements go as POST bodies, inserts as
// `?query=INSERT ... FORMAT RowBinary` with the rows gzip-compressed in the
// body (Content-Encoding: gzip, which 18.16 decodes). Users and passwords go
// as HTTP Basic auth. Every failure is an Error whose what() is one line
// naming the server and what is wrong, with ClickHouse's own message.
//
// One Client is one keep-alive connection: use it from one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/clickhouse/answer.h"
#include "store/clickhouse/url.h"

namespace httplib {
class Client;
}

namespace loupe::store::clickhouse {

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{3000};
  // How long one statement may take to send and answer.
  std::chrono::milliseconds timeout{60000};
  bool compress_inserts = true;
  // Answers larger than this are refused by the server (max_result_bytes),
  // which holds each answer until its query ends: Loupe's queries are
  // aggregates or LIMITed.
  size_t max_result_bytes = 64 << 20;
};

class Client {
 public:
  // Reads the URL's password file (throws Error(Kind::BadUrl)); connects lazily.
  explicit Client(Url url, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs one statement in the URL's database and returns the raw answer.
  std::string execute(std::string_view sql);
  // The same, outside any database: for CREATE DATABASE and for questions
  // asked before the database is known to exist.
  std::string execute_in_default(std::string_view sql);
  // A SELECT's rows: appends FORMAT TabSeparated; every row has `columns` fields.
  std::vector<TsvRow> select(std::string_view sql, size_t columns);
  // INSERT INTO <target> FORMAT RowBinary with `rows` as the body.
  // target: "table (col, col, ...)", written by Loupe, never user input.
  void insert_row_binary(std::string_view target, std::string_view rows);

  // SELECT version(); throws Error(Kind::Server) for a version older than
  // kMinimumVersion and Error(Kind::BadAnswer) for one Loupe cannot read.
  Version server_version();

  const Url& url() const { return url_; }

 private:
  std::string post(const std::string& target, std::string_view body, bool compress);
  std::string settings() const;

  Url url_;
  ClientOptions options_;
  std::unique_ptr<httplib::Client> http_;
};

// A SQL string literal: 'text' with \ and ' escaped and control bytes as
// \xHH (any bytes allowed).
std::string quote_literal(std::string_view text);

}  // namespace loupe::store::clickhouse
