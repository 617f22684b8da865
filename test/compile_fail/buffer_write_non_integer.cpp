// A Buffer write of a floating-point value (Node would take a number).
// expect: the write methods take an integer value
#include <dgram/dgram.hpp>

void use(dgram::Socket& socket) {
  dgram::Buffer buf(2);
  buf.writeUInt16BE(socket.address().port);
#ifdef DGRAM_COMPILE_FAIL
  buf.writeUInt16BE(1.5);
#endif
}
