// gzip (RFC 1952) compression of request bodies the agent sends and spools.
#pragma once

#include <string>
#include <string_view>

namespace loupe {

std::string gzip_compress(std::string_view data);

}  // namespace loupe
