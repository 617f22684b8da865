// The one error list (src/common/error_list.hpp): code names round-trip,
// and each platform's map gives the numbers Node reports there.
#include "support/catch.hpp"

#include <cerrno>
#include <string_view>

#include "common/sys_error.hpp"

#ifdef _WIN32
#include "win32/error_map.hpp"
#include "win32/winsock.hpp"
#else
#include "posix/errno_map.hpp"
#endif  // _WIN32

using dgram::detail::Errc;
using dgram::detail::errcFromName;
using dgram::detail::errcName;
using dgram::detail::sysError;
using dgram::detail::sysErrorFromName;

TEST_CASE("error list: names and codes round-trip", "[errors]") {
  static_assert(errcFromName("EADDRINUSE") == Errc::kEADDRINUSE);
  static_assert(errcFromName("EAGAIN") == Errc::kEAGAIN);
  static_assert(errcFromName("ETIMEOUT") == Errc::none);  // c-ares' own code
  CHECK(std::string_view(errcName(Errc::kECANCELED)) == "ECANCELED");
  CHECK(std::string_view(errcName(Errc::kEAI_AGAIN)) == "EAI_AGAIN");
  CHECK(sysErrorFromName("no such code").code == Errc::kEINVAL);
  CHECK_FALSE(dgram::detail::SysError{});
}

TEST_CASE("error list: Node's numbers on this platform", "[errors]") {
  // Name lookup's codes have libuv's fixed numbers everywhere.
  CHECK(sysError(Errc::kENOTFOUND).errnum == -3008);
  CHECK(sysError(Errc::kEAI_AGAIN).errnum == -3001);
  CHECK(sysError(Errc::kEAI_FAIL).errnum == -3004);
#ifdef _WIN32
  using dgram::detail::sysErrorFromWinsock;
  CHECK(sysError(Errc::kEADDRINUSE).errnum == -4091);
  CHECK(sysErrorFromWinsock(WSAEADDRINUSE).code == Errc::kEADDRINUSE);
  CHECK(sysErrorFromWinsock(WSAEWOULDBLOCK).code == Errc::kEAGAIN);
  // An alias: the Win32 error an overlapped send completes with.
  CHECK(sysErrorFromWinsock(ERROR_PORT_UNREACHABLE).code ==
        Errc::kECONNREFUSED);
  CHECK(sysErrorFromWinsock(123456).code == Errc::kUNKNOWN);
#else
  using dgram::detail::sysErrorFromErrno;
  CHECK(sysError(Errc::kEADDRINUSE).errnum == -EADDRINUSE);
  CHECK(sysErrorFromErrno(EAGAIN).code == Errc::kEAGAIN);
  CHECK(sysErrorFromErrno(ENOBUFS).errnum == -ENOBUFS);
  auto unknown = sysErrorFromErrno(100000);
  CHECK(unknown.code == Errc::kUNKNOWN);
  CHECK(unknown.errnum == -100000);
#endif  // _WIN32
}
