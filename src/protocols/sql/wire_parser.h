// The skeleton the MySQL and PostgreSQL parsers share: two framed streams
// (client requests, server replies matched to them in order), the request
// direction learnt from the first bytes when the role is unknown, the end
// of plaintext after an accepted TLS upgrade, and reply bytes that arrive
// with nothing outstanding (capture began mid-reply) skipped whole, since
// framing them could swallow the next real reply.
#pragma once

#include <cstdint>
#include <vector>

#include "protocols/parser.h"
#include "protocols/sql/frame_stream.h"

namespace loupe::sql {

class WireParser : public ProtocolParser {
 public:
  void feed(const Segment& seg, std::vector<Record>& out) final;
  void close(uint64_t ts_ns, std::vector<Record>& out) final;
  bool finished() const final { return finished_; }
  const ParserStats& stats() const final { return stats_; }

 protected:
  explicit WireParser(Role role) : role_(role) {}

  // The protocol's framing of each direction.
  virtual FrameStream& requests() = 0;
  virtual FrameStream& replies() = 0;
  // Role::Unknown: whether the first bytes seen, `seg`, are a request.
  virtual bool starts_with_request(const Segment& seg) const = 0;
  // Reply bytes at a message boundary that no outstanding request explains.
  virtual bool unexpected_reply(const Segment& seg) const = 0;
  // The connection ended: finish or count what is still outstanding.
  virtual void on_close() = 0;

  Role role_;
  ParserStats stats_;
  bool finished_ = false;
  bool await_tls_ = false;              // encryption accepted: a TLS handshake may follow
  uint64_t last_resp_ns_ = 0;           // ts of the last reply segment
  std::vector<Record>* out_ = nullptr;  // the caller's vector during feed/close

 private:
  bool req_dir_known_ = false;  // Role::Unknown: learnt from the first bytes
  Direction req_dir_ = Direction::Egress;
};

}  // namespace loupe::sql
