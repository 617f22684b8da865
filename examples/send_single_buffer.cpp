// socket.send() example from Node's dgram documentation: sends one UDP
// packet to a port on localhost, then closes. Prints nothing; run
// `./server` first to see the packet arrive.
#include <dgram/dgram.hpp>

#include <optional>
#include <string>

int main() {
  const std::string message = "Some bytes";  // Buffer.from('Some bytes')
  const auto client = dgram::createSocket("udp4");
  client->send(message, 41234, "localhost",
               [&](const std::optional<dgram::Error>& /*err*/, std::size_t) {
                 client->close();
               });

  dgram::run();
}
