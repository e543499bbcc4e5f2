#include "alerts/config_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "alerts/builtin_rules.h"
#include "core/time_format.h"

namespace loupe::alerts {
namespace {

// Walks one YAML document, collecting every error rather than stopping at
// the first, each with the line of the node at fault.
class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  LoadResult parse(const YAML::Node& root) {
    LoadResult out;
    out.config = default_config();
    if (root.IsNull()) return out;  // an empty file: the built-ins alone
    if (!root.IsMap()) {
      error(root, "", "the file must be a mapping with rules: and receivers:");
      out.errors = std::move(errors_);
      return out;
    }
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string key = it->first.as<std::string>();
      const YAML::Node& v = it->second;
      if (key == "repeat_interval")
        duration(v, key, out.config.repeat_interval_ns, /*allow_zero=*/false);
      else if (key == "receivers")
        receivers(v, out.config);
      else if (key == "rules")
        rules(v, out.config);
      else
        error(it->first, key, "unknown field (expected rules, receivers, repeat_interval)");
    }
    check_receiver_names(out.config);
    out.errors = std::move(errors_);
    return out;
  }

 private:
  void error(const YAML::Node& at, const std::string& field, const std::string& message) {
    int line = at.Mark().is_null() ? 0 : at.Mark().line + 1;
    errors_.push_back({file_, line, field, message});
  }

  bool scalar(const YAML::Node& v, const std::string& field, std::string& out) {
    if (!v.IsScalar()) {
      error(v, field, "expected a single value");
      return false;
    }
    out = v.Scalar();
    return true;
  }

  void number(const YAML::Node& v, const std::string& field, double& out) {
    std::string s;
    if (!scalar(v, field, s)) return;
    try {
      size_t used = 0;
      double d = std::stod(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
      out = d;
    } catch (const std::exception&) {
      error(v, field, "expected a number, got '" + s + "'");
    }
  }

  void duration(const YAML::Node& v, const std::string& field, uint64_t& out, bool allow_zero) {
    std::string s;
    if (!scalar(v, field, s)) return;
    auto d = parse_duration(s);
    if (!d || (!allow_zero && *d == 0))
      error(v, field, "expected a duration like 30s, 5m, 1h or 7d, got '" + s + "'");
    else
      out = *d;
  }

  void string_map(const YAML::Node& v, const std::string& field,
                  std::map<std::string, std::string>& out,
                  const std::vector<std::string>* allowed_keys = nullptr) {
    if (!v.IsMap()) return error(v, field, "expected a mapping of names to values");
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string k = it->first.as<std::string>();
      if (allowed_keys &&
          std::find(allowed_keys->begin(), allowed_keys->end(), k) == allowed_keys->end()) {
        error(it->first, field + "." + k, "unknown key (expected " + joined(*allowed_keys) + ")");
        continue;
      }
      std::string s;
      if (scalar(it->second, field + "." + k, s)) out[k] = s;
    }
  }

  void string_list(const YAML::Node& v, const std::string& field, std::vector<std::string>& out) {
    if (!v.IsSequence()) return error(v, field, "expected a list");
    out.clear();
    for (size_t i = 0; i < v.size(); ++i) {
      std::string s;
      if (scalar(v[i], field + "[" + std::to_string(i) + "]", s)) out.push_back(s);
    }
  }

  // `error` or `[error, fatal]`.
  void levels(const YAML::Node& v, const std::string& field, std::vector<logs::Level>& out) {
    std::vector<std::string> words;
    if (v.IsScalar())
      words.push_back(v.Scalar());
    else
      string_list(v, field, words);
    out.clear();
    for (const auto& w : words) {
      logs::Level l = logs::level_from_string(w);
      if (l == logs::Level::Unknown)
        error(v, field,
              "'" + w + "' is not a level (expected trace, debug, info, warn, error or fatal)");
      else
        out.push_back(l);
    }
  }

  static std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

  void receivers(const YAML::Node& v, Config& config) {
    if (!v.IsSequence()) return error(v, "receivers", "expected a list of receivers");
    for (size_t i = 0; i < v.size(); ++i) {
      std::string at = "receivers[" + std::to_string(i) + "]";
      const YAML::Node& n = v[i];
      if (!n.IsMap()) {
        error(n, at, "expected a mapping with name, type and url");
        continue;
      }
      Receiver r;
      std::string type = "webhook";
      double attempts = r.max_attempts;
      for (auto it = n.begin(); it != n.end(); ++it) {
        std::string k = it->first.as<std::string>();
        std::string f = at + "." + k;
        if (k == "name")
          scalar(it->second, f, r.name);
        else if (k == "type")
          scalar(it->second, f, type);
        else if (k == "url")
          scalar(it->second, f, r.url);
        else if (k == "timeout")
          duration(it->second, f, r.timeout_ns, false);
        else if (k == "max_attempts")
          number(it->second, f, attempts);
        else
          error(it->first, f, "unknown field (expected name, type, url, timeout, max_attempts)");
      }
      if (type == "webhook")
        r.type = ReceiverType::Webhook;
      else if (type == "slack")
        r.type = ReceiverType::Slack;
      else if (type == "alertmanager")
        r.type = ReceiverType::Alertmanager;
      else
        error(n["type"] ? n["type"] : n, at + ".type",
              "unknown type '" + type + "' (expected webhook, slack or alertmanager)");
      if (r.name.empty()) error(n, at + ".name", "a receiver needs a name");
      if (!r.url.starts_with("http://") && !r.url.starts_with("https://"))
        error(n["url"] ? n["url"] : n, at + ".url", "expected an http:// or https:// URL");
      if (attempts < 1 || attempts > 100)
        error(n["max_attempts"] ? n["max_attempts"] : n, at + ".max_attempts", "expected 1 to 100");
      r.max_attempts = static_cast<int>(attempts);
      for (const auto& other : config.receivers)
        if (other.name == r.name) error(n, at + ".name", "duplicate receiver '" + r.name + "'");
      config.receivers.push_back(std::move(r));
    }
  }

