// The API's description (src/server/openapi/openapi.yaml) and the server's
// router name the same routes: a route added without describing it, or a
// described route that no longer exists, fails here. (Responses are
// validated against the document by tests/e2e/test_openapi.sh.)
#include <gtest/gtest.h>
#include <httplib.h>

#include <regex>
#include <set>

#include "../store/temp_dir.h"
#include "alerts/engine.h"
#include "alerts/state_store.h"
#include "server/api_server.h"
#include "server/openapi_document.h"

namespace loupe::server {
namespace {

using nlohmann::json;
using Route = std::pair<std::string, std::string>;  // method, path

// Every route of a server with every optional part (alerts, doctor) on, as
// "/api/v1/requests/{}" for the prefix route "/api/v1/requests/".
std::set<Route> served_routes(const http::Router& router) {
  std::set<Route> out;
  for (const auto& r : router.route_names())
    out.insert({r.method, r.prefix ? r.path + "{}" : r.path});
  return out;
}

std::set<Route> described_routes(const json& doc) {
  std::set<Route> out;
  for (const auto& [path, item] : doc.at("paths").items())
    for (const auto& [method, op] : item.items()) {
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.insert({upper, std::regex_replace(path, std::regex(R"(\{[^}]*\})"), "{}")});
    }
  return out;
}

TEST(OpenApiDocument, IsOpenApi31WithComponents) {
  const json& doc = openapi_document();
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  EXPECT_TRUE(doc.at("components").at("schemas").contains("Error"));
  // Quoted YAML scalars stay strings, plain numbers become numbers.
  EXPECT_TRUE(doc.at("paths").at("/api/v1/services").at("get").at("responses").contains("200"));
  EXPECT_EQ(doc.at("components").at("parameters").at("summaryLimit").at("schema").at("maximum"),
            100000);
}

TEST(OpenApiDocument, DescribesEveryRouteAndNoOther) {
  testing::TempDir dir;
  auto store = store::open_sqlite_store(dir.path() + "/db");
  pipeline::IngestQueue queue(*store, {});
  alerts::Engine engine(*store, alerts::open_sqlite_state_store(dir.path()), {}, {});
  ApiOptions opts;
  opts.listen = "127.0.0.1:0";
  opts.alerts = &engine;
  opts.doctor_provider = [] { return json::object(); };
  ApiServer api(*store, queue, opts);
  api.start();

  auto served = served_routes(api.router());
  auto described = described_routes(openapi_document());
  EXPECT_GE(served.size(), 30u);  // every part of the server is on
  for (const auto& r : served)
    EXPECT_TRUE(described.contains(r))
        << r.first << " " << r.second << " is served but not in src/server/openapi/openapi.yaml";
  for (const auto& r : described)
    EXPECT_TRUE(served.contains(r))
        << r.first << " " << r.second << " is in src/server/openapi/openapi.yaml but not served";

  // And the server answers the document itself.
  httplib::Client client(api.url());
  auto res = client.Get("/api/v1/openapi.json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body), openapi_document());
}

}  // namespace
}  // namespace loupe::server
