#include "server/static_ui.h"

#include <filesystem>

namespace loupe::server {

std::string default_ui_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  fs::path dir = ec ? fs::current_path(ec) : exe.parent_path();
  fs::path dist = dir / ".." / "ui" / "dist";
  if (fs::is_directory(dist, ec)) return fs::weakly_canonical(dist, ec).string();
  fs::path installed = dir / ".." / "share" / "loupe" / "ui";  // the Debian package's place
  if (fs::is_directory(installed, ec)) return fs::weakly_canonical(installed, ec).string();
  return (dir / "ui").string();
}

bool ui_available(const std::string& dir) {
  std::error_code ec;
  return !dir.empty() &&
         std::filesystem::is_regular_file(std::filesystem::path(dir) / "index.html", ec);
}

std::string no_ui_page(const std::string& ui_dir) {
  return R"(<!doctype html>
<html><head><meta charset="utf-8"><title>Loupe</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Loupe</h1>
<p>The Loupe API is running at <a href="/api/v1/status"><code>/api/v1</code></a>
(see docs/api.md).</p>
<p>No web UI was found in <code>)" +
         ui_dir + R"(</code>. Build it with <code>scripts/build-ui.sh</code>, or point
<code>--ui-dir</code> at a directory holding the built UI (its <code>index.html</code>).</p>
</body></html>
)";
}

}  // namespace loupe::server
