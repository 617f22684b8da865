// A daemon's timers and signals, the README's side-by-side example:
//
//   const server = dgram.createSocket('udp4');
//   server.bind(41234);
//   const dally = setTimeout(() => server.close(), 30_000);
//   dally.unref();                       // does not hold the process open
//   server.on('message', () => dally.refresh());
//   const tick = setInterval(() => console.log('alive'), 1000);
//   process.on('SIGTERM', () => {        // daemons: stop cleanly
//     clearInterval(tick);
//     server.close();
//   });
#include <chrono>
#include <csignal>
#include <iostream>

#include <dgram/dgram.hpp>

using namespace std::chrono_literals;

int main() {
  auto server = dgram::createSocket("udp4");
  server->bind(41234);
  auto dally = dgram::setTimeout(30s, [&] { server->close(); });
  dally.unref();
  server->on(dgram::message,
             [&](dgram::Bytes, const dgram::RemoteInfo&) { dally.refresh(); });
  auto tick = dgram::setInterval(1s, [] { std::cout << "alive\n"; });
  dgram::onSignal(SIGTERM, [&](int) {
    dgram::clearInterval(tick);
    server->close();
  });
  dgram::run();
}
