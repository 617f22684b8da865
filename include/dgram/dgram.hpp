// The umbrella header: everything of node:dgram in C++.
// Layer: public API.
#pragma once

#include "dgram/abort.hpp"       // IWYU pragma: export
#include "dgram/address.hpp"     // IWYU pragma: export
#include "dgram/buffer.hpp"      // IWYU pragma: export
#include "dgram/bytes.hpp"       // IWYU pragma: export
#include "dgram/callbacks.hpp"   // IWYU pragma: export
#include "dgram/error.hpp"       // IWYU pragma: export
#include "dgram/exceptions.hpp"  // IWYU pragma: export
#include "dgram/loop.hpp"        // IWYU pragma: export
#include "dgram/socket.hpp"      // IWYU pragma: export
#include "dgram/version.hpp"     // IWYU pragma: export
