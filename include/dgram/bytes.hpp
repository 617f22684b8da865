// dgram::ByteView and dgram::Bytes: the bytes `send` takes and a 'message'
// listener receives, with Node's Buffer read methods.
// Layer: public API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "dgram/export.hpp"

namespace dgram {

class Bytes;
namespace detail {
struct BytesAccess;  // how the library lends a received message
}  // namespace detail

/// A non-owning view of bytes, like `std::string_view`: what `send` takes
/// (the caller's memory, copied by `send` before it returns). Made from a
/// string, a C string, a byte or char vector or array, a pointer and a
/// size, a Bytes or a Buffer. Node's Buffer read methods read it,
/// bounds-checked.
class ByteView {
 public:
  /// An empty view (no bytes): a zero-length datagram.
  constexpr ByteView() noexcept = default;
  /// Views `size` bytes at `data`.
  ByteView(const void* data, std::size_t size) noexcept
      : data_(static_cast<const std::uint8_t*>(data)), size_(size) {}
  /// Views a NUL-terminated string, without its NUL.
  ByteView(const char* text) noexcept  // NOLINT: implicit, like a JS string
      : ByteView(std::string_view(text)) {}
  /// Views the characters of `text`.
  ByteView(std::string_view text) noexcept  // NOLINT
      : data_(reinterpret_cast<const std::uint8_t*>(text.data())),
        size_(text.size()) {}
  /// Views the characters of `text`.
  ByteView(const std::string& text) noexcept  // NOLINT
      : ByteView(std::string_view(text)) {}
  /// Views the contents of a byte vector.
  ByteView(const std::vector<std::uint8_t>& bytes) noexcept  // NOLINT
      : data_(bytes.data()), size_(bytes.size()) {}
  /// Views the contents of a char vector.
  ByteView(const std::vector<char>& bytes) noexcept  // NOLINT
      : ByteView(bytes.data(), bytes.size()) {}
  /// Views the N bytes of an array.
  template <std::size_t N>
  constexpr ByteView(
      const std::array<std::uint8_t, N>& bytes) noexcept  // NOLINT
      : data_(bytes.data()), size_(N) {}
  /// Views the N chars of an array.
  template <std::size_t N>
  ByteView(const std::array<char, N>& bytes) noexcept  // NOLINT
      : data_(reinterpret_cast<const std::uint8_t*>(bytes.data())), size_(N) {}

  /// The first byte (nullptr for a default-constructed view).
  constexpr const std::uint8_t* data() const noexcept { return data_; }
  /// Number of bytes.
  constexpr std::size_t size() const noexcept { return size_; }
  /// Whether there are no bytes.
  constexpr bool empty() const noexcept { return size_ == 0; }
  /// Iterator to the first byte.
  constexpr const std::uint8_t* begin() const noexcept { return data_; }
  /// Iterator past the last byte.
  constexpr const std::uint8_t* end() const noexcept { return data_ + size_; }
  /// Byte `i` (unchecked, like a Buffer index).
  constexpr std::uint8_t operator[](std::size_t i) const noexcept {
    return data_[i];
  }

  /// The bytes as text, without copying (like `${msg}` in Node).
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(data_), size_};
  }
  /// A copy of the bytes as a string.
  std::string str() const { return std::string(view()); }
  /// A copy of the bytes as a vector.
  std::vector<std::uint8_t> vector() const { return {begin(), end()}; }

  /// Node's `buf.readUInt8(offset)` ... `buf.readBigInt64LE(offset)`: the
  /// integer at `offset`, big-endian (BE) or little-endian (LE). Throws
  /// `ERR_OUT_OF_RANGE` when it does not fit before the end
  /// (`ERR_BUFFER_OUT_OF_BOUNDS` when the bytes are fewer than it needs).
  ///@{
  std::uint8_t readUInt8(std::size_t offset = 0) const {
    return read<std::uint8_t, true>(offset);
  }
  std::int8_t readInt8(std::size_t offset = 0) const {
    return read<std::int8_t, true>(offset);
  }
  std::uint16_t readUInt16BE(std::size_t offset = 0) const {
    return read<std::uint16_t, true>(offset);
  }
  std::uint16_t readUInt16LE(std::size_t offset = 0) const {
    return read<std::uint16_t, false>(offset);
  }
  std::int16_t readInt16BE(std::size_t offset = 0) const {
    return read<std::int16_t, true>(offset);
  }
  std::int16_t readInt16LE(std::size_t offset = 0) const {
    return read<std::int16_t, false>(offset);
  }
  std::uint32_t readUInt32BE(std::size_t offset = 0) const {
    return read<std::uint32_t, true>(offset);
  }
  std::uint32_t readUInt32LE(std::size_t offset = 0) const {
    return read<std::uint32_t, false>(offset);
  }
  std::int32_t readInt32BE(std::size_t offset = 0) const {
    return read<std::int32_t, true>(offset);
  }
  std::int32_t readInt32LE(std::size_t offset = 0) const {
    return read<std::int32_t, false>(offset);
  }
  std::uint64_t readBigUInt64BE(std::size_t offset = 0) const {
    return read<std::uint64_t, true>(offset);
  }
  std::uint64_t readBigUInt64LE(std::size_t offset = 0) const {
    return read<std::uint64_t, false>(offset);
  }
  std::int64_t readBigInt64BE(std::size_t offset = 0) const {
    return read<std::int64_t, true>(offset);
  }
  std::int64_t readBigInt64LE(std::size_t offset = 0) const {
    return read<std::int64_t, false>(offset);
  }
  ///@}

  /// Whether `a` and `b` hold the same bytes (Node's `buf.equals`).
  friend bool operator==(ByteView a, ByteView b) noexcept {
    return a.view() == b.view();
  }
  /// Whether `a` and `b` differ.
  friend bool operator!=(ByteView a, ByteView b) noexcept { return !(a == b); }
  /// Writes the bytes as they are, like `${msg}` in Node.
  friend std::ostream& operator<<(std::ostream& out, ByteView bytes) {
    return out << bytes.view();
  }

 protected:
  /// Throws what Node's Buffer methods throw for `width` bytes at `offset`
  /// that do not fit: `ERR_OUT_OF_RANGE`, or `ERR_BUFFER_OUT_OF_BOUNDS`
  /// when fewer than `width` bytes are there at all.
  [[noreturn]] DGRAM_API void outOfBounds(std::size_t offset,
                                          std::size_t width) const;
  /// Whether `width` bytes at `offset` are inside the view.
  bool fits(std::size_t offset, std::size_t width) const noexcept {
    return width <= size_ && offset <= size_ - width;
  }

  const std::uint8_t* data_ = nullptr;  ///< the first byte
  std::size_t size_ = 0;                ///< the number of bytes

 private:
  template <typename T, bool kBigEndian>
  T read(std::size_t offset) const {
    if (!fits(offset, sizeof(T))) outOfBounds(offset, sizeof(T));
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      std::size_t at = offset + (kBigEndian ? i : sizeof(T) - 1 - i);
      bits = (bits << 8) | static_cast<std::uint64_t>(data_[at]);
    }
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(bits));
  }
};

