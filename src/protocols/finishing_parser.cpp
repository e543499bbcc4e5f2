#include "protocols/finishing_parser.h"

#include "core/record_limits.h"
#include "protocols/registry.h"

namespace loupe {
namespace {

class FinishingParser final : public ProtocolParser {
 public:
  FinishingParser(std::unique_ptr<ProtocolParser> inner, Redaction redaction)
      : inner_(std::move(inner)), redaction_(redaction) {}

  void feed(const Segment& seg, std::vector<Record>& out) override {
    size_t first = out.size();
    inner_->feed(seg, out);
    if (inner_->finished()) switch_protocol(seg.ts_ns, out);
    finish(out, first);
  }
  void close(uint64_t ts_ns, std::vector<Record>& out) override {
    size_t first = out.size();
    inner_->close(ts_ns, out);
    finish(out, first);
  }
  bool finished() const override { return inner_->finished(); }
  const ParserStats& stats() const override {
    if (!switched_) return inner_->stats();
    stats_ = before_switch_;
    stats_ += inner_->stats();
    return stats_;
  }
  size_t memory_bytes() const override { return sizeof(*this) + inner_->memory_bytes(); }

 private:
  void finish(std::vector<Record>& out, size_t first) const {
    for (size_t i = first; i < out.size(); ++i) {
      redact_record(out[i], redaction_);
      clean_record_text(out[i]);
    }
  }

  // A connection that switched protocols in place goes on in the new one,
  // its counters added to the old parser's.
  void switch_protocol(uint64_t ts_ns, std::vector<Record>& out) {
    std::optional<ProtocolSwitch> sw = inner_->take_switch();
    if (!sw) return;
    std::unique_ptr<ProtocolParser> next = make_switched_parser(*sw);
    if (!next) return;
    before_switch_ = stats();
    switched_ = true;
    inner_ = std::move(next);
    if (sw->reply_bytes.empty()) return;
    const Direction reply_dir =
        sw->request_dir == Direction::Egress ? Direction::Ingress : Direction::Egress;
    inner_->feed(Segment{reply_dir, ts_ns, sw->reply_bytes, sw->reply_bytes.size()}, out);
  }

  std::unique_ptr<ProtocolParser> inner_;
  Redaction redaction_;
  bool switched_ = false;
  ParserStats before_switch_;  // counters of the parsers before the switch
  mutable ParserStats stats_;  // before_switch_ + the current parser's
};

}  // namespace

std::unique_ptr<ProtocolParser> finish_records(std::unique_ptr<ProtocolParser> parser,
                                               Redaction redaction) {
  if (!parser) return parser;
  return std::make_unique<FinishingParser>(std::move(parser), redaction);
}

}  // namespace loupe
