// A send callback of a shape Node does not have.
// expect: a send callback takes (const std::optional<dgram::Error>& err,
// expect: std::size_t bytes), (err) or ()
#include <dgram/dgram.hpp>

void use(dgram::Socket& socket) {
  socket.send("x", 9, "127.0.0.1", [](const std::optional<dgram::Error>&) {});
#ifdef DGRAM_COMPILE_FAIL
  socket.send("x", 9, "127.0.0.1", [](const dgram::Error&) {});
#endif
}
