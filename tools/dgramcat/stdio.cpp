#include "dgramcat/stdio.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#else
#include <unistd.h>
#endif

namespace dgramcat {

void binaryStdio() {
#ifdef _WIN32
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
#endif
}

std::string writeStdout(std::string_view bytes) {
  if (!bytes.empty() &&
      std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) {
    return std::string("write to stdout: ") + std::strerror(errno);
  }
  if (std::fflush(stdout) != 0) {
    return std::string("write to stdout: ") + std::strerror(errno);
  }
  return {};
}

StdinReader::~StdinReader() {
  if (thread_.joinable()) thread_.join();
}

void StdinReader::start(Framer framer, BatchFn onBatch, EndFn onEnd) {
  thread_ = std::thread([this, framer = std::move(framer),
                         onBatch = std::move(onBatch),
                         onEnd = std::move(onEnd)]() mutable {
    std::string error;
    std::vector<char> buffer(64 * 1024);
    while (true) {
#ifdef _WIN32
      const int got =
          _read(0, buffer.data(), static_cast<unsigned>(buffer.size()));
#else
      const ssize_t got = ::read(0, buffer.data(), buffer.size());
      if (got < 0 && errno == EINTR) continue;
#endif
      if (got < 0) {
        error = std::string("read from stdin: ") + std::strerror(errno);
        break;
      }
      if (got == 0) {
        std::vector<std::string> last;
        framer.finish(last);
        if (!last.empty()) onBatch(std::move(last));
        break;
      }
      std::vector<std::string> batch;
      const bool more =
          framer.feed({buffer.data(), static_cast<std::size_t>(got)}, batch);
      if (!batch.empty()) onBatch(std::move(batch));
      if (!more) {
        error = framer.error();
        break;
      }
    }
    onEnd(std::move(error));
    done_ = true;
  });
}

}  // namespace dgramcat
