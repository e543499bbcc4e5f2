// Kubernetes resource quantities ("500m", "1.5", "128Mi", "1G", "1e3") as
// numbers: CPU in cores, memory in bytes. The grammar is the API's
// (k8s.io/apimachinery resource.Quantity): a signed decimal, then a binary
// suffix (Ki..Ei), a decimal suffix (n u m "" k M G T P E) or an exponent.
#pragma once

#include <optional>
#include <string_view>

namespace loupe::k8s {

// nullopt for anything that is not a quantity (never throws).
std::optional<double> parse_quantity(std::string_view text);

}  // namespace loupe::k8s
