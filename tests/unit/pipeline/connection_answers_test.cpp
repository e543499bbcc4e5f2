// The resolver's per-batch answers by connection (pipeline/connection_answers.h).
#include "pipeline/connection_answers.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

namespace loupe::pipeline {
namespace {

Record client_of(uint16_t port) {
  Record r;
  r.protocol = Protocol::Http1;
  r.role = Role::Client;
  r.pid = 2001;
  r.comm = "wrk";
  r.local_addr = "127.0.0.1:" + std::to_string(port);
  r.remote_addr = "127.0.0.1:18080";
  return r;
}

// One host's connections differ only in their ports' last digits; each
// must find its own answer, not evict the others' (a weak hash of the
// addresses' last bytes put every one of them in a handful of slots).
TEST(ConnectionAnswers, ConnectionsOfOneHostKeepTheirOwnAnswers) {
  std::vector<Record> records;
  for (uint16_t port = 40000; port < 40064; ++port) records.push_back(client_of(port));
  ConnectionAnswers answers;
  std::deque<store::CallerIdentity> callers;  // where a resolved batch keeps them
  for (const Record& r : records)
    answers.add(r).caller = &callers.emplace_back(store::CallerIdentity{.name = r.local_addr});
  size_t found = 0;
  for (const Record& r : records) {
    Record again = r;  // another record of the same connection
    if (ConnectionAnswer* a = answers.find(again)) {
      EXPECT_EQ(a->caller->name, r.local_addr);
      ++found;
    }
  }
  EXPECT_EQ(found, 64u);
}

// However many connections share a slot, each keeps its answer (a
// collision replaced the older one, and the two connections then took
// turns naming themselves from scratch); an answer added again for a
// connection replaces its own, not another's.
TEST(ConnectionAnswers, EveryConnectionKeepsItsAnswerAndANewOneReplacesItsOwn) {
  std::vector<Record> records;
  for (uint16_t port = 20000; port < 24000; ++port) records.push_back(client_of(port));
  ConnectionAnswers answers;
  std::deque<store::CallerIdentity> callers;
  for (const Record& r : records)
    answers.add(r).caller = &callers.emplace_back(store::CallerIdentity{.name = r.local_addr});
  for (const Record& r : records) {
    Record again = r;
    ConnectionAnswer* a = answers.find(again);
    ASSERT_NE(a, nullptr) << r.local_addr;
    EXPECT_EQ(a->caller->name, r.local_addr);
  }
  Record again = records[7];
  answers.add(again).caller = &callers.emplace_back(store::CallerIdentity{.name = "anew"});
  EXPECT_EQ(answers.find(records[7])->caller->name, "anew");
  EXPECT_EQ(answers.find(records[8])->caller->name, records[8].local_addr);
}

TEST(ConnectionAnswers, AnotherConnectionOrAFieldThatDiffersIsNotFound) {
  std::vector<Record> records = {client_of(40000)};
  ConnectionAnswers answers;
  answers.add(records[0]);
  Record other_port = client_of(40001);
  EXPECT_EQ(answers.find(other_port), nullptr);
  Record other_host = client_of(40000);
  other_host.host = "example.com";
  EXPECT_EQ(answers.find(other_host), nullptr) << "the callee may be named by its Host";
  Record other_pod = client_of(40000);
  edit(other_pod.remote_identity).workload = "Deployment/api";
  EXPECT_EQ(answers.find(other_pod), nullptr);
  Record same = client_of(40000);
  same.route = "/another/route";
  EXPECT_NE(answers.find(same), nullptr) << "the route is not the connection's";
  answers.forget();
  EXPECT_EQ(answers.find(same), nullptr) << "forgotten";
}

}  // namespace
}  // namespace loupe::pipeline
