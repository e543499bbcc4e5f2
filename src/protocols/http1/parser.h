// The HTTP/1 connection parser: two MessageReaders (one per direction) and
// the FIFO that pairs each response with the oldest pending request
// (keep-alive and pipelining).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocols/http1/message_reader.h"
#include "protocols/parser.h"

namespace loupe::http1 {

class Parser final : public ProtocolParser, private MessageSink {
 public:
  static constexpr size_t kMaxPending = 128;
  static constexpr size_t kMaxPath = 1024;
  static constexpr size_t kMaxHost = 256;
  // Reply bytes kept for the protocol a connection switches to when they
  // arrive in the segment that ended the 101 (the server's first frames).
  static constexpr size_t kMaxSwitchBytes = 64 * 1024;

  explicit Parser(Role role);

  void feed(const Segment& seg, std::vector<Record>& out) override;
  void close(uint64_t ts_ns, std::vector<Record>& out) override;
  bool finished() const override { return finished_; }
  std::optional<ProtocolSwitch> take_switch() override {
    if (!switch_) return std::nullopt;
    std::optional<ProtocolSwitch> sw(std::move(*switch_));
    switch_.reset();
    return sw;
  }
  const ParserStats& stats() const override { return stats_; }
  // Between exchanges, nothing held (ProtocolParser::rest).
  bool at_rest() const { return pending_.empty() && between_messages(); }
  bool rest(ParserStats& totals) override {
    if (!at_rest()) return false;
    restart(totals);
    return true;
  }
  // Between messages with requests waiting (ProtocolParser::suspend): they
  // are all that a new parser would not know.
  std::unique_ptr<SuspendedExchanges> suspend(ParserStats& totals) override;
  void resume(std::unique_ptr<SuspendedExchanges> waiting) override;
  // Itself, heads being reassembled, and the requests waiting for responses
  // (their fixed part: their texts are cut to kMaxPath and kMaxHost).
  size_t memory_bytes() const override {
    return sizeof(*this) + requests_.memory_bytes() + responses_.memory_bytes() +
           pending_.capacity() * sizeof(Pending);
  }

 private:
  // A request whose head was seen, waiting for its response.
  struct Pending {
    // User-provided, as Record's: emplace_back() would otherwise zero all
    // of its bytes (a `rep stos`, ~60% of on_request_head's samples) before
    // the member initialisers set them again. Every member has one.
    Pending() {}
    uint64_t seq = 0;
    uint64_t start_ns = 0;
    uint64_t bytes = 0;
    bool complete = false;  // its body was fully seen
    bool head_method = false;
    bool connect = false;
    bool simple = false;       // HTTP/0.9: answered by a bare body until close
    bool upgrade_h2c = false;  // offered Upgrade: h2c
    std::string method;
    std::string path;
    std::string host;
    std::string trace_id;
  };

  // The requests a suspended parser hands over, with the room they had.
  struct WaitingRequests final : SuspendedExchanges {
    std::vector<Pending> pending;
    size_t memory_bytes() const override {
      return sizeof(*this) + pending.capacity() * sizeof(Pending);
    }
  };

  // Both readers between messages, no request body or interim response
  // being read, the connection still HTTP/1.
  bool between_messages() const {
    return open_request_seq_ == 0 && interim_bytes_ == 0 && !finished_ && !switch_ &&
           requests_.at_rest() && responses_.at_rest();
  }
  // Back to a new parser's state, its counters added to `totals`; the
  // pending requests are the caller's.
  void restart(ParserStats& totals);

  BodyPlan on_head(bool request, const Head& head, uint64_t start_ns) override;
  void on_end(bool request, uint64_t end_ns, uint64_t wire_bytes, bool complete) override;
  bool simple_response_next() const override;
  void on_tunnelled(bool request, std::string_view bytes) override;
  BodyPlan on_request_head(const Head& head, uint64_t start_ns);
  BodyPlan on_response_head(const Head& head);
  void on_request_end(uint64_t wire_bytes);
  void on_response_end(uint64_t end_ns, uint64_t wire_bytes);
  void emit(Pending& req, uint64_t end_ns, uint64_t resp_bytes);
  Record make_record(Pending& req, uint64_t end_ns, uint64_t resp_bytes) const;
  void fill_record(Record& r, Pending& req, uint64_t end_ns, uint64_t resp_bytes) const;

  // The small members first, together: no padding between them (one
  // parser per connection end with an exchange in flight).
  Role role_;
  Direction request_dir_;
  bool finished_ = false;
  // The response in progress.
  bool interim_ = false;  // 1xx other than 101: skipped, its bytes join the final response
  bool tunnel_ = false;
  bool h2c_ = false;  // the response is a 101 switching to h2c
  int status_ = 0;
  ParserStats stats_;
  MessageReader requests_;
  MessageReader responses_;
  // Oldest first. A vector, not a deque: an empty libstdc++ deque already
  // allocates ~580 bytes, on every one of thousands of idle keep-alive
  // connections; pending requests are few (kMaxPending), so taking the
  // oldest out of a vector costs little.
  std::vector<Pending> pending_;
  std::vector<Record>* out_ = nullptr;  // set for the duration of feed()/close()
  uint64_t next_seq_ = 1;
  uint64_t open_request_seq_ = 0;  // request whose body is still being read
  uint64_t response_for_ = 0;      // seq of the request the response answers, 0 if none was pending
  uint64_t interim_bytes_ = 0;
  // After h2c_: handed to make_parser's wrapper. Boxed: it holds a whole
  // Record (~0.7 KB) that every connection would carry inline, and
  // connections that switch are rare.
  std::unique_ptr<ProtocolSwitch> switch_;
};

}  // namespace loupe::http1
