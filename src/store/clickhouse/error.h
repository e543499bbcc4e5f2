// The one error type of the ClickHouse layer. what() is a single user-facing
// line naming what is wrong ("ClickHouse at db1:8123 refused user 'loupe':
// Wrong password for user loupe"); kind() lets callers decide what to do
// (retry an unreachable server, give up on a wrong password) without parsing
// the text.
#pragma once

#include <stdexcept>
#include <string>

namespace loupe::store::clickhouse {

class Error : public std::runtime_error {
 public:
  enum class Kind {
    BadUrl,           // the clickhouse:// URL or its password file
    Unreachable,      // no connection, or no answer in time: worth retrying
    Auth,             // unknown user or wrong password
    UnknownDatabase,  // the URL's database does not exist
    Server,           // any other error ClickHouse reported (message included)
    Schema,           // tables missing, made by another Loupe version, functions missing
    BadAnswer,        // an answer Loupe cannot decode
    BadInput,         // a caller's value Loupe refuses to send (batch id, too many rows)
  };

  Error(Kind kind, const std::string& message, int server_code = 0)
      : std::runtime_error(message), kind_(kind), server_code_(server_code) {}

  Kind kind() const { return kind_; }
  // ClickHouse's exception code (e.g. 81 unknown database), 0 when the error
  // did not come from the server.
  int server_code() const { return server_code_; }

 private:
  Kind kind_;
  int server_code_;
};

}  // namespace loupe::store::clickhouse
