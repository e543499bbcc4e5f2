#include "k8s/quantity.h"

#include <charconv>
#include <cmath>
#include <string>

namespace loupe::k8s {
namespace {

std::optional<double> suffix_factor(std::string_view s) {
  struct Suffix {
    std::string_view text;
    double factor;
  };
  static constexpr Suffix kSuffixes[] = {
      {"", 1},        {"n", 1e-9},    {"u", 1e-6},    {"m", 1e-3},
      {"k", 1e3},     {"M", 1e6},     {"G", 1e9},     {"T", 1e12},
      {"P", 1e15},    {"E", 1e18},    {"Ki", 0x1p10}, {"Mi", 0x1p20},
      {"Gi", 0x1p30}, {"Ti", 0x1p40}, {"Pi", 0x1p50}, {"Ei", 0x1p60},
  };
  for (const auto& x : kSuffixes)
    if (s == x.text) return x.factor;
  if (s.size() >= 2 && (s[0] == 'e' || s[0] == 'E')) {
    int exp = 0;
    auto body = s.substr(1);
    if (!body.empty() && body[0] == '+') body.remove_prefix(1);
    auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), exp);
    if (ec != std::errc() || end != body.data() + body.size() || exp < -30 || exp > 30)
      return std::nullopt;
    return std::pow(10.0, exp);
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> parse_quantity(std::string_view text) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  size_t digits = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
    ++i;
    ++digits;
  }
  if (digits == 0 || text.size() > 64) return std::nullopt;
  // from_chars for double rejects a leading '+'.
  std::string number(text.substr(text[0] == '+' ? 1 : 0, text[0] == '+' ? i - 1 : i));
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
  auto factor = suffix_factor(text.substr(i));
  if (!factor) return std::nullopt;
  return value * *factor;
}

}  // namespace loupe::k8s
