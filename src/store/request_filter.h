// What a RequestQuery selects among the raw requests of the embedded store
// (store/request_chunks.h), shared by the queries that list, count and
// look up exchanges, so they always agree on what matches. Two levels:
// which chunks can hold a match (a SQL condition over request_chunks:
// service, Loupe's own services, time, duration), and which records of a
// decoded chunk match (matches(): every condition, exact per record).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/record.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace loupe::store {

class RequestFilter {
 public:
  // Nullopt when the query names a service the store has never seen:
  // nothing can match.
  static std::optional<RequestFilter> make(Db& db, const RequestQuery& q);

  // " AND ..." conditions over request_chunks (no leading WHERE) that every
  // chunk holding a match meets.
  const std::string& chunk_conditions() const { return chunk_conditions_; }
  // Binds the conditions' parameters from `first`; returns the next free index.
  int bind(Stmt& s, int first) const;

  // Whether a record of a chunk that meets chunk_conditions() can fail
  // the query for more than its start time (then a chunk's count is not
  // its number of matches).
  bool per_record() const { return per_record_; }
  // The record matches the whole query, its start within q.range included.
  // `route`: its resolved route; `counted`: whether it counts in RED.
  bool matches(const Record& r, std::string_view route, bool counted) const;

 private:
  const RequestQuery* q_ = nullptr;
  std::optional<int64_t> service_id_;
  std::string lower_text_;  // q.text in ASCII lower case
  std::string chunk_conditions_;
  bool per_record_ = false;
};

}  // namespace loupe::store
