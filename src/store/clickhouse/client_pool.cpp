#include "store/clickhouse/client_pool.h"

namespace loupe::store::clickhouse {

ClientPool::Lease ClientPool::borrow() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto client = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(client));
    }
  }
  return Lease(*this, std::make_unique<Client>(url_, options_));
}

void ClientPool::give_back(std::unique_ptr<Client> client) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(client));
}

}  // namespace loupe::store::clickhouse
