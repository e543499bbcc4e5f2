// The PostgreSQL protocol parser: frontend messages are requests, backend
// messages are matched to them in order.
//
// Records: one per simple Query ('Q', ending at its ReadyForQuery), one per
// extended-protocol Execute ('E', carrying the text of the statement its
// portal was bound to), and one per failed Parse/Bind/Describe whose batch
// had no Execute to carry the error. Extended-protocol records are held
// until the ReadyForQuery answering their Sync, whose timestamp is their
// end_ns. Startup, SSL/GSS negotiation, authentication, ParameterStatus and
// BackendKeyData are consumed silently.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "protocols/parser.h"
#include "protocols/sql/frame_stream.h"
#include "protocols/sql/statement.h"
#include "protocols/sql/statement_cache.h"
#include "protocols/sql/wire_parser.h"

namespace loupe::postgres {

class Parser final : public sql::WireParser {
 public:
  // Bounds that keep a connection's memory fixed whatever the peer does.
  static constexpr std::size_t kMaxStatements = 1024;  // named prepared statements
  static constexpr std::size_t kMaxPortals = 64;
  static constexpr std::size_t kMaxPending = 1024;  // requests awaiting replies
  static constexpr std::size_t kMaxHeld = 1024;     // Execute records awaiting Sync

  Parser(Role role, const sql::SqlOptions& opts);

  size_t memory_bytes() const override;

 private:
  using Text = std::shared_ptr<const std::string>;
  enum class Kind : uint8_t { Query, Parse, Bind, Describe, Execute, Close, Sync };
  struct Pending {
    Kind kind;
    Text text;
    uint64_t start_ns = 0;
    uint64_t req_bytes = 0;
  };

  class RequestCodec final : public sql::FrameCodec {
   public:
    std::size_t header_size() const override { return 5; }
    uint64_t message_length(const uint8_t* h) const override;
    uint64_t resync_length(const uint8_t* h) const override;
  };
  class ResponseCodec final : public sql::FrameCodec {
   public:
    explicit ResponseCodec(const bool& answer_pending) : answer_pending_(answer_pending) {}
    std::size_t header_size() const override { return answer_pending_ ? 1 : 5; }
    uint64_t message_length(const uint8_t* h) const override;
    std::size_t resync_header_size() const override { return 5; }
    uint64_t resync_length(const uint8_t* h) const override;

   private:
    const bool& answer_pending_;
  };
  template <bool kRequest>
  class Handler final : public sql::FrameHandler {
   public:
    explicit Handler(Parser& p) : p_(p) {}
    void on_frame(const sql::Frame& f) override { kRequest ? p_.on_request(f) : p_.on_response(f); }
    void on_resync(uint64_t lost) override { kRequest ? p_.req_lost(lost) : p_.resp_lost(lost); }

   private:
    Parser& p_;
  };

  sql::FrameStream& requests() override { return req_stream_; }
  sql::FrameStream& replies() override { return resp_stream_; }
  bool starts_with_request(const Segment& seg) const override;
  bool unexpected_reply(const Segment& seg) const override;
  void on_close() override;

  void on_request(const sql::Frame& f);
  void on_response(const sql::Frame& f);
  void req_lost(uint64_t bytes) { batch_bytes_ += bytes; }
  void resp_lost(uint64_t bytes) { resp_acc_ += bytes; }

  void on_untyped_request(const sql::Frame& f);
  void push(Pending p);
  void take_batch(Pending& p, const sql::Frame& f);

  Record new_record(const Pending& p, uint64_t end_ns);
  void finish_execute(const sql::Frame& f, std::string_view tag);
  void on_error(const sql::Frame& f);
  void on_ready(const sql::Frame& f);
  bool finish_lost_reply();
  void hold(Record r);
  void flush_held(uint64_t end_ns, uint64_t extra_req, uint64_t extra_resp);

  sql::SqlOptions opts_;

  bool answer_pending_ = false;  // SSLRequest/GSSENCRequest sent: 1-byte answer next
  bool in_startup_ = false;      // between StartupMessage and the first ReadyForQuery
  std::string database_;

  RequestCodec req_codec_;
  ResponseCodec resp_codec_{answer_pending_};
  Handler<true> req_handler_{*this};
  Handler<false> resp_handler_{*this};
  sql::FrameStream req_stream_{req_codec_, req_handler_, stats_};
  sql::FrameStream resp_stream_{resp_codec_, resp_handler_, stats_};

  sql::StatementCache<std::string> statements_{kMaxStatements};
  sql::StatementCache<std::string> portals_{kMaxPortals};
  std::deque<Pending> pending_;

  // Extended-protocol messages since the last Execute/Sync: their bytes and
  // start belong to the next Execute.
  bool batch_open_ = false;
  uint64_t batch_start_ns_ = 0;
  uint64_t batch_bytes_ = 0;

  // Reply fields (tag, error) of the simple query at the front of pending_.
  Record query_;

  uint64_t resp_acc_ = 0;  // response bytes not yet attributed to a record
  bool skipping_to_sync_ = false;
  std::vector<Record> held_;
};

}  // namespace loupe::postgres
