// What `loupe trace` prints: the records of each batch the pump hands
// over that pass --comm and --protocol, one text line or JSON object each,
// written with one write(2) per batch.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "core/record.h"

namespace loupe::cli {

class TraceOutput {
 public:
  enum class Format { Text, Json };
  // Empty lists let every record through (--pid and --port are applied in
  // the kernel).
  struct Filter {
    std::vector<std::string> comms;
    std::vector<std::string> protocols;
  };

  TraceOutput(std::FILE* out, Format format, Filter filter);

  // Formats the wanted records into one kept buffer and writes it at once
  // (`out` is made unbuffered): `loupe trace | jq` sees each exchange as
  // its batch comes (every few ms) although stdout is a pipe, without a
  // write per line. On the pump thread.
  void print(std::span<const Record> batch);

  uint64_t printed() const { return printed_; }

 private:
  bool wanted(const Record& r) const;

  std::FILE* out_;
  Format format_;
  Filter filter_;
  std::string lines_;  // kept between batches: its room is reused
  uint64_t printed_ = 0;
};

}  // namespace loupe::cli