  void rules(const YAML::Node& v, Config& config) {
    if (!v.IsSequence()) return error(v, "rules", "expected a list of rules");
    std::set<std::string> seen;
    for (size_t i = 0; i < v.size(); ++i) {
      std::string at = "rules[" + std::to_string(i) + "]";
      const YAML::Node& n = v[i];
      if (!n.IsMap()) {
        error(n, at, "expected a mapping with name, signal and a condition");
        continue;
      }
      std::string name;
      if (!n["name"] || !scalar(n["name"], at + ".name", name) || name.empty()) {
        error(n, at + ".name", "a rule needs a name");
        continue;
      }
      at = "rules[" + std::to_string(i) + "] (" + name + ")";
      if (!seen.insert(name).second) error(n["name"], at + ".name", "duplicate rule name");
      auto existing = std::find_if(config.rules.begin(), config.rules.end(),
                                   [&](const Rule& r) { return r.name == name; });
      bool retune = existing != config.rules.end();
      if (!retune && !n["signal"]) error(n, at + ".signal", "a new rule needs a signal");
      Rule r = retune ? *existing : Rule{};
      r.name = name;
      rule_fields(n, at, r);
      validate(n, at, r);
      if (retune)
        *existing = std::move(r);
      else
        config.rules.push_back(std::move(r));
    }
  }

