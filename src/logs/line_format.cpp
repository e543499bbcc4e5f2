#include "logs/line_format.h"

#include <nlohmann/json.hpp>

#include "core/time_format.h"

namespace loupe::logs {
namespace {

// "<time> <stream> <P|F> <text>"; the text may be empty ("<time> stdout F").
bool decode_cri(std::string_view line, DecodedLine& out) {
  size_t sp1 = line.find(' ');
  // An RFC 3339 time is at least "2006-01-02T15:04:05Z" (20 bytes).
  if (sp1 < 20 || sp1 == std::string_view::npos || line[4] != '-' || line[10] != 'T') return false;
  auto time = parse_time(line.substr(0, sp1));
  if (!time) return false;
  std::string_view rest = line.substr(sp1 + 1);
  Stream stream;
  if (rest.starts_with("stdout ")) {
    stream = Stream::Stdout;
  } else if (rest.starts_with("stderr ")) {
    stream = Stream::Stderr;
  } else {
    return false;
  }
  rest.remove_prefix(7);
  if (rest.empty() || (rest[0] != 'P' && rest[0] != 'F') || (rest.size() > 1 && rest[1] != ' '))
    return false;
  out.format = Format::Cri;
  out.time_ns = *time;
  out.stream = stream;
  out.partial = rest[0] == 'P';
  out.text.assign(rest.size() > 2 ? rest.substr(2) : std::string_view());
  return true;
}

bool decode_docker(std::string_view line, DecodedLine& out) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  auto log = j.find("log");
  if (log == j.end() || !log->is_string()) return false;
  std::string text = log->get<std::string>();
  out.format = Format::Docker;
  out.partial = !text.ends_with('\n');
  if (!out.partial) text.pop_back();
  out.text = std::move(text);
  if (auto s = j.find("stream"); s != j.end() && s->is_string())
    out.stream = stream_from_string(s->get<std::string>());
  if (auto t = j.find("time"); t != j.end() && t->is_string())
    out.time_ns = parse_time(t->get<std::string>()).value_or(0);
  return true;
}

}  // namespace

std::string_view to_string(Format f) {
  switch (f) {
    case Format::Cri:
      return "cri";
    case Format::Docker:
      return "docker";
    case Format::Plain:
      break;
  }
  return "plain";
}

DecodedLine decode_line(std::string_view line) {
  DecodedLine out;
  if (!line.empty() && line[0] == '{' && decode_docker(line, out)) return out;
  if (decode_cri(line, out)) return out;
  if (line.ends_with('\r')) line.remove_suffix(1);
  out.text.assign(line);
  return out;
}

}  // namespace loupe::logs
