// send(msg, port, cb) with a callback of a wrong shape.
// expect: a send callback takes
#include <dgram/dgram.hpp>

void use(dgram::Socket& socket) {
  socket.send("x", 9, [] {});
#ifdef DGRAM_COMPILE_FAIL
  socket.send("x", 9, [](int, int, int) {});
#endif
}
