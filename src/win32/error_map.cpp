// The Windows error map, made from the one error list
// (common/error_list.hpp): each code's Windows error and libuv's Windows
// number come from there; the Winsock and Win32 errors that are aliases of
// a code (an overlapped call completes with Win32 errors) are listed here.
// Codes are the same on every platform: WSAEADDRINUSE is EADDRINUSE.
// Layer: platform (IOCP).
#include "win32/error_map.hpp"

#include <cstddef>

#include "win32/winsock.hpp"

namespace dgram::detail {
namespace {

struct Mapping {
  int error;
  Errc code;
};

// The list's Windows column first (entries without one are skipped), then
// the aliases. A short linear scan: only error paths come here (a send
// that would block is recognised before translation, see udp_io.cpp).
constexpr Mapping kMappings[] = {
#define DGRAM_WIN_ENTRY(code, posix, windows, uv) {(windows), Errc::k##code},
    DGRAM_ERROR_LIST(DGRAM_WIN_ENTRY)
#undef DGRAM_WIN_ENTRY
        {WSAEPFNOSUPPORT, Errc::kEAFNOSUPPORT},
    {WSAENETRESET, Errc::kECONNRESET},
    {WSAEDISCON, Errc::kEPIPE},
    {WSANOTINITIALISED, Errc::kENOSYS},
    {WSAVERNOTSUPPORTED, Errc::kENOSYS},
    {WSA_INVALID_HANDLE, Errc::kEBADF},
    {WSA_INVALID_PARAMETER, Errc::kEINVAL},
    {ERROR_ACCESS_DENIED, Errc::kEACCES},
    {ERROR_NOT_ENOUGH_MEMORY, Errc::kENOMEM},
    {ERROR_OUTOFMEMORY, Errc::kENOMEM},
    {ERROR_NOT_SUPPORTED, Errc::kENOTSUP},
    {ERROR_NETNAME_DELETED, Errc::kECONNRESET},
    {ERROR_INVALID_FUNCTION, Errc::kEINVAL},
    {ERROR_INVALID_HANDLE, Errc::kEBADF},
    {ERROR_INVALID_PARAMETER, Errc::kEINVAL},
    {ERROR_MORE_DATA, Errc::kEMSGSIZE},
    {ERROR_HOST_UNREACHABLE, Errc::kEHOSTUNREACH},
    {ERROR_NETWORK_UNREACHABLE, Errc::kENETUNREACH},
    {ERROR_PORT_UNREACHABLE, Errc::kECONNREFUSED},
    {ERROR_CONNECTION_REFUSED, Errc::kECONNREFUSED},
    {ERROR_CONNECTION_ABORTED, Errc::kECONNABORTED},
    {ERROR_SEM_TIMEOUT, Errc::kETIMEDOUT},
    {ERROR_TOO_MANY_OPEN_FILES, Errc::kEMFILE},
};

// Node's err.errno on Windows for each code (libuv's uv_errno_t values).
constexpr int kNumbers[] = {0,
#define DGRAM_WIN_NUMBER(code, posix, windows, uv) (uv),
                            DGRAM_ERROR_LIST(DGRAM_WIN_NUMBER)
#undef DGRAM_WIN_NUMBER
};

}  // namespace

SysError sysErrorFromWinsock(int error) noexcept {
  if (error != 0) {
    for (const Mapping& mapping : kMappings) {
      if (mapping.error == error) return sysError(mapping.code);
    }
  }
  return sysError(Errc::kUNKNOWN);
}

SysError sysError(Errc code) noexcept {
  return {kNumbers[static_cast<std::size_t>(code)], code};
}

}  // namespace dgram::detail
