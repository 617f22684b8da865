// dgramcat's stdin and stdout as raw bytes: a thread that reads stdin and
// hands over its datagrams, and checked writes to stdout.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dgramcat/framing.hpp"

namespace dgramcat {

/// Puts stdin and stdout in binary mode (Windows; nothing elsewhere).
void binaryStdio();

/// Writes all of `bytes` to stdout and flushes. Returns an empty string,
/// or what went wrong ("write to stdout: No space left on device").
std::string writeStdout(std::string_view bytes);

/// Reads stdin on its own thread (no portable API waits for stdin on the
/// loop). Callbacks run on that thread.
class StdinReader {
 public:
  using BatchFn = std::function<void(std::vector<std::string> datagrams)>;
  /// `error` is empty at a normal end of input.
  using EndFn = std::function<void(std::string error)>;

  StdinReader() = default;
  ~StdinReader();
  StdinReader(const StdinReader&) = delete;
  StdinReader& operator=(const StdinReader&) = delete;

  void start(Framer framer, BatchFn onBatch, EndFn onEnd);

  /// Whether the thread is still blocked in a read.
  bool blocked() const { return thread_.joinable() && !done_; }

 private:
  std::thread thread_;
  std::atomic<bool> done_{false};
};

}  // namespace dgramcat
