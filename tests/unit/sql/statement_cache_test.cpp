// The statement cache keeps its byte count exact through every change, so
// the agent's connection-table budget neither drifts nor misses bytes.
#include "protocols/sql/statement_cache.h"

#include <gtest/gtest.h>

#include "protocols/sql/statement.h"

namespace loupe::sql {
namespace {

TEST(StatementCache, CountsWhatItHoldsAndGivesItBack) {
  StatementCache<std::string> cache(4);
  EXPECT_EQ(cache.memory_bytes(), 0u);
  cache.put("short", keep_text("SELECT 1"));
  size_t one_short = cache.memory_bytes();
  EXPECT_GT(one_short, 0u);
  cache.put("long", keep_text("SELECT " + std::string(3000, 'x')));
  EXPECT_GE(cache.memory_bytes(), one_short + 3000);
  cache.put("long", keep_text("SELECT 2"));  // replaced: the long text is given back
  EXPECT_LT(cache.memory_bytes(), one_short + 3000);
  EXPECT_EQ(cache.find("long")->substr(0, 8), "SELECT 2");
  cache.erase("long");
  cache.erase("absent");
  EXPECT_EQ(cache.memory_bytes(), one_short);
  cache.erase("short");
  EXPECT_EQ(cache.memory_bytes(), 0u);
  EXPECT_EQ(cache.find("short"), nullptr);
}

TEST(StatementCache, FullCacheEvictsOneEntryPerNewKey) {
  StatementCache<uint32_t> cache(3);
  for (uint32_t id = 0; id < 100; ++id) cache.put(id, keep_text(std::string(100, 'q')));
  EXPECT_EQ(cache.size(), 3u);
  size_t three = cache.memory_bytes();
  for (uint32_t id = 0; id < 100; ++id) cache.erase(id);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.memory_bytes(), 0u);
  EXPECT_GE(three, 3 * 100u);
}

}  // namespace
}  // namespace loupe::sql
