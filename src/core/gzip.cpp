#include "core/gzip.h"

#include <stdexcept>

namespace loupe {

GzipInflater::GzipInflater(size_t max_output) : max_output_(max_output) {
  // 15 + 32: detect gzip or zlib headers automatically.
  if (inflateInit2(&zs_, 15 + 32) != Z_OK) throw std::runtime_error("zlib: inflateInit2 failed");
}

GzipInflater::~GzipInflater() { inflateEnd(&zs_); }

GzipInflater::Result GzipInflater::feed(std::string_view in, std::string& out) {
  if (state_ != Result::Ok) return state_;
  if (ended_) return in.empty() ? state_ : (state_ = Result::Corrupt);  // data after the end
  zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs_.avail_in = static_cast<uInt>(in.size());
  char buf[16384];
  // Also loop while the last round filled `buf`: zlib may hold more output
  // for input it has already consumed.
  zs_.avail_out = 0;
  while ((zs_.avail_in > 0 || zs_.avail_out == 0) && !ended_) {
    zs_.next_out = reinterpret_cast<Bytef*>(buf);
    zs_.avail_out = sizeof buf;
    int rc = inflate(&zs_, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return state_ = Result::Corrupt;
    size_t n = sizeof buf - zs_.avail_out;
    if (produced_ + n > max_output_) return state_ = Result::TooLarge;
    produced_ += n;
    out.append(buf, n);
    if (rc == Z_STREAM_END)
      ended_ = true;
    else if (rc == Z_BUF_ERROR && n == 0)
      break;  // needs more input
  }
  if (ended_ && zs_.avail_in > 0) return state_ = Result::Corrupt;
  return state_;
}

GzipInflater::Result GzipInflater::finish() const {
  if (state_ != Result::Ok) return state_;
  return ended_ ? Result::Ok : Result::Corrupt;
}

std::string gzip_compress(std::string_view in, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib: deflate failed");
  return out;
}

}  // namespace loupe
