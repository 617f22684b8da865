// WSAStartup/WSACleanup, hidden inside the library.
// Layer: platform (IOCP).
#include "win32/winsock.hpp"

#include "common/errors.hpp"
#include "common/raise.hpp"
#include "win32/error_map.hpp"

// What the library links, named in the object file for MSVC's linker: a
// program that links the static dgram.lib without CMake (no
// dgram::dgram target, no pkg-config) needs no extra libraries.
// (mingw-w64's linker does not read these; CMake and dgram.pc name them.)
#ifdef _MSC_VER
#pragma comment(lib, "ws2_32")
#pragma comment(lib, "iphlpapi")
#endif

namespace dgram::detail {
namespace {

// Started by the first loop; cleaned up when static objects are destroyed.
// A loop that is itself a static object (Loop::defaultLoop) finished its
// constructor after this one did, so it is destroyed first: its sockets
// are closed before WSACleanup runs.
class WinsockSession {
 public:
  WinsockSession() {
    WSADATA data;
    error_ = ::WSAStartup(MAKEWORD(2, 2), &data);
  }
  ~WinsockSession() {
    if (error_ == 0) ::WSACleanup();
  }
  WinsockSession(const WinsockSession&) = delete;
  WinsockSession& operator=(const WinsockSession&) = delete;

  int error() const noexcept { return error_; }

 private:
  int error_ = 0;
};

}  // namespace

void ensureWinsock() {
  static WinsockSession session;
  if (session.error() != 0)
    detail::throwError(
        errnoException(sysErrorFromWinsock(session.error()), "WSAStartup"));
}

}  // namespace dgram::detail
