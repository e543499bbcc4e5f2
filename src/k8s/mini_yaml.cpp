#include "k8s/mini_yaml.h"

#include <stdexcept>
#include <vector>

namespace loupe::k8s {
namespace {

struct Line {
  int indent;
  std::string text;  // without indentation and trailing comment
  int number;
};

struct YamlError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(int line, const std::string& what) {
  throw YamlError("line " + std::to_string(line) + ": " + what);
}

// Removes a " #" comment that is not inside quotes, and trailing spaces.
std::string strip_comment(std::string_view s) {
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == '\\' && quote == '"')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
      s = s.substr(0, i);
      break;
    }
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

size_t key_colon(std::string_view s);
nlohmann::json scalar(std::string_view v, int line);

// Splits "a, 'b,c', d" at top-level commas, trimming spaces.
std::vector<std::string_view> flow_items(std::string_view s, int line) {
  std::vector<std::string_view> out;
  char quote = 0;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    char c = i < s.size() ? s[i] : ',';
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{' || c == '[') {
      fail(line, "nested flow collections are not supported");
    } else if (c == ',') {
      std::string_view item = s.substr(start, i - start);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) out.push_back(item);
      start = i + 1;
    }
  }
  return out;
}

// One-level flow collections: "{cluster: lab, user: lab}", "[a, b]".
nlohmann::json flow(std::string_view v, int line) {
  std::string_view inner = v.substr(1, v.size() - 2);
  if (v[0] == '[') {
    nlohmann::json arr = nlohmann::json::array();
    for (auto item : flow_items(inner, line)) arr.push_back(scalar(item, line));
    return arr;
  }
  nlohmann::json obj = nlohmann::json::object();
  for (auto item : flow_items(inner, line)) {
    size_t colon = key_colon(item);
    if (colon == std::string_view::npos) fail(line, "expected 'key: value' in flow mapping");
    std::string_view val = item.substr(colon + 1);
    while (!val.empty() && val.front() == ' ') val.remove_prefix(1);
    nlohmann::json key = scalar(item.substr(0, colon), line);
    if (!key.is_string()) fail(line, "mapping key must be a string");
    obj[key.get<std::string>()] = scalar(val, line);
  }
  return obj;
}

nlohmann::json scalar(std::string_view v, int line) {
  if (v.empty() || v == "~" || v == "null") return nullptr;
  if ((v[0] == '{' && v.back() == '}') || (v[0] == '[' && v.back() == ']')) return flow(v, line);
  if (v[0] == '&' || v[0] == '*' || v[0] == '!' || v[0] == '|' || v[0] == '>' || v[0] == '{' ||
      v[0] == '[') {
    fail(line, "unsupported YAML construct '" + std::string(v.substr(0, 1)) + "'");
  }
  if (v[0] == '"') {
    std::string out;
    size_t i = 1;
    for (; i < v.size() && v[i] != '"'; ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) {
        char e = v[++i];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        out += v[i];
      }
    }
    if (i != v.size() - 1) fail(line, "unterminated or trailing text after double quote");
    return out;
  }
  if (v[0] == '\'') {
    std::string out;
    size_t i = 1;
    for (; i < v.size(); ++i) {
      if (v[i] == '\'') {
        if (i + 1 < v.size() && v[i + 1] == '\'') {
          out += '\'';
          ++i;
        } else {
          break;
        }
      } else {
        out += v[i];
      }
    }
    if (i != v.size() - 1) fail(line, "unterminated or trailing text after single quote");
    return out;
  }
  return std::string(v);
}

bool is_item(const Line& l) { return l.text == "-" || l.text.rfind("- ", 0) == 0; }

// Position of the ':' that separates key and value, or npos.
size_t key_colon(std::string_view s) {
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) {
      return i;
    }
  }
  return std::string_view::npos;
}

class Parser {
 public:
  explicit Parser(std::vector<Line> lines) : lines_(std::move(lines)) {}

  nlohmann::json parse() {
    if (lines_.empty()) return nlohmann::json::object();
    nlohmann::json out = node(lines_[0].indent);
    if (i_ < lines_.size()) fail(lines_[i_].number, "unexpected indentation");
    return out;
  }

 private:
  nlohmann::json node(int indent) {
    return is_item(lines_[i_]) ? sequence(indent) : mapping(indent);
  }

  nlohmann::json sequence(int indent) {
    nlohmann::json arr = nlohmann::json::array();
    while (i_ < lines_.size() && lines_[i_].indent == indent && is_item(lines_[i_])) {
      Line& l = lines_[i_];
      std::string rest = l.text.size() > 1 ? l.text.substr(2) : "";
      size_t pad = rest.find_first_not_of(' ');
      if (pad == std::string::npos) {
        ++i_;
        arr.push_back(i_ < lines_.size() && lines_[i_].indent > indent ? node(lines_[i_].indent)
                                                                       : nullptr);
        continue;
      }
      // "- key: v" opens a mapping whose keys line up with "key".
      l.indent = indent + 2 + static_cast<int>(pad);
      l.text = rest.substr(pad);
      if (is_item(l) || key_colon(l.text) != std::string::npos) {
        arr.push_back(node(l.indent));
      } else {
        arr.push_back(scalar(l.text, l.number));
        ++i_;
      }
    }
    return arr;
  }

  nlohmann::json mapping(int indent) {
    nlohmann::json obj = nlohmann::json::object();
    while (i_ < lines_.size() && lines_[i_].indent == indent && !is_item(lines_[i_])) {
      const Line& l = lines_[i_];
      size_t colon = key_colon(l.text);
      if (colon == std::string::npos) fail(l.number, "expected 'key: value'");
      nlohmann::json key = scalar(l.text.substr(0, colon), l.number);
      if (!key.is_string()) fail(l.number, "mapping key must be a string");
      std::string value = l.text.substr(colon + 1);
      size_t pad = value.find_first_not_of(' ');
      value = pad == std::string::npos ? "" : value.substr(pad);
      ++i_;
      if (!value.empty()) {
        obj[key.get<std::string>()] = scalar(value, l.number);
      } else if (i_ < lines_.size() && (lines_[i_].indent > indent ||
                                        (lines_[i_].indent == indent && is_item(lines_[i_])))) {
        obj[key.get<std::string>()] = node(lines_[i_].indent);
      } else {
        obj[key.get<std::string>()] = nullptr;
      }
    }
    if (i_ < lines_.size() && lines_[i_].indent > indent) {
      fail(lines_[i_].number, "unexpected indentation");
    }
    return obj;
  }

  std::vector<Line> lines_;
  size_t i_ = 0;
};

}  // namespace

nlohmann::json parse_mini_yaml(std::string_view text, std::string* error) {
  std::vector<Line> lines;
  int number = 0;
  try {
    while (!text.empty()) {
      size_t nl = text.find('\n');
      std::string_view raw = text.substr(0, nl);
      text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
      ++number;
      size_t ind = raw.find_first_not_of(' ');
      if (ind == std::string_view::npos) continue;
      if (raw[ind] == '\t') fail(number, "tabs are not allowed for indentation");
      std::string body = strip_comment(raw.substr(ind));
      if (body.empty()) continue;
      if (body == "---" && ind == 0) {
        if (!lines.empty()) fail(number, "multiple documents are not supported");
        continue;
      }
      if (body == "...") break;
      lines.push_back({static_cast<int>(ind), body, number});
    }
    return Parser(std::move(lines)).parse();
  } catch (const YamlError& e) {
    if (error) *error = e.what();
    return nullptr;
  }
}

}  // namespace loupe::k8s
