// The one error type of the PostgreSQL layer. what() is a single user-facing
// line naming what is wrong and what to do ("PostgreSQL at db1:5432 refused
// user 'loupe': password authentication failed; check the password_file");
// kind() lets callers decide without parsing the text.
#pragma once

#include <stdexcept>
#include <string>

namespace loupe::store::postgres {

class Error : public std::runtime_error {
 public:
  enum class Kind {
    BadUrl,           // the postgres:// URL or its password file
    Unreachable,      // no connection, or the connection dropped
    Auth,             // unknown user, wrong or missing password, no pg_hba.conf entry
    UnknownDatabase,  // the URL's database does not exist
    Server,           // any other error PostgreSQL reported (message and SQLSTATE included)
    Schema,           // no Loupe schema, or one of another Loupe version
  };

  Error(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

}  // namespace loupe::store::postgres
