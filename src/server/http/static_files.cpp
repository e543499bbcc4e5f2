#include "server/http/static_files.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

namespace loupe::server::http {
namespace {

std::string content_type(const std::filesystem::path& p) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"}};
  auto it = types.find(p.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

// Only plain relative names: no "..", no hidden files, no backslashes or NULs.
bool safe_relative(const std::string& rel) {
  if (rel.empty() || rel.find('\0') != std::string::npos || rel.find('\\') != std::string::npos)
    return false;
  for (const auto& part : std::filesystem::path(rel))
    if (part.string().empty() || part.string().starts_with(".")) return false;
  return true;
}

}  // namespace

StaticFiles::StaticFiles(std::string root) : root_(std::move(root)) {}

std::optional<Response> StaticFiles::read(const std::string& relative) const {
  namespace fs = std::filesystem;
  fs::path p = fs::path(root_) / relative;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  Response res;
  res.set_content(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
                  content_type(p));
  res.set_header("Cache-Control", relative.starts_with("assets/")
                                      ? "public, max-age=31536000, immutable"
                                      : "no-cache");
  return res;
}

std::optional<Response> StaticFiles::file(const Request& req) const {
  if (!req.path.starts_with("/")) return std::nullopt;
  std::string rel = req.path.substr(1);
  if (rel.empty()) rel = "index.html";
  if (!safe_relative(rel)) return std::nullopt;
  return read(rel);
}

Response StaticFiles::index() const {
  if (auto res = read("index.html")) return std::move(*res);
  Response res;
  res.set_error(404, "the web UI's index.html is missing from " + root_);
  return res;
}

}  // namespace loupe::server::http
