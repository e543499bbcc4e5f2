// The MySQL/MariaDB protocol parser: command packets (sequence id 0) are
// requests; the server's packets that follow are matched to them in order.
//
// Records: one per command that gets a reply (COM_QUERY, COM_STMT_PREPARE,
// COM_STMT_EXECUTE, COM_PING, COM_INIT_DB...). COM_STMT_CLOSE,
// COM_STMT_SEND_LONG_DATA and COM_QUIT get no reply and give no record.
// The greeting, handshake response, auth switch and auth data are consumed
// silently.
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

namespace loupe::mysql {

class Parser final : public sql::WireParser {
 public:
  static constexpr std::size_t kMaxStatements = 1024;  // prepared statement ids
  static constexpr std::size_t kMaxPending = 64;       // commands awaiting replies

  Parser(Role role, const sql::SqlOptions& opts);

  size_t memory_bytes() const override;

 private:
  using Text = std::shared_ptr<const std::string>;
  enum class Phase : uint8_t { Unknown, Handshake, Auth, Command };
  enum class Eof : uint8_t { Unknown, Sent, Deprecated };  // EOF packets in result sets?
  enum class State : uint8_t { First, Columns, AfterColumns, Rows, PrepareDefs };

  struct Pending {
    uint8_t cmd = 0;
    Text text;
    uint64_t start_ns = 0;
    uint64_t req_bytes = 0;
    uint64_t resp_bytes = 0;
    State state = State::First;
    uint64_t left = 0;  // column or definition packets still expected
    uint64_t rows = 0;
    uint64_t seen_rows = 0;  // rows actually parsed, and their wire bytes:
    uint64_t row_wire = 0;   // the average row size used to estimate gaps
    uint64_t affected = 0;
    bool result_set = false;
  };

  class Codec final : public sql::FrameCodec {
   public:
    explicit Codec(bool request) : request_(request) {}
    std::size_t header_size() const override { return 4; }
    uint64_t message_length(const uint8_t* h) const override;
    uint64_t resync_length(const uint8_t* h) const override;
    bool may_follow(const uint8_t* prev, const uint8_t* next) const override;

   private:
    bool request_;
  };
  template <bool kRequest>
  class Handler final : public sql::FrameHandler {
   public:
    explicit Handler(Parser& p) : p_(p) {}
    void on_frame(const sql::Frame& f) override { kRequest ? p_.on_request(f) : p_.on_response(f); }
    void on_resync(uint64_t lost) override {
      if (!kRequest) p_.resp_lost_ += lost;
    }

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
  void on_command(const sql::Frame& f, std::string_view payload);
  void on_reply(Pending& p, const sql::Frame& f, std::string_view payload);
  void on_rows_packet(Pending& p, const sql::Frame& f, std::string_view payload);
  void account_gap(Pending& p, uint8_t seq);
  void finish(const sql::Frame& f, std::string detail, const std::string_view* err = nullptr);
  bool finish_lost_reply();

  sql::SqlOptions opts_;

  Phase phase_ = Phase::Unknown;
  uint32_t server_caps_ = 0;
  bool greeting_seen_ = false;
  Eof eof_ = Eof::Unknown;
  bool compressed_ = false;   // CLIENT_COMPRESS negotiated
  bool swallow_eof_ = false;  // a trailing EOF may still follow a finished reply
  std::string database_;

  bool req_continues_ = false;   // last request packet had a full 16 MiB payload
  bool resp_continues_ = false;  // same for responses
  uint8_t last_resp_seq_ = 0;
  uint64_t resp_lost_ = 0;  // wire bytes skipped by a response resync

  Codec req_codec_{true};
  Codec resp_codec_{false};
  Handler<true> req_handler_{*this};
  Handler<false> resp_handler_{*this};
  sql::FrameStream req_stream_{req_codec_, req_handler_, stats_};
  sql::FrameStream resp_stream_{resp_codec_, resp_handler_, stats_};

  sql::StatementCache<uint32_t> statements_{kMaxStatements};
  std::deque<Pending> pending_;
};

}  // namespace loupe::mysql
