// A bind callback that expects an argument (Node's takes none).
// expect: bind and close callbacks take no arguments: ()
#include <dgram/dgram.hpp>

void use(dgram::Socket& socket) {
  socket.bind(0, [] {});
#ifdef DGRAM_COMPILE_FAIL
  socket.bind(0, [](const dgram::Error&) {});
#endif
}