  void rule_fields(const YAML::Node& n, const std::string& at, Rule& r) {
    using Field = std::function<void(const YAML::Node&, const std::string&)>;
    const std::map<std::string, Field> fields{
        {"name", [](const YAML::Node&, const std::string&) {}},
        {"enabled",
         [&](const YAML::Node& v, const std::string& f) {
           std::string s;
           if (!scalar(v, f, s)) return;
           if (s == "true")
             r.enabled = true;
           else if (s == "false")
             r.enabled = false;
           else
             error(v, f, "expected true or false");
         }},
        {"signal",
         [&](const YAML::Node& v, const std::string& f) {
           std::string s;
           if (!scalar(v, f, s)) return;
           if (auto sig = signal_from_string(s))
             r.signal = *sig;
           else
             error(
                 v, f,
                 "unknown signal '" + s +
                     "' (expected latency, error_rate, request_rate, metric, event or log_count)");
         }},
        {"quantile", [&](const YAML::Node& v, const std::string& f) { number(v, f, r.quantile); }},
        {"metric", [&](const YAML::Node& v, const std::string& f) { scalar(v, f, r.metric); }},
        {"reason", [&](const YAML::Node& v, const std::string& f) { scalar(v, f, r.reason); }},
        {"cleared_by",
         [&](const YAML::Node& v, const std::string& f) { string_list(v, f, r.cleared_by); }},
        {"pattern", [&](const YAML::Node& v, const std::string& f) { scalar(v, f, r.pattern); }},
        {"level", [&](const YAML::Node& v, const std::string& f) { levels(v, f, r.levels); }},
        {"scope",
         [&](const YAML::Node& v, const std::string& f) {
           r.scope.clear();
           string_map(v, f, r.scope, &scope_keys());
         }},
        {"group_by",
         [&](const YAML::Node& v, const std::string& f) {
           string_list(v, f, r.group_by);
           for (const auto& k : r.group_by)
             if (std::find(scope_keys().begin(), scope_keys().end(), k) == scope_keys().end())
               error(v, f, "unknown key '" + k + "' (expected " + joined(scope_keys()) + ")");
         }},
        {"op",
         [&](const YAML::Node& v, const std::string& f) {
           std::string s;
           if (!scalar(v, f, s)) return;
           if (auto op = op_from_string(s))
             r.op = *op;
           else
             error(v, f, "unknown op '" + s + "' (expected >, >=, < or <=)");
         }},
        {"threshold",
         [&](const YAML::Node& v, const std::string& f) {
           number(v, f, r.threshold);
           if (r.kind != ConditionKind::Threshold && !n["change_pct"])
             r.kind = ConditionKind::Threshold;
         }},
        {"change_pct",
         [&](const YAML::Node& v, const std::string& f) {
           number(v, f, r.threshold);
           if (r.kind == ConditionKind::Threshold) r.kind = ConditionKind::ChangePct;
         }},
        {"compare",
         [&](const YAML::Node& v, const std::string& f) {
           std::string s;
           if (!scalar(v, f, s)) return;
           if (s == "baseline")
             r.kind = ConditionKind::BaselinePct;
           else {
             r.kind = ConditionKind::ChangePct;
             duration(v, f, r.compare_ns, false);
           }
         }},
        {"window",
         [&](const YAML::Node& v, const std::string& f) { duration(v, f, r.window_ns, false); }},
        {"for", [&](const YAML::Node& v, const std::string& f) { duration(v, f, r.for_ns, true); }},
        {"min_requests",
         [&](const YAML::Node& v, const std::string& f) {
           double d = 0;
           number(v, f, d);
           if (d < 0)
             error(v, f, "expected a count >= 0");
           else
             r.min_requests = static_cast<uint64_t>(d);
         }},
        {"severity", [&](const YAML::Node& v, const std::string& f) { scalar(v, f, r.severity); }},
        {"labels", [&](const YAML::Node& v, const std::string& f) { string_map(v, f, r.labels); }},
        {"annotations",
         [&](const YAML::Node& v, const std::string& f) { string_map(v, f, r.annotations); }},
        {"receivers",
         [&](const YAML::Node& v, const std::string& f) { string_list(v, f, r.receivers); }},
    };
    if (n["threshold"] && n["change_pct"])
      error(n["change_pct"], at + ".change_pct", "give either threshold or change_pct, not both");
    if (n["compare"] && !n["change_pct"])
      error(n["compare"], at + ".compare", "compare needs change_pct");
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.as<std::string>();
      auto f = fields.find(k);
      if (f == fields.end()) {
        std::vector<std::string> names;
        for (const auto& [name, _] : fields) names.push_back(name);
        error(it->first, at + "." + k, "unknown field (expected one of " + joined(names) + ")");
      } else {
        f->second(it->second, at + "." + k);
      }
    }
  }

  void validate(const YAML::Node& n, const std::string& at, const Rule& r) {
    if (r.signal == Signal::Latency && r.quantile != 0.5 && r.quantile != 0.95 &&
        r.quantile != 0.99)
      error(n["quantile"] ? n["quantile"] : n, at + ".quantile", "expected 0.5, 0.95 or 0.99");
    if (r.signal == Signal::Metric && r.metric.empty())
      error(n, at + ".metric", "signal metric needs metric: <catalog name>");
    if (r.signal == Signal::Event && r.reason.empty())
      error(n, at + ".reason", "signal event needs reason: <Kubernetes reason or OOMKilled>");
    if (r.signal != Signal::Event && !r.cleared_by.empty())
      error(n["cleared_by"], at + ".cleared_by", "only signal event takes cleared_by");
    if (r.signal == Signal::LogCount) {
      if (r.pattern.empty() && r.levels.empty())
        error(n, at + ".pattern", "signal log_count needs pattern: <text> or level: <level>");
      std::vector<std::string> keys = r.group_by;
      for (const auto& [k, _] : r.scope) keys.push_back(k);
      for (const auto& k : keys)
        if (std::find(log_scope_keys().begin(), log_scope_keys().end(), k) ==
            log_scope_keys().end())
          error(n, at,
                "signal log_count groups and scopes by " + joined(log_scope_keys()) + ", not '" +
                    k + "'");
    }
    if (r.signal != Signal::LogCount && (!r.levels.empty() || !r.pattern.empty()))
      error(n["level"] ? n["level"] : n["pattern"], at + (n["level"] ? ".level" : ".pattern"),
            "only signal log_count takes pattern and level");
    if (!r.builtin && !n["threshold"] && !n["change_pct"])
      error(n, at + ".threshold", "a rule needs threshold (with op) or change_pct");
  }

  void check_receiver_names(const Config& config) {
    for (const auto& r : config.rules)
      for (const auto& name : r.receivers)
        if (std::none_of(config.receivers.begin(), config.receivers.end(),
                         [&](const Receiver& x) { return x.name == name; }))
          errors_.push_back(
              {file_, 0, "rules (" + r.name + ").receivers", "no receiver named '" + name + "'"});
  }

  std::string file_;
  std::vector<ConfigError> errors_;
};

}  // namespace

std::string ConfigError::text() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!field.empty()) s += field + ": ";
  return s + message;
}

Config default_config() {
  Config c;
  c.rules = builtin_rules();
  return c;
}

LoadResult parse_config(const std::string& yaml_text, const std::string& file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    LoadResult out;
    out.errors.push_back({file_name, e.mark.is_null() ? 0 : e.mark.line + 1, "", e.msg});
    return out;
  }
  try {
    return Parser(file_name).parse(root);
  } catch (const YAML::Exception& e) {  // a key that is not a scalar, and the like
    LoadResult out;
    out.errors.push_back({file_name, e.mark.is_null() ? 0 : e.mark.line + 1, "", e.msg});
    return out;
  }
}

LoadResult load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    LoadResult out;
    out.errors.push_back({path, 0, "", "cannot read the file"});
    return out;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace loupe::alerts
