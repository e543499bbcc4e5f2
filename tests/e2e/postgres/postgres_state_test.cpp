// The PostgreSQL state layer (src/store/postgres, alerts' PostgreSQL state
// store) against a real Debian postgresql that test_postgres_state.sh
// starts: schema migration and its checks, the errors a user sees (wrong
// password, no password, missing database, server down), held batches
// released exactly once by replicas, the Kubernetes history and alert
// silences shared between replicas, one alert leader at a time.
//
// Environment: LOUPE_PG_PORT, LOUPE_PG_PASSWORD_FILE (user `loupe`, who may
// create databases), LOUPE_PG_CLOSED_PORT (nothing listens there).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <thread>

#include "alerts/state_store.h"
#include "store/postgres/client.h"
#include "store/postgres/schema.h"
#include "store/postgres/state_store.h"

namespace loupe::store::postgres {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string url_of(const std::string& db, const std::string& password_file) {
  std::string u = "postgres://127.0.0.1:" + env("LOUPE_PG_PORT") + "/" + db + "?user=loupe";
  if (!password_file.empty()) u += "&password_file=" + password_file;
  return u;
}

std::string url_of(const std::string& db) { return url_of(db, env("LOUPE_PG_PASSWORD_FILE")); }

// A database of its own per test, made from the `postgres` database.
std::string fresh_database(const std::string& name) {
  Client admin(parse_url(url_of("postgres")));
  admin.exec("DROP DATABASE IF EXISTS " + name);
  admin.exec("CREATE DATABASE " + name);
  return url_of(name);
}

Error::Kind kind_of(const std::function<void()>& f, std::string* what) {
  try {
    f();
  } catch (const Error& e) {
    *what = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "no error";
  return Error::Kind::Server;
}

// A closed connection's backend lets go of its advisory locks a moment
// after the client hung up: wait for the owner's presence lock to go.
void wait_for_lock_released(const std::string& url, int64_t objid) {
  Client c(parse_url(url));
  for (int i = 0; i < 100; ++i) {
    if (c.exec("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::oid",
               {std::to_string(objid)})
            .i64(0, 0) == 0)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "lock " << objid << " still held";
}

class PostgresState : public ::testing::Test {
 protected:
  void SetUp() override {
    if (env("LOUPE_PG_PORT").empty()) GTEST_SKIP() << "LOUPE_PG_PORT not set";
  }
};

TEST_F(PostgresState, MigratesOnceAndChecks) {
  Client c(parse_url(fresh_database("loupe_migrate")));
  std::string what;
  EXPECT_EQ(kind_of([&] { check(c); }, &what), Error::Kind::Schema);
  EXPECT_NE(what.find("is empty (no Loupe schema); run loupe server --state URL --migrate once"),
            std::string::npos)
      << what;
  MigrateResult m = migrate(c);
  EXPECT_EQ(m.from_version, 0);
  EXPECT_EQ(m.to_version, kSchemaVersion);
  EXPECT_NO_THROW(check(c));
  m = migrate(c);  // again: nothing to do
  EXPECT_EQ(m.from_version, kSchemaVersion);
  EXPECT_EQ(m.to_version, kSchemaVersion);
  EXPECT_EQ(c.exec("SELECT count(*) FROM loupe_schema").i64(0, 0), kSchemaVersion);

  c.exec("INSERT INTO loupe_schema(version, description, loupe_version) VALUES(99, 'x', 'y')");
  EXPECT_EQ(kind_of([&] { check(c); }, &what), Error::Kind::Schema);
  EXPECT_NE(what.find("schema version 99, made by a newer Loupe"), std::string::npos) << what;
  EXPECT_EQ(kind_of([&] { migrate(c); }, &what), Error::Kind::Schema);
  EXPECT_NE(what.find("upgrade Loupe"), std::string::npos) << what;
}

TEST_F(PostgresState, ReplicasMigratingTogetherApplyEachMigrationOnce) {
  std::string url = fresh_database("loupe_migrate_race");
  std::atomic<int> failures = 0;
  std::vector<std::thread> replicas;
  for (int i = 0; i < 4; ++i)
    replicas.emplace_back([&] {
      try {
        Client c(parse_url(url));
        migrate(c);
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    });
  for (auto& t : replicas) t.join();
  EXPECT_EQ(failures, 0);
  Client c(parse_url(url));
  EXPECT_EQ(c.exec("SELECT count(*) FROM loupe_schema").i64(0, 0), kSchemaVersion);
}

TEST_F(PostgresState, ForeignDatabaseIsRefused) {
  Client c(parse_url(fresh_database("loupe_foreign")));
  c.exec("CREATE TABLE orders(id int)");
  std::string what;
  EXPECT_EQ(kind_of([&] { check(c); }, &what), Error::Kind::Schema);
  EXPECT_NE(what.find("has tables but no loupe_schema: it was not made by Loupe"),
            std::string::npos)
      << what;
}

TEST_F(PostgresState, ConnectionErrorsSayWhatIsWrong) {
  std::string what;
  std::string wrong = ::testing::TempDir() + "/wrong.password";
  std::ofstream(wrong) << "not-the-password\n";
  EXPECT_EQ(kind_of([&] { Client c(parse_url(url_of("postgres", wrong))); }, &what),
            Error::Kind::Auth);
  EXPECT_NE(what.find("refused user 'loupe': password authentication failed"), std::string::npos)
      << what;
  EXPECT_NE(what.find("check the user and the password_file"), std::string::npos) << what;
  std::cout << "PostgreSQL wrong password: " << what << "\n";

  EXPECT_EQ(kind_of([&] { Client c(parse_url(url_of("postgres", ""))); }, &what),
            Error::Kind::Auth);
  EXPECT_NE(what.find("give the password with password_file=PATH"), std::string::npos) << what;

  EXPECT_EQ(kind_of([&] { Client c(parse_url(url_of("no_such_db"))); }, &what),
            Error::Kind::UnknownDatabase);
  EXPECT_NE(what.find("has no database 'no_such_db'"), std::string::npos) << what;
  std::cout << "PostgreSQL missing database: " << what << "\n";

  std::string down = "postgres://127.0.0.1:" + env("LOUPE_PG_CLOSED_PORT") + "/loupe?user=loupe";
  EXPECT_EQ(kind_of([&] { Client c(parse_url(down)); }, &what), Error::Kind::Unreachable);
  EXPECT_NE(what.find("cannot connect to PostgreSQL at 127.0.0.1:"), std::string::npos) << what;
  EXPECT_NE(what.find("is it running"), std::string::npos) << what;
  std::cout << "PostgreSQL down: " << what << "\n";

  EXPECT_EQ(kind_of([&] { Client c(parse_url(url_of("postgres", "/nonexistent/pw"))); }, &what),
            Error::Kind::BadUrl);
  EXPECT_NE(what.find("cannot read the PostgreSQL password_file /nonexistent/pw"),
            std::string::npos)
      << what;
}

TEST_F(PostgresState, OpenStateWithoutMigrateOnAnEmptyDatabaseIsOneClearLine) {
  std::string url = fresh_database("loupe_open");
  try {
    open_state(url, false, 0);
    FAIL() << "opened";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("run loupe server --state URL --migrate once"),
              std::string::npos)
        << e.what();
  }
  OpenedState opened = open_state(url, true, 0);
  nlohmann::json st = opened.status();
  EXPECT_EQ(st["kind"], "postgres");
  EXPECT_EQ(st["schema_version"], kSchemaVersion);
  EXPECT_NE(st["server_version"].get<std::string>(), "");
  EXPECT_EQ(st["url"].get<std::string>().find("password="), std::string::npos);
}

std::vector<Record> records_named(const std::string& path, int n) {
  std::vector<Record> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    out[static_cast<size_t>(i)].path = path + std::to_string(i);
    out[static_cast<size_t>(i)].start_ns = 1'000'000'000ULL + static_cast<uint64_t>(i);
  }
  return out;
}

TEST_F(PostgresState, HeldBatchesAreReleasedExactlyOnceByReplicas) {
  std::string url = fresh_database("loupe_held");
  open_state(url, true, 0);
  std::set<uint64_t> held_ids;
  std::vector<int32_t> stopped;
  {
    OpenedState a = open_state(url, false, 0);
    std::vector<HeldBatch> batches(6);
    std::vector<HeldBatch*> ptrs;
    for (size_t i = 0; i < batches.size(); ++i) {
      batches[i].arrived_ns = 100 + i;
      batches[i].records = records_named("/b" + std::to_string(i) + "/", 3);
      ptrs.push_back(&batches[i]);
    }
    a.state->hold(ptrs);
    for (auto& b : batches) held_ids.insert(b.id);
    EXPECT_EQ(held_ids.size(), 6u);
    // A replica starting while A runs takes none of A's batches.
    OpenedState b = open_state(url, false, 0);
    EXPECT_TRUE(b.state->held_batches().empty());
    stopped = {a.state->owner(), b.state->owner()};
    a.state->release({*held_ids.begin()});  // A stored its first batch
    held_ids.erase(held_ids.begin());
  }  // A and B stop: their batches wait for the next server.
  for (int32_t owner : stopped) wait_for_lock_released(url, owner);

  // Three replicas start at once: every batch goes to exactly one of them.
  std::vector<std::vector<HeldBatch>> claimed(3);
  std::vector<OpenedState> replicas;
  for (int i = 0; i < 3; ++i) replicas.push_back(open_state(url, false, 0));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < 3; ++i)
    threads.emplace_back([&, i] { claimed[i] = replicas[i].state->held_batches(); });
  for (auto& t : threads) t.join();
  std::multiset<uint64_t> got;
  for (const auto& c : claimed)
    for (const auto& b : c) {
      got.insert(b.id);
      ASSERT_EQ(b.records.size(), 3u);
      EXPECT_EQ(b.records[0].path, "/b" + std::to_string(b.arrived_ns - 100) + "/0");
    }
  EXPECT_EQ(got, std::multiset<uint64_t>(held_ids.begin(), held_ids.end()));
  // Claimed batches are their claimers' now: a fourth replica finds none.
  OpenedState late = open_state(url, false, 0);
  EXPECT_TRUE(late.state->held_batches().empty());
  for (size_t i = 0; i < 3; ++i) {
    std::vector<uint64_t> ids;
    for (const auto& b : claimed[i]) ids.push_back(b.id);
    replicas[i].state->release(ids);
  }
  replicas.clear();
  OpenedState after = open_state(url, false, 0);
  EXPECT_TRUE(after.state->held_batches().empty());
}

TEST_F(PostgresState, ConcurrentHoldsKeepEveryBatch) {
  std::string url = fresh_database("loupe_holds");
  open_state(url, true, 0);
  std::vector<OpenedState> replicas;
  for (int i = 0; i < 2; ++i) replicas.push_back(open_state(url, false, 0));
  std::vector<std::thread> threads;
  std::vector<std::vector<HeldBatch>> batches(2, std::vector<HeldBatch>(50));
  for (size_t r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      for (auto& b : batches[r]) {
        b.records = records_named("/r" + std::to_string(r) + "/", 1);
        replicas[r].state->hold({&b});
      }
    });
  for (auto& t : threads) t.join();
  std::set<uint64_t> ids;
  for (const auto& v : batches)
    for (const auto& b : v) ids.insert(b.id);
  EXPECT_EQ(ids.size(), 100u);
  std::vector<int32_t> owners;
  for (auto& r : replicas) owners.push_back(r.state->owner());
  replicas.clear();
  for (int32_t owner : owners) wait_for_lock_released(url, owner);
  OpenedState next = open_state(url, false, 0);
  EXPECT_EQ(next.state->held_batches().size(), 100u);
}

