// A program that keeps a view of a received message past its listener
// (here `msg.view()`, as `const text = msg.toString()` reads in Node) and
// reads it later: in C++ that reads the loop's receive buffer, which
// later datagrams overwrite (this is how a kept first message came to
// read "msg-64-..."). Builds with AddressSanitizer keep each datagram's
// bytes poisoned except during its own listeners' call, so the read must
// be reported as a use-after-poison; ctest checks the report
// (test/CMakeLists.txt). Two ways to read it late, chosen by the argument:
//   between-turns    after the loop turn that delivered it
//   next-listener    in the listener of the next datagram of the batch
// (A read in the listener of a datagram that landed at the very same
// place, as the 65th does, reads memory lent to that listener: no
// sanitizer can tell the two apart.) Other builds cannot catch any of
// it: the program says so and exits 77 (skipped).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

// Out of line, so that the report names it. Returns only when nothing
// reported the read.
[[gnu::noinline]] int readKeptView(std::string_view kept) {
  char first = *static_cast<const volatile char*>(kept.data());
  std::printf("FAILED: the read was not reported (read '%c')\n", first);
  return 1;
}

}  // namespace
#endif

int main(int argc, char** argv) {
#ifndef PROBE_HAS_ASAN
  (void)argc;
  (void)argv;
  std::puts(
      "SKIPPED: needs AddressSanitizer (received bytes are poisoned "
      "outside their listeners only in ASan builds)");
  return 77;
#else
  bool inNextListener = argc > 1 && std::strcmp(argv[1], "next-listener") == 0;
  dgram::SocketOptions options;
  dgram::Loop loop;
  options.loop = &loop;
  auto server = dgram::createSocket(options);
  auto client = dgram::createSocket(options);
  std::string_view kept;
  int received = 0;
  server->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    if (++received == 1) {
      kept = msg.view();  // a view, kept past the call
      return;
    }
    if (inNextListener) {
      std::puts("reading the first datagram's view in the second's listener");
      std::fflush(stdout);
      std::exit(readKeptView(kept));
    }
  });
  int port = 0;
  server->bind(0, "127.0.0.1", [&] { port = server->address().port; });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (port == 0 && std::chrono::steady_clock::now() < deadline)
    loop.runOnce(std::chrono::milliseconds(50));
  // Sent from outside the loop, so both leave at once and the server reads
  // them in one batch, side by side in its buffer.
  client->send("kept past its listener", port, "127.0.0.1");
  client->send("the next datagram", port, "127.0.0.1");
  while (received < 2 && std::chrono::steady_clock::now() < deadline)
    loop.runOnce(std::chrono::milliseconds(50));
  if (received < 2) {
    std::puts("FAILED: the datagrams did not arrive");
    return 1;
  }
  std::puts("reading the first datagram's view between loop turns");
  std::fflush(stdout);
  return readKeptView(kept);
#endif
}