/// A message's bytes: what a 'message' listener receives, and what `send`
/// takes (as a ByteView). Three kinds, one rule for each:
/// - made from the program's memory (a string, a vector, a pointer and a
///   size...): a view of it, like `std::string_view`; copies are views.
/// - the listener's `msg`: the loop's receive buffer, lent for the call.
///   Passing it on by `const Bytes&`, by move, or to `send` copies
///   nothing. Copying or assigning it (`last = msg`, a `[msg]` capture,
///   `kept.push_back(msg)`) makes a copy that owns its bytes, since the
///   loop reuses the buffer for later datagrams once the listener returns.
///   A view taken of it and kept past the listener (a moved-out `msg`, a
///   ByteView, `view()`, `data()`) reads whatever came later; builds with
///   AddressSanitizer report such a read.
/// - such a copy: owns its bytes; copies of it share them (read-only, so
///   sharing is invisible), and they are freed with the last one.
class Bytes : public ByteView {
 public:
  using ByteView::ByteView;  ///< a view of the program's memory

  /// An empty view (no bytes): a zero-length datagram.
  Bytes() noexcept = default;
  /// A view of what `view` views.
  Bytes(ByteView view) noexcept : ByteView(view) {}  // NOLINT: implicit
  /// A view stays a view, a kept copy is shared, and a received message is
  /// copied into bytes of its own.
  Bytes(const Bytes& other) : ByteView(other), owner_(other.owner_) {
    if (owner_ != kView) keep();
  }
  /// Takes over what `other` holds; `other` is empty after it if it owned
  /// its bytes, unchanged otherwise.
  Bytes(Bytes&& other) noexcept : ByteView(other), owner_(other.owner_) {
    if (owner_ > kBorrowed) other.forget();
  }
  /// As the copy constructor.
  Bytes& operator=(const Bytes& other) {
    if (this != &other) *this = Bytes(other);
    return *this;
  }
  /// As the move constructor.
  Bytes& operator=(Bytes&& other) noexcept {
    if (this != &other) {
      if (owner_ > kBorrowed) release();
      data_ = other.data_;
      size_ = other.size_;
      owner_ = other.owner_;
      if (owner_ > kBorrowed) other.forget();
    }
    return *this;
  }
  /// Lets go of the bytes if this was the last copy that owned them.
  ~Bytes() {
    if (owner_ > kBorrowed) release();
  }

 private:
  friend struct detail::BytesAccess;
  // What owner_ holds: kView, kBorrowed, or the address of the shared
  // block a kept copy owns (defined in the library).
  static constexpr std::uintptr_t kView = 0;
  static constexpr std::uintptr_t kBorrowed = 1;

  Bytes(const std::uint8_t* data, std::size_t size,
        std::uintptr_t owner) noexcept
      : ByteView(data, size), owner_(owner) {}
  /// A copy that owns its bytes (a borrowed message is copied, a shared
  /// block gains a holder).
  DGRAM_API void keep();
  /// Drops this holder of the shared block.
  DGRAM_API void release() noexcept;
  void forget() noexcept {
    data_ = nullptr;
    size_ = 0;
    owner_ = kView;
  }

  std::uintptr_t owner_ = kView;
};

}  // namespace dgram
