#include "protocols/redaction.h"

#include "protocols/registry.h"

namespace loupe {

std::optional<Redaction> redaction_from_string(std::string_view s) {
  if (s == "default") return Redaction::Default;
  if (s == "off") return Redaction::Off;
  if (s == "strict") return Redaction::Strict;
  return std::nullopt;
}

std::string_view to_string(Redaction r) {
  switch (r) {
    case Redaction::Off:
      return "off";
    case Redaction::Strict:
      return "strict";
    case Redaction::Default:
      break;
  }
  return "default";
}

std::string mask_query_values(std::string_view target) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view query = target.substr(q + 1);
  bool first = true;
  while (true) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!first) out += '&';
    first = false;
    size_t eq = pair.find('=');
    out.append(pair.substr(0, eq == std::string_view::npos ? eq : eq + 1));
    if (eq != std::string_view::npos && eq + 1 < pair.size()) out += '?';  // never longer
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

void redact_record(Record& r, Redaction level) {
  if (level == Redaction::Off) return;
  const ProtocolModule* m = find_protocol_module(r.protocol);
  if (m && m->redact) m->redact(r, level);
  if (level == Redaction::Strict) r.error_message.clear();
}

void mask_query_or_route(Record& r, Redaction level) {
  if (level == Redaction::Strict)
    r.path = r.route;
  else if (r.path.find('?') != std::string::npos)  // else nothing to mask: no copy
    r.path = mask_query_values(r.path);
}

void path_as_route_when_strict(Record& r, Redaction level) {
  if (level == Redaction::Strict) r.path = r.route;
}

void drop_path_when_strict(Record& r, Redaction level) {
  if (level == Redaction::Strict) r.path.clear();
}

void drop_detail_when_strict(Record& r, Redaction level) {
  if (level == Redaction::Strict) r.detail.clear();
}

}  // namespace loupe
