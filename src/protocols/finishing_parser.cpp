#include "protocols/finishing_parser.h"

#include "core/record_limits.h"

namespace loupe {
namespace {

class FinishingParser final : public ProtocolParser {
 public:
  FinishingParser(std::unique_ptr<ProtocolParser> inner, Redaction redaction)
      : inner_(std::move(inner)), redaction_(redaction) {}

  void feed(const Segment& seg, std::vector<Record>& out) override {
    size_t first = out.size();
    inner_->feed(seg, out);
    finish(out, first);
  }
  void close(uint64_t ts_ns, std::vector<Record>& out) override {
    size_t first = out.size();
    inner_->close(ts_ns, out);
    finish(out, first);
  }
  bool finished() const override { return inner_->finished(); }
  const ParserStats& stats() const override { return inner_->stats(); }
  size_t memory_bytes() const override { return sizeof(*this) + inner_->memory_bytes(); }

 private:
  void finish(std::vector<Record>& out, size_t first) const {
    for (size_t i = first; i < out.size(); ++i) {
      redact_record(out[i], redaction_);
      clean_record_text(out[i]);
    }
  }

  std::unique_ptr<ProtocolParser> inner_;
  Redaction redaction_;
};

}  // namespace

std::unique_ptr<ProtocolParser> finish_records(std::unique_ptr<ProtocolParser> parser,
                                               Redaction redaction) {
  if (!parser) return parser;
  return std::make_unique<FinishingParser>(std::move(parser), redaction);
}

}  // namespace loupe
