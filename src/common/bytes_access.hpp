// How the library hands a received datagram to a 'message' listener: as a
// Bytes that knows it is lent (the loop's receive buffer, reused once the
// listener returns), so that a copy the listener keeps owns its bytes.
// Layer: common state machine.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dgram/bytes.hpp"

namespace dgram::detail {

struct BytesAccess {
  /// `size` bytes at `data`, valid during one listener call. Moving the
  /// result keeps it a view (std::function hands its argument on with a
  /// move); copying it copies the bytes.
  static Bytes lend(const std::uint8_t* data, std::size_t size) noexcept {
    return Bytes(data, size, Bytes::kBorrowed);
  }
};

}  // namespace dgram::detail
