// dgram: a client socket sends with `send(msg, port, "127.0.0.1")` and no
// callback; the server's 'message' listener counts and lets the client send
// the next datagram of the window.
#include <dgram/dgram.hpp>

#include "bench.hpp"

namespace bench {

Result runDgram(const Params& params) {
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.loop = &loop;
  auto client = dgram::createSocket(options);
  options.recvBufferSize = params.recvBufferSize;
  auto server = dgram::createSocket(options);

  std::vector<char> data = payload(params.size);
  dgram::Bytes message(data.data(), data.size());
  Window window(params);
  Stopwatch clock;
  double elapsed = 0;
  int port = 0;

  server->on(dgram::error, [](const dgram::Error& e) { fail(e.what()); });
  client->on(dgram::error, [](const dgram::Error& e) { fail(e.what()); });
  server->on(dgram::message, [&](dgram::Bytes, const dgram::RemoteInfo&) {
    if (window.onReceive()) client->send(message, port, "127.0.0.1");
    if (window.done()) {
      elapsed = clock.seconds();
      server->close();
      client->close();
    }
  });
  server->bind(0, "127.0.0.1", [&] {
    port = server->address().port;
    client->bind(0, "127.0.0.1", [&] {
      clock.start();
      for (std::uint64_t n = window.initial(); n > 0; --n)
        client->send(message, port, "127.0.0.1");
    });
  });
  loop.run();
  return Result{window.receivedCount(), elapsed};
}

}  // namespace bench
