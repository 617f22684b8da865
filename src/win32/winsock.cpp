// WSAStartup, once per process, hidden inside the library.
// Layer: platform (IOCP).
#include "win32/winsock.hpp"

#include "common/errors.hpp"
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

// Started by the first loop, never cleaned up. WSACleanup would run from
// a static destructor: in a DLL that is DLL_PROCESS_DETACH, under the
// loader lock, where Winsock may unload its provider DLLs (and a loop
// that is itself a static object may still be closing sockets). Process
// exit releases Winsock anyway; libuv never calls WSACleanup either.
class WinsockSession {
 public:
  WinsockSession() {
    WSADATA data;
    error_ = ::WSAStartup(MAKEWORD(2, 2), &data);
  }

  int error() const noexcept { return error_; }

 private:
  int error_ = 0;
};

}  // namespace

void ensureWinsock() {
  static WinsockSession session;
  if (session.error() != 0)
    throw errnoException(sysErrorFromWinsock(session.error()), "WSAStartup");
}

}  // namespace dgram::detail
