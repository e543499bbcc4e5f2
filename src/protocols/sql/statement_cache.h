// A connection's prepared statements (or portals): name -> statement text,
// shared with the requests that use it. Bounded in entries, and it knows
// the heap bytes it holds in constant time, because the agent asks every
// parser for its memory after each segment (ProtocolParser::memory_bytes).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>

#include "core/heap_bytes.h"

namespace loupe::sql {

template <typename Key>
class StatementCache {
 public:
  using Text = std::shared_ptr<const std::string>;

  explicit StatementCache(size_t max_entries) : max_entries_(max_entries) {}

  // Keeps `text` under `key`. A new key in a full cache evicts an arbitrary
  // entry: a later use of it yields a record without statement text rather
  // than unbounded memory.
  void put(Key key, Text text) {
    if (auto it = map_.find(key); it != map_.end()) {
      bytes_ -= cost(it->first, it->second);
      it->second = std::move(text);
      bytes_ += cost(it->first, it->second);
      return;
    }
    if (map_.size() >= max_entries_ && !map_.empty()) erase(map_.begin());
    auto it = map_.emplace(std::move(key), std::move(text)).first;
    bytes_ += cost(it->first, it->second);
  }

  // The text under `key`, or nullptr.
  Text find(const Key& key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : it->second;
  }

  void erase(const Key& key) {
    if (auto it = map_.find(key); it != map_.end()) erase(it);
  }

  size_t size() const { return map_.size(); }
  // Texts are counted once per entry that holds them (an upper bound when
  // a statement and its portal share one).
  size_t memory_bytes() const { return bytes_; }

 private:
  using Map = std::unordered_map<Key, Text>;

  void erase(typename Map::iterator it) {
    bytes_ -= cost(it->first, it->second);
    map_.erase(it);
  }

  static size_t cost(const Key& key, const Text& text) {
    // The node: key, pointer, hash-chain link and cached hash.
    size_t n = sizeof(Key) + sizeof(Text) + 2 * sizeof(void*);
    if constexpr (std::is_same_v<Key, std::string>) n += heap_bytes(key);
    if (text) n += sizeof(std::string) + heap_bytes(*text);
    return n;
  }

  size_t max_entries_;
  Map map_;
  size_t bytes_ = 0;
};

}  // namespace loupe::sql
