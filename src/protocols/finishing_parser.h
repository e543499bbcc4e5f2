// The last step every parser's records go through, whatever the protocol:
// redaction (protocols/redaction.h), then text made valid UTF-8 within the
// record limits (core/record_limits.h). make_parser() wraps every parser in
// it, so a new protocol cannot forget either.
#pragma once

#include <memory>

#include "protocols/parser.h"
#include "protocols/redaction.h"

namespace loupe {

std::unique_ptr<ProtocolParser> finish_records(std::unique_ptr<ProtocolParser> parser,
                                               Redaction redaction);

}  // namespace loupe
