// Where the web UI's built files live, and what `/` serves without them.
#pragma once

#include <string>

namespace loupe::server {

// <dir of the running binary>/../ui/dist when it exists (a build tree or an
// install prefix), else <dir of the running binary>/ui.
std::string default_ui_dir();

// True when `dir` holds an index.html to serve.
bool ui_available(const std::string& dir);

// The page `/` returns when no UI is built.
std::string no_ui_page(const std::string& ui_dir);

}  // namespace loupe::server