TEST_F(PostgresState, KubernetesHistoryIsSharedAndKeepsTheLatestSnapshot) {
  std::string url = fresh_database("loupe_k8s");
  open_state(url, true, 0);
  OpenedState a = open_state(url, false, 3600'000'000'000ULL);
  OpenedState b = open_state(url, false, 3600'000'000'000ULL);
  EXPECT_FALSE(b.state->k8s_history().has_value());
  a.state->write_k8s_history({.received_ns = 1, .collector = "c", .snapshot = R"({"seq":1})"});
  a.state->write_k8s_history({.received_ns = 2, .changes = {R"({"n":1})", R"({"n":2})"}});
  b.state->write_k8s_history({.received_ns = 3, .changes = {R"({"n":3})"}});
  auto h = b.state->k8s_history();
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->snapshot, R"({"seq":1})");
  EXPECT_EQ(h->changes, (std::vector<std::string>{R"({"n":1})", R"({"n":2})", R"({"n":3})"}));
  // A new snapshot starts over; retention forgets the old one, never the latest.
  b.state->write_k8s_history({.received_ns = 10, .snapshot = R"({"seq":2})"});
  uint64_t hour = 3600'000'000'000ULL;
  a.state->enforce_retention(10 * hour);
  h = a.state->k8s_history();
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->snapshot, R"({"seq":2})");
  EXPECT_TRUE(h->changes.empty());
  Client c(parse_url(url));
  EXPECT_EQ(c.exec("SELECT count(*) FROM loupe_k8s_snapshots").i64(0, 0), 1);
  EXPECT_EQ(c.exec("SELECT count(*) FROM loupe_k8s_changes").i64(0, 0), 0);
}

