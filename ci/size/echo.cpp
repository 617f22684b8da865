// The smallest useful dgram program, for ci/size.sh: a UDP echo server on
// 127.0.0.1 that sends back each datagram it gets, and closes after the
// number it was asked for.
//   echo PORT COUNT
#include <dgram/dgram.hpp>

#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  int left = std::atoi(argv[2]);
  auto socket = dgram::createSocket("udp4");
  socket->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo& r) {
    socket->send(msg, r.port, r.address);
    if (--left == 0) socket->close();
  });
  socket->bind(std::atoi(argv[1]), "127.0.0.1");
  dgram::run();
}
