// socket.send() example from Node's dgram documentation: sends one UDP
// packet made of two buffers to a port on 127.0.0.1 (the default address),
// then closes. Prints nothing; run `./server` first to see "Some bytes".
#include <dgram/dgram.hpp>

#include <optional>
#include <string>

int main() {
  const std::string buf1 = "Some ";  // Buffer.from('Some ')
  const std::string buf2 = "bytes";  // Buffer.from('bytes')
  const auto client = dgram::createSocket("udp4");
  client->send({buf1, buf2}, 41234,
               [&](const std::optional<dgram::Error>& /*err*/, std::size_t) {
                 client->close();
               });

  dgram::run();
}
