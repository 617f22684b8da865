// Node's string event names: the C++ events are tags.
// expect: events are tags, not strings: on(dgram::message, fn)
#include <dgram/dgram.hpp>

void use(dgram::Socket& socket) {
  socket.on(dgram::message, [](dgram::Bytes, const dgram::RemoteInfo&) {});
#ifdef DGRAM_COMPILE_FAIL
  socket.on("message", [](dgram::Bytes, const dgram::RemoteInfo&) {});
#endif
}
