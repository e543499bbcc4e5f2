// ServerState in PostgreSQL (`loupe server --state postgres://...`): held
// batches and the Kubernetes history, shared by every replica.
//
// Held batches are released exactly once across replicas: each row names
// its owner, a random id per server process, and the owner holds a session
// advisory lock on that id for as long as its connection lives. A starting
// server claims only rows whose owner's lock is free (a stopped or dead
// server's), with FOR UPDATE SKIP LOCKED, so two servers starting together
// never claim the same row, and none claims a running server's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "store/postgres/client.h"
#include "store/server_state.h"

namespace loupe::store::postgres {

class PostgresState : public ServerState {
 public:
  // Connects; the schema must be there (check() first). Throws Error.
  // retention_ns: Kubernetes history kept (0: all).
  PostgresState(const Url& url, uint64_t retention_ns);

  void hold(const std::vector<HeldBatch*>& batches) override;
  void release(const std::vector<uint64_t>& ids) override;
  std::vector<HeldBatch> held_batches() override;
  void write_k8s_history(const K8sIngest& in) override;
  std::optional<K8sHistory> k8s_history() override;
  void enforce_retention(uint64_t now_ns) override;

  int32_t owner() const { return owner_; }
  // /api/v1/status: kind, URL, server version, schema version, statements,
  // errors and the last one.
  nlohmann::json status();

 private:
  // Runs f on the connection under the lock; counts it, and turns an Error
  // into a StoreError (what the server's callers catch).
  template <typename F>
  auto locked(F&& f);

  std::mutex mu_;
  int32_t owner_;
  uint64_t retention_ns_;
  std::unique_ptr<Client> client_;
  uint64_t calls_ = 0, errors_ = 0;
  std::string last_error_;
};

struct OpenedState {
  std::unique_ptr<PostgresState> state;
  std::function<nlohmann::json()> status;
};

// Parses the URL, connects, and migrates (--migrate) or checks the schema.
// Throws StoreError with one line saying what is wrong and what to do.
OpenedState open_state(const std::string& url, bool migrate, uint64_t retention_ns);

}  // namespace loupe::store::postgres
