// dgram::Bytes: a read-only view of a datagram's bytes.
// Layer: public API.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dgram {

/// A non-owning view of bytes: what `send` takes and what a 'message'
/// listener receives. A received message's bytes are owned by the loop and
/// valid only during the listener call; copy them (`str()`, `vector()`) to
/// keep them.
class Bytes {
 public:
  /// An empty view (no bytes): a zero-length datagram.
  constexpr Bytes() noexcept = default;
  /// Views `size` bytes at `data`.
  Bytes(const void* data, std::size_t size) noexcept
      : data_(static_cast<const std::uint8_t*>(data)), size_(size) {}
  /// Views a NUL-terminated string, without its NUL.
  Bytes(const char* text) noexcept  // NOLINT: implicit, like a JS string
      : Bytes(std::string_view(text)) {}
  /// Views the characters of `text`.
  Bytes(std::string_view text) noexcept  // NOLINT
      : data_(reinterpret_cast<const std::uint8_t*>(text.data())),
        size_(text.size()) {}
  /// Views the characters of `text`.
  Bytes(const std::string& text) noexcept  // NOLINT
      : Bytes(std::string_view(text)) {}
  /// Views the contents of a byte vector.
  Bytes(const std::vector<std::uint8_t>& bytes) noexcept  // NOLINT
      : data_(bytes.data()), size_(bytes.size()) {}
  /// Views the contents of a char vector.
  Bytes(const std::vector<char>& bytes) noexcept  // NOLINT
      : Bytes(bytes.data(), bytes.size()) {}
  /// Views the N bytes of an array.
  template <std::size_t N>
  constexpr Bytes(const std::array<std::uint8_t, N>& bytes) noexcept  // NOLINT
      : data_(bytes.data()), size_(N) {}
  /// Views the N chars of an array.
  template <std::size_t N>
  Bytes(const std::array<char, N>& bytes) noexcept  // NOLINT
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
  /// A copy of the bytes as a string, which outlives the view.
  std::string str() const { return std::string(view()); }
  /// A copy of the bytes as a vector, which outlives the view.
  std::vector<std::uint8_t> vector() const { return {begin(), end()}; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace dgram
