#include "export/exposition.h"

#include <charconv>
#include <cmath>

#include "core/utf8.h"

namespace loupe::exporting {

ExpositionFormat negotiate_format(std::string_view accept) {
  return accept.find("application/openmetrics-text") != std::string_view::npos
             ? ExpositionFormat::OpenMetrics
             : ExpositionFormat::PrometheusText;
}

std::string_view content_type(ExpositionFormat format) {
  return format == ExpositionFormat::OpenMetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

void ExpositionWriter::append_escaped(std::string& out, std::string_view value) {
  std::string valid;
  if (!utf8::is_valid(value)) {
    utf8::append_valid(valid, value);
    value = valid;
  }
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void ExpositionWriter::append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

namespace {

std::string_view type_name(MetricType t) {
  switch (t) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Histogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text: backslash and newline escaped (both formats).
void append_help(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

}  // namespace

void ExpositionWriter::family(std::string_view name, MetricType type, std::string_view help,
                              std::string_view unit) {
  name_ = name;
  // The text format names a counter family by its sample name.
  std::string family_name(name);
  if (type == MetricType::Counter && format_ == ExpositionFormat::PrometheusText)
    family_name += "_total";
  out_ += "# HELP ";
  out_ += family_name;
  out_ += ' ';
  append_help(out_, help);
  out_ += "\n# TYPE ";
  out_ += family_name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
  if (!unit.empty() && format_ == ExpositionFormat::OpenMetrics) {
    out_ += "# UNIT ";
    out_ += family_name;
    out_ += ' ';
    out_ += unit;
    out_ += '\n';
  }
}

void ExpositionWriter::sample(std::string_view suffix, Labels labels, const Label* extra,
                              double value) {
  out_ += name_;
  out_ += suffix;
  bool open = false;
  auto add = [&](const Label& l) {
    if (l.value.empty()) return;
    out_ += open ? ',' : '{';
    open = true;
    out_ += l.name;
    out_ += "=\"";
    append_escaped(out_, l.value);
    out_ += '"';
  };
  for (const Label& l : labels) add(l);
  if (extra) add(*extra);
  if (open) out_ += '}';
  out_ += ' ';
  append_number(out_, value);
  out_ += '\n';
}

void ExpositionWriter::counter(Labels labels, double value) {
  sample("_total", labels, nullptr, value);
}

void ExpositionWriter::gauge(Labels labels, double value) { sample("", labels, nullptr, value); }

void ExpositionWriter::histogram(Labels labels, std::span<const double> bounds,
                                 std::span<const uint64_t> cumulative, double sum, uint64_t count) {
  std::string le;
  for (size_t i = 0; i < bounds.size() && i < cumulative.size(); ++i) {
    le.clear();
    append_number(le, bounds[i]);
    Label l{"le", le};
    sample("_bucket", labels, &l, static_cast<double>(cumulative[i]));
  }
  Label inf{"le", "+Inf"};
  sample("_bucket", labels, &inf, static_cast<double>(count));
  sample("_sum", labels, nullptr, sum);
  sample("_count", labels, nullptr, static_cast<double>(count));
}

std::string ExpositionWriter::finish() {
  if (format_ == ExpositionFormat::OpenMetrics) out_ += "# EOF\n";
  return std::move(out_);
}

}  // namespace loupe::exporting
