// dgram::Buffer: bytes the program owns and fills, with Node's Buffer
// write methods and Buffer.concat.
// Layer: public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <memory>
#include <type_traits>

#include "dgram/bytes.hpp"
#include "dgram/export.hpp"

namespace dgram {

/// An owning, fixed-size, writable byte buffer, as Node's `Buffer`: made
/// with `alloc`, `from` or `concat`, filled with the write methods, read
/// with the read methods of ByteView (which it is: `send(buf, ...)` and
/// `Bytes b = buf` view it). Copies are deep; a move leaves the source
/// empty.
class Buffer : public ByteView {
 public:
  /// An empty buffer.
  Buffer() noexcept = default;
  /// `Buffer.alloc(size[, fill])`: `size` bytes, each `fill`.
  explicit Buffer(std::size_t size, std::uint8_t fill = 0)
      : storage_(size ? new std::uint8_t[size] : nullptr) {
    if (size) std::memset(storage_.get(), fill, size);
    data_ = storage_.get();
    size_ = size;
  }
  /// `Buffer.from(bytes)`: a copy of `bytes`.
  explicit Buffer(ByteView bytes) : Buffer(bytes.size()) {
    if (bytes.size()) std::memcpy(storage_.get(), bytes.data(), bytes.size());
  }
  /// A copy of `other`'s bytes.
  Buffer(const Buffer& other) : Buffer(static_cast<const ByteView&>(other)) {}
  /// Takes `other`'s bytes; `other` is empty afterwards.
  Buffer(Buffer&& other) noexcept
      : ByteView(other), storage_(std::move(other.storage_)) {
    other.data_ = nullptr;
    other.size_ = 0;
  }
  /// Replaces the bytes with a copy of `other`'s.
  Buffer& operator=(const Buffer& other) {
    if (this != &other) *this = Buffer(other);
    return *this;
  }
  /// Takes `other`'s bytes; `other` is empty afterwards.
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      storage_ = std::move(other.storage_);
      data_ = other.data_;
      size_ = other.size_;
      other.data_ = nullptr;
      other.size_ = 0;
    }
    return *this;
  }
  ~Buffer() = default;  ///< Frees the bytes.

  /// `Buffer.alloc(size[, fill])`.
  static Buffer alloc(std::size_t size, std::uint8_t fill = 0) {
    return Buffer(size, fill);
  }
  /// `Buffer.from(bytes)`: a copy of a string, a received message, a
  /// vector... (anything a ByteView views).
  static Buffer from(ByteView bytes) { return Buffer(bytes); }
  /// `Buffer.concat(list)`: the pieces one after the other.
  static Buffer concat(std::initializer_list<ByteView> list) {
    return concatRange(list.begin(), list.end(), kWhole);
  }
  /// `Buffer.concat(list, totalLength)`: the pieces cut, or padded with
  /// zero bytes, to `totalLength` bytes (an empty list gives an empty
  /// buffer, as in Node).
  static Buffer concat(std::initializer_list<ByteView> list,
                       std::size_t totalLength) {
    return concatRange(list.begin(), list.end(), totalLength);
  }
  /// `Buffer.concat(list)` of a container (a vector of Bytes, of Buffers,
  /// of strings...).
  template <typename List>
  static Buffer concat(const List& list) {
    return concatRange(std::begin(list), std::end(list), kWhole);
  }
  /// `Buffer.concat(list, totalLength)` of a container.
  template <typename List>
  static Buffer concat(const List& list, std::size_t totalLength) {
    return concatRange(std::begin(list), std::end(list), totalLength);
  }

  using ByteView::begin;
  using ByteView::data;
  using ByteView::end;
  using ByteView::operator[];
  /// The first byte, writable (nullptr when empty).
  std::uint8_t* data() noexcept { return storage_.get(); }
  /// Iterator to the first byte, writable.
  std::uint8_t* begin() noexcept { return storage_.get(); }
  /// Iterator past the last byte, writable.
  std::uint8_t* end() noexcept { return storage_.get() + size_; }
  /// Byte `i`, writable (unchecked, like a Buffer index).
  std::uint8_t& operator[](std::size_t i) noexcept { return storage_[i]; }
  /// `buf.fill(value)`: every byte set to `value`.
  Buffer& fill(std::uint8_t value) noexcept {
    if (size_) std::memset(storage_.get(), value, size_);
    return *this;
  }

  /// Node's `buf.writeUInt8(value, offset)` ... `buf.writeBigInt64LE(value,
  /// offset)`: writes the integer `value` (of any integer type) at
  /// `offset`, big-endian (BE) or little-endian (LE), and returns `offset`
  /// plus the bytes written. Throws `ERR_OUT_OF_RANGE` when `value` is
  /// outside the range of the bytes written (checked first, as Node does)
  /// or when they do not fit before the end (`ERR_BUFFER_OUT_OF_BOUNDS`
  /// when the buffer is smaller than they are).
  ///@{
  template <typename V>
  std::size_t writeUInt8(V value, std::size_t offset = 0) {
    return write<std::uint8_t, true>(value, offset);
  }
  template <typename V>
  std::size_t writeInt8(V value, std::size_t offset = 0) {
    return write<std::int8_t, true>(value, offset);
  }
  template <typename V>
  std::size_t writeUInt16BE(V value, std::size_t offset = 0) {
    return write<std::uint16_t, true>(value, offset);
  }
  template <typename V>
  std::size_t writeUInt16LE(V value, std::size_t offset = 0) {
    return write<std::uint16_t, false>(value, offset);
  }
  template <typename V>
  std::size_t writeInt16BE(V value, std::size_t offset = 0) {
    return write<std::int16_t, true>(value, offset);
  }
  template <typename V>
  std::size_t writeInt16LE(V value, std::size_t offset = 0) {
    return write<std::int16_t, false>(value, offset);
  }
  template <typename V>
  std::size_t writeUInt32BE(V value, std::size_t offset = 0) {
    return write<std::uint32_t, true>(value, offset);
  }
  template <typename V>
  std::size_t writeUInt32LE(V value, std::size_t offset = 0) {
    return write<std::uint32_t, false>(value, offset);
  }
  template <typename V>
  std::size_t writeInt32BE(V value, std::size_t offset = 0) {
    return write<std::int32_t, true>(value, offset);
  }
  template <typename V>
  std::size_t writeInt32LE(V value, std::size_t offset = 0) {
    return write<std::int32_t, false>(value, offset);
  }
  template <typename V>
  std::size_t writeBigUInt64BE(V value, std::size_t offset = 0) {
    return write<std::uint64_t, true>(value, offset);
  }
  template <typename V>
  std::size_t writeBigUInt64LE(V value, std::size_t offset = 0) {
    return write<std::uint64_t, false>(value, offset);
  }
  template <typename V>
  std::size_t writeBigInt64BE(V value, std::size_t offset = 0) {
    return write<std::int64_t, true>(value, offset);
  }
  template <typename V>
  std::size_t writeBigInt64LE(V value, std::size_t offset = 0) {
    return write<std::int64_t, false>(value, offset);
  }
  ///@}

 private:
  static constexpr std::size_t kWhole = static_cast<std::size_t>(-1);

  template <typename It>
  static Buffer concatRange(It first, It last, std::size_t totalLength) {
    if (first == last) return Buffer();  // as Node: whatever totalLength says
    std::size_t total = 0;
    for (It it = first; it != last; ++it)
      total += ByteView(*it).size();
    if (totalLength != kWhole) total = totalLength;
    Buffer joined(total);
    std::size_t at = 0;
    for (It it = first; it != last && at < total; ++it) {
      ByteView part(*it);
      std::size_t n = part.size() < total - at ? part.size() : total - at;
      if (n) std::memcpy(joined.storage_.get() + at, part.data(), n);
      at += n;
    }
    return joined;
  }

  /// Whether `value` is one a T holds.
  template <typename T, typename V>
  static constexpr bool inRange(V value) noexcept {
    if constexpr (std::is_signed_v<V>) {
      if (value < 0)
        return std::is_signed_v<T> &&
               static_cast<std::int64_t>(value) >=
                   static_cast<std::int64_t>(std::numeric_limits<T>::min());
    }
    return static_cast<std::uint64_t>(value) <=
           static_cast<std::uint64_t>(std::numeric_limits<T>::max());
  }

  /// Throws Node's `ERR_OUT_OF_RANGE` for a value outside [min, max]:
  /// `negative` and `magnitude` give the value received.
  [[noreturn]] DGRAM_API static void valueOutOfRange(std::int64_t min,
                                                     std::uint64_t max,
                                                     bool negative,
                                                     std::uint64_t magnitude);

  template <typename T, bool kBigEndian, typename V>
  std::size_t write(V value, std::size_t offset) {
    static_assert(std::is_integral_v<V> && !std::is_same_v<V, bool>,
                  "dgram::Buffer: the write methods take an integer value");
    if (!inRange<T>(value)) {
      bool negative = false;
      std::uint64_t magnitude = static_cast<std::uint64_t>(value);
      if constexpr (std::is_signed_v<V>) {
        negative = value < 0;
        // -(value + 1) + 1: no overflow at the type's minimum.
        if (negative) magnitude = static_cast<std::uint64_t>(-(value + 1)) + 1;
      }
      valueOutOfRange(static_cast<std::int64_t>(std::numeric_limits<T>::min()),
                      static_cast<std::uint64_t>(std::numeric_limits<T>::max()),
                      negative, magnitude);
    }
    if (!fits(offset, sizeof(T))) outOfBounds(offset, sizeof(T));
    auto bits = static_cast<std::uint64_t>(
        static_cast<std::make_unsigned_t<T>>(static_cast<T>(value)));
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      std::size_t at = offset + (kBigEndian ? sizeof(T) - 1 - i : i);
      storage_[at] = static_cast<std::uint8_t>(bits & 0xffu);
      bits >>= 8;
    }
    return offset + sizeof(T);
  }

  std::unique_ptr<std::uint8_t[]> storage_;
};

}  // namespace dgram
