#include "server/http/accept_encoding.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace loupe::server::http {

bool accepts_gzip(std::string_view value) {
  std::string v(value);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    std::string item = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    item.erase(
        std::remove_if(item.begin(), item.end(), [](unsigned char c) { return std::isspace(c); }),
        item.end());
    std::string coding = item.substr(0, item.find(';'));
    bool refused = item.find(";q=0") != std::string::npos &&
                   item.find_first_not_of("0.", item.find(";q=0") + 3) == std::string::npos;
    if ((coding == "gzip" || coding == "*") && !refused) return true;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return false;
}

}  // namespace loupe::server::http
