// A connect callback of a wrong shape.
// expect: a connect callback takes (const std::optional<dgram::Error>& err)
// expect: or ()
#include <dgram/dgram.hpp>

void use(dgram::Socket& socket) {
  socket.connect(9, "127.0.0.1", [] {});
#ifdef DGRAM_COMPILE_FAIL
  socket.connect(9, "127.0.0.1", [](const dgram::Error&) {});
#endif
}