TEST_F(PostgresState, SilencesAreSharedAndOneReplicaLeadsAlerts) {
  std::string url = fresh_database("loupe_alerts");
  open_state(url, true, 0);
  auto a = alerts::open_postgres_state_store(url);
  auto b = alerts::open_postgres_state_store(url);
  alerts::Silence s;
  s.id = "s1";
  s.matchers = {{"service", "shop"}};
  s.starts_ns = 1;
  s.ends_ns = 4'000'000'000'000'000'000ULL;
  s.comment = "deploy";
  a->save_silence(s);
  auto seen = b->load_silences();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].id, "s1");
  EXPECT_EQ(seen[0].comment, "deploy");
  s.ends_ns = 2;  // expired through B
  b->save_silence(s);
  ASSERT_EQ(a->load_silences().size(), 1u);
  EXPECT_EQ(a->load_silences()[0].ends_ns, 2u);

  EXPECT_TRUE(a->leads());
  EXPECT_TRUE(a->leads());
  EXPECT_FALSE(b->leads());
  alerts::Alert alert;
  alert.rule = "r";
  alert.labels = {{"service", "shop"}};
  alert.state = alerts::AlertState::Firing;
  a->save_alerts({alert});
  ASSERT_EQ(b->load_alerts().size(), 1u);
  EXPECT_EQ(b->load_alerts()[0].rule, "r");
  a.reset();  // the leader stops: B takes over
  wait_for_lock_released(url, 2);
  EXPECT_TRUE(b->leads());
}

}  // namespace
}  // namespace loupe::store::postgres
