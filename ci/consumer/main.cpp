// The consumer program of ci/consumers.sh: what a new user writes first.
// It binds to loopback, sends itself one datagram, prints it and closes.
// Built with -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion
// -Wshadow -Werror against dgram's headers, whichever way dgram was found.
#include <dgram/dgram.hpp>

#include <cstring>
#include <iostream>
#include <string>

int main() {
  if (std::strcmp(dgram::version(), DGRAM_VERSION_STRING) != 0 ||
      dgram::versionNumber() != DGRAM_VERSION_NUMBER) {
    std::cerr << "headers " << DGRAM_VERSION_STRING << " but library "
              << dgram::version() << "\n";
    return 1;
  }
  // An error thrown inside the library is caught here by its type (with a
  // shared dgram, its type information must be exported).
  try {
    dgram::createSocket("udp5");
    std::cerr << "createSocket(\"udp5\") did not throw\n";
    return 1;
  } catch (const dgram::Error& err) {
    if (err.code() != "ERR_SOCKET_BAD_TYPE") {
      std::cerr << "unexpected " << err.code() << "\n";
      return 1;
    }
  }

  std::string got;
  auto socket = dgram::createSocket("udp4");
  socket->on(dgram::error, [&](const dgram::Error& err) {
    std::cerr << "error: " << err.code() << " " << err.what() << "\n";
    socket->close();
  });
  socket->on(dgram::message, [&](dgram::Bytes msg,
                                 const dgram::RemoteInfo& rinfo) {
    got = msg.str();
    std::cout << "got \"" << msg.view() << "\" (" << rinfo.size
              << " bytes) from " << rinfo.address << ":" << rinfo.port << "\n";
    socket->close();
  });
  socket->on(dgram::listening, [&] {
    socket->send("hello from a consumer", socket->address().port, "127.0.0.1");
  });
  // A safety net: a pending timer keeps the loop alive, so it is cleared
  // when the socket closes.
  auto timeout = socket->loop().setTimeout(std::chrono::seconds(5), [&] {
    std::cerr << "no datagram within 5 s\n";
    socket->close();
  });
  socket->on(dgram::close, [&] { socket->loop().clearTimeout(timeout); });
  socket->bind(0, "127.0.0.1");
  dgram::run();
  std::cout << "dgram " << dgram::version() << " on "
            << dgram::Loop::defaultLoop().backend() << ": "
            << (got.empty() ? "FAILED" : "ok") << "\n";
  return got.empty() ? 1 : 0;
}
