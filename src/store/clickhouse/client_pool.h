// Clients (one keep-alive connection each) for a store used from several
// threads at once: the ingest writer and the API's readers each borrow one
// for a call and give it back. The pool grows to the number of concurrent
// callers and keeps what it made.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "store/clickhouse/client.h"

namespace loupe::store::clickhouse {

class ClientPool {
 public:
  ClientPool(Url url, ClientOptions options) : url_(std::move(url)), options_(options) {}

  class Lease {
   public:
    Lease(ClientPool& pool, std::unique_ptr<Client> client)
        : pool_(pool), client_(std::move(client)) {}
    ~Lease() { pool_.give_back(std::move(client_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Client& operator*() { return *client_; }
    Client* operator->() { return client_.get(); }

   private:
    ClientPool& pool_;
    std::unique_ptr<Client> client_;
  };

  Lease borrow();
  const Url& url() const { return url_; }

 private:
  void give_back(std::unique_ptr<Client> client);

  Url url_;
  ClientOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Client>> idle_;
};

}  // namespace loupe::store::clickhouse
