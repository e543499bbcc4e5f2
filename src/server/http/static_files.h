// Serves the built web UI from a directory. Vite names the files under
// /assets/ by their content hash, so they are cached for a year
// ("immutable"); index.html and the other files are revalidated on every
// load ("no-cache") so a new build shows up at once.
#pragma once

#include <optional>
#include <string>

#include "server/http/message.h"

namespace loupe::server::http {

class StaticFiles {
 public:
  explicit StaticFiles(std::string root);

  // The file `req.path` names under the root, or nullopt when there is none
  // (or the path tries to leave the root).
  std::optional<Response> file(const Request& req) const;
  // index.html: what the single-page app's own routes (/services/x) load.
  Response index() const;

 private:
  std::optional<Response> read(const std::string& relative) const;
  std::string root_;
};

}  // namespace loupe::server::http
