// Selects the platform half of the shared BSD-socket layer: the one header
// in src/bsd that names a platform.
// Layer: shared BSD sockets.
#pragma once

#ifdef _WIN32
#include "win32/bsd_types.hpp"
#else
#include "posix/bsd_types.hpp"
#endif  // _WIN32
