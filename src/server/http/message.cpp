#include "server/http/message.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace loupe::server::http {

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(
      a.begin(), a.end(), b.begin(), b.end(),
      [](unsigned char x, unsigned char y) { return std::tolower(x) < std::tolower(y); });
}

std::string Request::header(std::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

void Response::set_header(std::string name, std::string value) {
  headers.erase(name);
  headers.emplace(std::move(name), std::move(value));
}

void Response::set_content(std::string content, std::string content_type) {
  body = std::move(content);
  set_header("Content-Type", std::move(content_type));
}

void Response::set_error(int error_status, const std::string& message) {
  status = error_status;
  set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
}

}  // namespace loupe::server::http
