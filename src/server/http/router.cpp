#include "server/http/router.h"

namespace loupe::server::http {

void Router::add(const std::string& method, const std::string& path, Handler handler) {
  routes_[{path, method}] = std::move(handler);
}

void Router::add_async(const std::string& method, const std::string& path, AsyncHandler handler) {
  async_routes_[{path, method}] = std::move(handler);
}

const AsyncHandler* Router::async_route(const std::string& method, const std::string& path) const {
  auto it = async_routes_.find({path, method});
  return it == async_routes_.end() ? nullptr : &it->second;
}

void Router::add_prefix(const std::string& method, const std::string& prefix, Handler handler) {
  prefix_routes_.push_back({method, prefix, std::move(handler)});
}

std::vector<Router::RouteName> Router::route_names() const {
  std::vector<RouteName> out;
  for (const auto& [key, handler] : routes_) out.push_back({key.second, key.first});
  for (const auto& [key, handler] : async_routes_) out.push_back({key.second, key.first});
  for (const auto& r : prefix_routes_) out.push_back({r.method, r.prefix, true});
  return out;
}

const Router::PrefixRoute* Router::find_prefix(const std::string& method,
                                               const std::string& path) const {
  const PrefixRoute* best = nullptr;
  for (const auto& r : prefix_routes_)
    if ((method.empty() || r.method == method) && path.size() > r.prefix.size() &&
        path.starts_with(r.prefix) && (!best || r.prefix.size() > best->prefix.size()))
      best = &r;
  return best;
}

void Router::dispatch(const Request& req, Response& res) const {
  const std::string& method = req.method == "HEAD" ? std::string("GET") : req.method;
  if (auto it = routes_.find({req.path, method}); it != routes_.end()) {
    it->second(req, res);
    return;
  }
  if (const PrefixRoute* r = find_prefix(method, req.path)) {
    r->handler(req, res);
    return;
  }
  std::string allow;
  for (auto it = routes_.lower_bound({req.path, ""});
       it != routes_.end() && it->first.first == req.path; ++it)
    allow += (allow.empty() ? "" : ", ") + it->first.second;
  for (auto it = async_routes_.lower_bound({req.path, ""});
       it != async_routes_.end() && it->first.first == req.path; ++it)
    allow += (allow.empty() ? "" : ", ") + it->first.second;
  if (allow.empty() && find_prefix("", req.path)) {
    for (const auto& r : prefix_routes_)
      if (req.path.size() > r.prefix.size() && req.path.starts_with(r.prefix))
        allow += (allow.empty() ? "" : ", ") + r.method;
  }
  if (!allow.empty()) {
    res.set_header("Allow", allow);
    res.set_error(405, "method " + req.method + " not allowed on " + req.path + "; use " + allow);
    return;
  }
  if (fallback_) {
    fallback_(req, res);
    return;
  }
  res.status = 404;
  res.set_content("not found\n", "text/plain; charset=utf-8");
}

}  // namespace loupe::server::http
