// parse_json_lists: list elements are handed over one at a time and never
// kept; shapes that would only cost memory are refused by name.
#include "server/json_lists.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace loupe::server {
namespace {

struct Collected {
  std::vector<std::string> items;
  JsonList list(size_t max = 10) {
    return {"records", max, [this](const nlohmann::json& item, size_t i) {
              items.push_back(std::to_string(i) + ":" + item.dump());
            }};
  }
};

std::string parameter_of(std::string_view body, size_t max = 10) {
  Collected c;
  JsonList list = c.list(max);
  try {
    parse_json_lists(body, {&list, 1});
  } catch (const ParamError& e) {
    return e.parameter();
  }
  return "(accepted)";
}

TEST(JsonLists, HandsOverElementsInOrderAndKeepsTheRest) {
  Collected c;
  JsonList list = c.list();
  auto rest = parse_json_lists(R"({"batch": {"agent": "a", "seq": 1},
                                   "records": [{"x": 1}, {"y": [2, 3]}]})",
                               {&list, 1});
  EXPECT_EQ(c.items, (std::vector<std::string>{R"(0:{"x":1})", R"(1:{"y":[2,3]})"}));
  EXPECT_EQ(rest["batch"]["seq"], 1);
  EXPECT_TRUE(rest["records"].empty());  // handed over, not kept
}

TEST(JsonLists, RefusesShapesByName) {
  EXPECT_EQ(parameter_of("not json"), "body");
  EXPECT_EQ(parameter_of("[1, 2]"), "body");
  EXPECT_EQ(parameter_of(R"({"records": 5})"), "records");
  EXPECT_EQ(parameter_of(R"({"records": {"a": 1}})"), "records");
  EXPECT_EQ(parameter_of(R"({"records": [{}, 7]})"), "records[1]");
  EXPECT_EQ(parameter_of(R"({"records": [{}, []]})"), "records[1]");
  EXPECT_EQ(parameter_of(R"({"records": [{}, {}, {}]})", 2), "records");
  EXPECT_THROW(
      {
        Collected c;
        JsonList list = c.list(2);
        parse_json_lists(R"({"records": [{}, {}, {}]})", {&list, 1});
      },
      BatchTooLarge);
  EXPECT_EQ(parameter_of(R"({"records": [], "other": [1, [2], {"k": 3}]})"), "(accepted)");
}

TEST(JsonLists, CapsValuesInsideAnElementAndOutsideTheLists) {
  std::string many = "[";
  for (size_t i = 0; i < kMaxValuesPerItem + kMaxValuesOutsideLists; ++i) many += "[],";
  many += "[]]";
  EXPECT_EQ(parameter_of(R"({"records": [{"path": )" + many + "}]}"), "records[0]");
  EXPECT_EQ(parameter_of(R"({"records": [], "x": )" + many + "}"), "body");
  // Keys count too: an object of many members is as costly as an array.
  std::string keys = "{";
  for (size_t i = 0; i < kMaxValuesOutsideLists; ++i) keys += "\"k" + std::to_string(i) + "\":0,";
  keys += "\"end\":0}";
  EXPECT_EQ(parameter_of(R"({"records": [], "x": )" + keys + "}"), "body");
}

TEST(JsonLists, ElementErrorsFromTheCallerPassThrough) {
  JsonList list{"entries", 10, [](const nlohmann::json&, size_t i) {
                  throw ParamError("entries[" + std::to_string(i) + "]", "an entry needs a source");
                }};
  try {
    parse_json_lists(R"({"entries": [{}]})", {&list, 1});
    FAIL() << "accepted";
  } catch (const ParamError& e) {
    EXPECT_EQ(e.parameter(), "entries[0]");
  }
}

TEST(JsonCapped, KeepsSmallBodiesWholeAndRefusesLargeOnes) {
  // {, a, [, 1, {, b, 2: seven values.
  EXPECT_EQ(parse_json_capped(R"({"a": [1, {"b": 2}]})", 7)["a"][1]["b"], 2);
  try {
    parse_json_capped(R"({"a": [1, {"b": 2}]})", 6);
    FAIL() << "accepted";
  } catch (const ParamError& e) {
    EXPECT_EQ(e.parameter(), "body");
  }
  EXPECT_THROW(parse_json_capped("{", 10), ParamError);
}

}  // namespace
}  // namespace loupe::server
