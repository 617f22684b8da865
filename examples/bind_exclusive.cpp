// socket.bind(options) example from Node's dgram documentation: a socket
// listening on an exclusive port. The Node snippet stops at bind(); this
// twin closes the socket once it is listening so that the program ends.
#include <dgram/dgram.hpp>

int main() {
  const auto socket = dgram::createSocket("udp4");

  dgram::BindOptions options;
  options.address = "localhost";
  options.port = 8000;
  options.exclusive = true;
  socket->bind(options);

  socket->on(dgram::listening, [&] { socket->close(); });  // not in Node's
  dgram::run();
}
