// socket.setMulticastInterface() example from Node's dgram documentation:
// IPv6 outgoing multicast interface on Windows, where the scope is an
// interface number. (The copy of the documentation in this repository
// prints '::2', which is a plain address; the scope needs its '%'.)
// The Node snippet keeps the socket open; this twin closes it to end.
#include <dgram/dgram.hpp>

int main() {
  const auto socket = dgram::createSocket("udp6");

  socket->bind(1234, [&] {
    socket->setMulticastInterface("::%2");
    socket->close();  // not in Node's snippet
  });

  dgram::run();
}
