// The WHERE clause of a RequestQuery over the `requests` table, shared by
// the query that lists exchanges and the one that counts them, so both
// always agree on what matches.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace loupe::store {

class RequestFilter {
 public:
  // Nullopt when the query names a service or route the store has never
  // seen: nothing can match.
  static std::optional<RequestFilter> make(Db& db, const RequestQuery& q);

  // " WHERE ..." over the requests table.
  const std::string& where() const { return where_; }
  // Binds the clause's parameters from 1; returns the next free index.
  int bind(Stmt& s) const;

 private:
  const RequestQuery* q_ = nullptr;
  std::optional<int64_t> service_id_, route_id_;
  std::string like_;  // q.text as a LIKE pattern
  std::string where_;
};

}  // namespace loupe::store
