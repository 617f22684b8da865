// An 'error' listener taking an int.
// expect: an 'error' listener takes (const dgram::Error& err) or ()
#include <dgram/dgram.hpp>

void use(dgram::Socket& socket) {
  socket.on(dgram::error, [](const dgram::Error& err) { (void)err; });
#ifdef DGRAM_COMPILE_FAIL
  socket.on(dgram::error, [](int code) { (void)code; });
#endif
}
