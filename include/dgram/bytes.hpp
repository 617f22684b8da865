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
  constexpr Bytes() noexcept = default;
  Bytes(const void* data, std::size_t size) noexcept
      : data_(static_cast<const std::uint8_t*>(data)), size_(size) {}
  Bytes(const char* text) noexcept  // NOLINT: implicit, like a JS string
      : Bytes(std::string_view(text)) {}
  Bytes(std::string_view text) noexcept  // NOLINT
      : data_(reinterpret_cast<const std::uint8_t*>(text.data())),
        size_(text.size()) {}
  Bytes(const std::string& text) noexcept  // NOLINT
      : Bytes(std::string_view(text)) {}
  Bytes(const std::vector<std::uint8_t>& bytes) noexcept  // NOLINT
      : data_(bytes.data()), size_(bytes.size()) {}
  Bytes(const std::vector<char>& bytes) noexcept  // NOLINT
      : Bytes(bytes.data(), bytes.size()) {}
  template <std::size_t N>
  constexpr Bytes(const std::array<std::uint8_t, N>& bytes) noexcept  // NOLINT
      : data_(bytes.data()), size_(N) {}
  template <std::size_t N>
  Bytes(const std::array<char, N>& bytes) noexcept  // NOLINT
      : data_(reinterpret_cast<const std::uint8_t*>(bytes.data())), size_(N) {}

  constexpr const std::uint8_t* data() const noexcept { return data_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr const std::uint8_t* begin() const noexcept { return data_; }
  constexpr const std::uint8_t* end() const noexcept { return data_ + size_; }
  constexpr std::uint8_t operator[](std::size_t i) const noexcept {
    return data_[i];
  }

  /// The bytes as text, without copying (like `${msg}` in Node).
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(data_), size_};
  }
  /// Copies of the bytes that outlive the view.
  std::string str() const { return std::string(view()); }
  std::vector<std::uint8_t> vector() const { return {begin(), end()}; }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace dgram
