// once() with a string event name.
// expect: events are tags, not strings: once(dgram::message, fn)
#include <dgram/dgram.hpp>

void use(dgram::Socket& socket) {
  socket.once(dgram::close, [] {});
#ifdef DGRAM_COMPILE_FAIL
  socket.once("close", [] {});
#endif
}
