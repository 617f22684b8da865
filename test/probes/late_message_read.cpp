// A program that keeps a view of a received message past its listener
// (here `msg.view()`, as `const text = msg.toString()` reads in Node) and
// reads it later: in C++ that reads the loop's receive buffer, which the
// next datagrams overwrite. Builds with AddressSanitizer poison that
// buffer between receive batches, so the read must be reported as a
// use-after-poison; ctest checks the report (test/CMakeLists.txt). Other
// builds cannot catch it: the program says so and exits 77 (skipped).
#include <chrono>
#include <cstdio>
#include <string_view>

#include "dgram/dgram.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define PROBE_HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROBE_HAS_ASAN 1
#endif
#endif

#ifdef PROBE_HAS_ASAN
namespace {

// Out of line, so that the report names it.
[[gnu::noinline]] char readKeptView(std::string_view kept) {
  return *static_cast<const volatile char*>(kept.data());
}

}  // namespace
#endif

int main() {
#ifndef PROBE_HAS_ASAN
  std::puts(
      "SKIPPED: needs AddressSanitizer (the receive buffer is poisoned "
      "between batches only in ASan builds)");
  return 77;
#else
  dgram::SocketOptions options;
  dgram::Loop loop;
  options.loop = &loop;
  auto server = dgram::createSocket(options);
  auto client = dgram::createSocket(options);
  std::string_view kept;
  server->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    kept = msg.view();  // a view, kept past the call
  });
  int port = 0;
  server->bind(0, "127.0.0.1", [&] {
    port = server->address().port;
    client->send("kept past its listener", port, "127.0.0.1");
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (kept.empty() && std::chrono::steady_clock::now() < deadline)
    loop.runOnce(std::chrono::milliseconds(50));
  if (kept.empty()) {
    std::puts("FAILED: no datagram arrived");
    return 1;
  }
  std::printf("reading the kept view after its listener returned...\n");
  std::fflush(stdout);
  char first = readKeptView(kept);
  // Only reached when nothing reported the read.
  std::printf("FAILED: the read was not reported (read '%c')\n", first);
  return 1;
#endif
}
