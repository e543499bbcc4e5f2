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
  // A switched connection goes on in a parser make_parser would not make.
  bool rest(ParserStats& totals) override { return !switched_ && inner_->rest(totals); }
  std::unique_ptr<SuspendedExchanges> suspend(ParserStats& totals) override {
    return switched_ ? nullptr : inner_->suspend(totals);
  }
  void resume(std::unique_ptr<SuspendedExchanges> waiting) override {
    inner_->resume(std::move(waiting));
  }
  const ParserStats& stats() const override {
    if (!switched_) return inner_->stats();
    switched_->total = switched_->before;
    switched_->total += inner_->stats();
    return switched_->total;
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
    ParserStats before = stats();
    switched_ = std::make_unique<Switched>();
    switched_->before = before;
    inner_ = std::move(next);
    if (sw->reply_bytes.empty()) return;
    const Direction reply_dir =
        sw->request_dir == Direction::Egress ? Direction::Ingress : Direction::Egress;
    inner_->feed(Segment{reply_dir, ts_ns, sw->reply_bytes, sw->reply_bytes.size()}, out);
  }

  // Counters of a connection that switched protocols. Boxed: one wrapper
  // per traced connection, and switches are rare (64 bytes less for each
  // of the 20,000 ends of 10k live connections).
  struct Switched {
    ParserStats before;  // counters of the parsers before the switch
    ParserStats total;   // before + the current parser's
  };

  std::unique_ptr<ProtocolParser> inner_;
  std::unique_ptr<Switched> switched_;  // null until a switch
  Redaction redaction_;
};

}  // namespace

std::unique_ptr<ProtocolParser> finish_records(std::unique_ptr<ProtocolParser> parser,
                                               Redaction redaction) {
  if (!parser) return parser;
  return std::make_unique<FinishingParser>(std::move(parser), redaction);
}

}  // namespace loupe
