// The one declaration of the protocols Loupe reports. Each protocol folder
// declares its own in declare.cpp (a ProtocolModule, and a LOUPE_PROTOCOL
// line: protocols/declare.h); the build generates the list of them
// (cmake/Protocols.cmake), so no shared file names a protocol. Everything that
// lists protocols derives from that list: detection and parser creation,
// `loupe trace --help`, the API's accepted `protocol` values and
// /api/v1/protocols (which the UI's protocol list reads), and the index
// docs/protocols/README.md (checked by a unit test). The wire name of each
// protocol ("http1") is core's to_string(Protocol), generated from the same
// lines, since records are serialised below this layer.
//
// Adding a protocol: docs/architecture.md, "How to add a protocol".
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "protocols/detect.h"
#include "protocols/parser.h"

namespace loupe {

// What a record's generic fields hold for one protocol (core/record.h);
// empty when the protocol leaves the field empty.
struct RecordFieldMeanings {
  std::string_view method, path, route, host, status, error_code, detail;
};

// What `--redact` masks in one protocol's records beyond what it masks in
// every record (error texts when strict), for people: `loupe trace --help`
// and the index docs/protocols/README.md. Empty: nothing.
struct RedactionMeanings {
  std::string_view default_level, strict;
};

struct ProtocolModule {
  Protocol protocol;
  std::string_view display_name;  // for people: "HTTP/1.x", "PostgreSQL"
  std::string_view docs_page;     // file under docs/protocols/
  // Well-known ports, used only to order detection attempts.
  std::span<const uint16_t> default_ports;
  RecordFieldMeanings fields;
  // The protocol whose parser emits these records when they have no
  // detection and parser of their own (gRPC: HTTP/2); Unknown otherwise.
  Protocol carried_by = Protocol::Unknown;
  // Detection that recognises a plausible shape rather than a signature, so
  // it could claim another protocol's first bytes: asked after every strict
  // one (Redis inline commands, DNS headers).
  bool loose_detection = false;
  Detection (*detect)(std::string_view first_bytes, Direction dir, Role role) = nullptr;
  std::unique_ptr<ProtocolParser> (*make_parser)(Role role) = nullptr;
  // A parser keeping the values make_parser masks itself (SQL literals),
  // for `--redact off`; nullptr when make_parser masks nothing.
  std::unique_ptr<ProtocolParser> (*make_verbatim_parser)(Role role) = nullptr;
  // A parser for a connection that switched to this protocol in place,
  // whose first exchange is the switch's request; nullptr when no protocol
  // switches to this one.
  std::unique_ptr<ProtocolParser> (*make_switched_parser)(const ProtocolSwitch& from) = nullptr;
  // Masks what this protocol's records could carry (redaction.h's rules),
  // called with Default or Strict; nullptr when it masks nothing.
  void (*redact)(Record& r, Redaction level) = nullptr;
  RedactionMeanings redaction;
};

// Every protocol a record can carry, in the order detection tries them:
// strict detections first, then loose ones, each by id (a carried protocol
// right after its carrier).
std::span<const ProtocolModule> protocol_modules();

// The module of `protocol`, or nullptr (Protocol::Unknown).
const ProtocolModule* find_protocol_module(Protocol protocol);

// The parser (unwrapped) a connection goes on with after `sw`, or nullptr
// when Loupe does not parse the protocol it switched to.
std::unique_ptr<ProtocolParser> make_switched_parser(const ProtocolSwitch& sw);

// The wire names joined for messages: "http1, http2, ... or dns".
std::string protocol_names();

// What `level` masks, per protocol, for help texts: "http1, http2: path as
// its route; redis, memcached: key dropped"; empty when nothing.
std::string redaction_summary(Redaction level);

}  // namespace loupe
