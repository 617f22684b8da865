// socket.setMulticastInterface() example from Node's dgram documentation:
// IPv6 outgoing multicast interface on Windows, where the scope is an
// interface number. (The copy of the documentation in this repository
// prints '::2', which is a plain address; the scope needs its '%'.)
// A host without interface 2 refuses it; this twin reports that.
// The Node snippet keeps the socket open; this twin closes it to end.
#include <dgram/dgram.hpp>

#include <iostream>
#include <optional>

int main() {
  const auto socket = dgram::createSocket("udp6");

  socket->bind(1234, [&] {
    // The error-returning form: no exception (this also builds with
    // -fno-exceptions); the plain form throws the same error.
    std::optional<dgram::Error> err;
    socket->setMulticastInterface("::%2", err);
    if (err) std::cerr << err->code() << ": " << err->what() << std::endl;
    socket->close();  // not in Node's snippet
  });

  dgram::run();
}
