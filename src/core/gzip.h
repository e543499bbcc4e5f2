// gzip (RFC 1952), the one implementation for every body Loupe compresses
// or inflates (agent batches and spool, log batches, HTTP responses, pprof).
// Inflation goes in pieces, never past a byte budget (a 500 KB zip bomb must
// not become 512 MiB in memory); compression defaults to zlib level 1 (most
// of the size win on JSON, ~30x faster than Brotli's default, which is what
// made the UI slow: issue 19).
#pragma once

#include <zlib.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace loupe {

class GzipInflater {
 public:
  enum class Result { Ok, TooLarge, Corrupt };

  // Inflates gzip (or zlib) data; appends at most `max_output` bytes in total.
  explicit GzipInflater(size_t max_output);
  ~GzipInflater();
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // Feeds the next piece of compressed input, appending what it decodes to
  // `out`. Stops at the first error; later calls return the same result.
  Result feed(std::string_view in, std::string& out);
  // Ok when the stream ended cleanly; Corrupt when it was cut short.
  Result finish() const;

 private:
  z_stream zs_{};
  size_t max_output_;
  size_t produced_ = 0;
  bool ended_ = false;
  Result state_ = Result::Ok;
};

// gzip-compresses `in` (level 1: fast, most of the size win on JSON).
std::string gzip_compress(std::string_view in, int level = 1);

}  // namespace loupe
