#include "traces/record_window.h"

namespace loupe::traces {
namespace {

bool matches(const Record& r, const store::RequestQuery& q) {
  return r.start_ns >= q.range.from_ns && r.start_ns < q.range.to_ns &&
         (!q.role || r.role == *q.role) && (!q.pid || r.pid == *q.pid) &&
         (!q.tid || r.tid == *q.tid) && (!q.local_addr || r.local_addr == *q.local_addr) &&
         (!q.remote_addr || r.remote_addr == *q.remote_addr);
}

}  // namespace

void RecordWindow::add(store::StoredRequest r, uint64_t arrival) {
  size_t bytes = memory_bytes(r.record) + sizeof(Entry) + 2 * sizeof(const Entry*);
  entries_.push_back({std::move(r), arrival, bytes});
  const Entry& e = entries_.back();
  bytes_ += bytes;
  const Record& rec = e.request.record;
  if (rec.tid != 0) by_thread_[thread_key(rec.pid, rec.tid)].push_back(&e);
  by_connection_[connection_key(rec.local_addr, rec.remote_addr)].push_back(&e);
  while (bytes_ > max_bytes_ && entries_.size() > 1) pop_oldest();
}

void RecordWindow::evict_before(uint64_t arrival) {
  while (!entries_.empty() && entries_.front().arrival < arrival) pop_oldest();
}

void RecordWindow::pop_oldest() {
  const Entry& e = entries_.front();
  const Record& rec = e.request.record;
  // Buckets keep arrival order, so the oldest entry is at each one's front.
  auto drop_front = [&e](auto& index, const auto& key) {
    auto it = index.find(key);
    if (it == index.end()) return;
    if (!it->second.empty() && it->second.front() == &e) it->second.pop_front();
    if (it->second.empty()) index.erase(it);
  };
  if (rec.tid != 0) drop_front(by_thread_, thread_key(rec.pid, rec.tid));
  drop_front(by_connection_, connection_key(rec.local_addr, rec.remote_addr));
  bytes_ -= e.bytes;
  entries_.pop_front();
}

std::vector<store::StoredRequest> RecordWindow::find(const store::RequestQuery& q) const {
  const Bucket* bucket = nullptr;
  if (q.pid && q.tid) {
    auto it = by_thread_.find(thread_key(*q.pid, *q.tid));
    if (it != by_thread_.end()) bucket = &it->second;
  } else if (q.local_addr && q.remote_addr) {
    auto it = by_connection_.find(connection_key(*q.local_addr, *q.remote_addr));
    if (it != by_connection_.end()) bucket = &it->second;
  }
  std::vector<store::StoredRequest> out;
  if (!bucket) return out;
  for (auto it = bucket->rbegin(); it != bucket->rend() && out.size() < q.limit; ++it)
    if (matches((*it)->request.record, q)) out.push_back((*it)->request);
  return out;
}

}  // namespace loupe::traces
