// How stdin becomes datagrams (--whole, --block N, or lines): a pure
// splitter fed with the bytes as they are read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dgramcat/options.hpp"

namespace dgramcat {

class Framer {
 public:
  /// `limit`: at most this many datagrams (0 = no limit).
  Framer(Input mode, std::size_t blockSize, std::uint64_t limit);

  /// Adds bytes read; appends the datagrams they complete to `out`.
  /// Returns false once `limit` datagrams were produced or, in --whole
  /// mode, when the input is larger than one datagram (see error()).
  bool feed(std::string_view bytes, std::vector<std::string>& out);

  /// End of input: appends what is left (a last line without newline, a
  /// short last block, the whole input). Lines: a "\r" is removed only
  /// before "\n", so a last line keeps its "\r".
  void finish(std::vector<std::string>& out);

  /// Why feed() refused, or empty.
  const std::string& error() const { return error_; }

 private:
  void emit(std::string datagram, std::vector<std::string>& out);
  bool full() const { return limit_ != 0 && produced_ >= limit_; }

  Input mode_;
  std::size_t blockSize_;
  std::uint64_t limit_;
  std::uint64_t produced_ = 0;
  std::string partial_;
  std::string error_;
};

}  // namespace dgramcat
