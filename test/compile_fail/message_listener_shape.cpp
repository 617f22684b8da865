// A 'message' listener taking a std::string (msg is a dgram::Bytes).
// expect: a 'message' listener takes (dgram::Bytes msg,
// expect: const dgram::RemoteInfo& rinfo) or (msg)
#include <dgram/dgram.hpp>

void use(dgram::Socket& socket) {
  socket.on(dgram::message, [](dgram::Bytes msg) { (void)msg; });
#ifdef DGRAM_COMPILE_FAIL
  socket.on(dgram::message,
            [](std::string msg, const dgram::RemoteInfo&) { (void)msg; });
#endif
}
