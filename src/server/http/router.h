// Maps method + exact path (or a path prefix, for routes that name a thing
// in their last segments) to a handler; everything else goes to one
// fallback (the API's JSON 404, or the web UI's files).
//
//   Router r;
//   r.add("GET", "/api/v1/status", status_handler);
//   r.add_prefix("DELETE", "/api/v1/silences/", expire);  // req.path holds the id
//   r.add_async("POST", "/api/v1/ingest", commit_then_reply);  // answers later
//   r.set_fallback(not_found);
//   r.dispatch(request, response);
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "server/http/message.h"

namespace loupe::server::http {

class Router {
 public:
  void add(const std::string& method, const std::string& path, Handler handler);
  void get(const std::string& path, Handler handler) { add("GET", path, std::move(handler)); }
  void post(const std::string& path, Handler handler) { add("POST", path, std::move(handler)); }
  // Every path that starts with `prefix` and goes on after it; an exact
  // route of the same path wins.
  void add_prefix(const std::string& method, const std::string& prefix, Handler handler);
  // A route whose handler answers later (a Reply called from any thread);
  // the server parks the connection meanwhile.
  void add_async(const std::string& method, const std::string& path, AsyncHandler handler);
  void set_fallback(Handler handler) { fallback_ = std::move(handler); }

  // True when method + path has its own route (not the fallback): only such
  // requests get their body read.
  bool has_route(const std::string& method, const std::string& path) const {
    return routes_.contains({path, method}) || async_routes_.contains({path, method}) ||
           find_prefix(method, path) != nullptr;
  }

  // Every route, for the test that compares them with the API's description:
  // (method, path), a prefix route's path ending in its prefix's "/".
  struct RouteName {
    std::string method;
    std::string path;
    bool prefix = false;
    auto operator<=>(const RouteName&) const = default;
  };
  std::vector<RouteName> route_names() const;

  // The async handler of method + path, or nullptr (then use dispatch).
  const AsyncHandler* async_route(const std::string& method, const std::string& path) const;

  // A known path asked with another method is 405 with an Allow header; an
  // unknown path goes to the fallback (404 without one). HEAD is served as
  // GET (the server drops the body).
  void dispatch(const Request& req, Response& res) const;

 private:
  struct PrefixRoute {
    std::string method;
    std::string prefix;
    Handler handler;
  };
  // The prefix route of `method` for `path` (the longest), or nullptr; with
  // an empty method, of any method.
  const PrefixRoute* find_prefix(const std::string& method, const std::string& path) const;

  std::map<std::pair<std::string, std::string>, Handler> routes_;  // (path, method)
  std::map<std::pair<std::string, std::string>, AsyncHandler> async_routes_;
  std::vector<PrefixRoute> prefix_routes_;
  Handler fallback_;
};

}  // namespace loupe::server::http
