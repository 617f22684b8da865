// Fifo: the first-in first-out queue under a socket's rare queues (sends
// waiting for lookups in call order, datagrams held after a listener
// threw). A vector and the index of its head: unlike std::deque (which
// allocates even when empty in libstdc++) it costs nothing until used.
//
// Its storage stays bounded by what it holds at once, however pushes and
// pops interleave (issue 21, item 4: while lookups overlapped, the queue
// never emptied and the vector under it only grew, +14 MiB after 2 M
// sends): the consumed front is dropped once it is half the vector, and a
// vector four times larger than what it holds is replaced by a smaller
// one. Each item is moved O(1) times on average.
// Layer: common state machine.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

namespace dgram::detail {

template <typename T>
class Fifo {
 public:
  bool empty() const noexcept { return head_ == items_.size(); }
  std::size_t size() const noexcept { return items_.size() - head_; }
  /// Items the storage has room for (tests bound it).
  std::size_t capacity() const noexcept { return items_.capacity(); }
  T& front() noexcept { return items_[head_]; }
  void push_back(T item) { items_.push_back(std::move(item)); }
  void pop_front() {
    items_[head_] = T{};
    if (++head_ == items_.size()) {
      clear();
    } else if (head_ >= kCompactFrom && head_ * 2 >= items_.size()) {
      compact();
    }
  }
  /// Takes back the last item equal to `item` (a push that is undone);
  /// returns whether there was one.
  bool remove(const T& item) {
    for (std::size_t i = items_.size(); i > head_; --i) {
      if (items_[i - 1] == item) {
        items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i - 1));
        if (empty()) clear();
        return true;
      }
    }
    return false;
  }
  void clear() noexcept {
    items_.clear();
    head_ = 0;
    if (items_.capacity() > kKeptCapacity) std::vector<T>().swap(items_);
  }
  T* begin() noexcept { return items_.data() + head_; }
  T* end() noexcept { return items_.data() + items_.size(); }

 private:
  // Below this many consumed items the front is not worth moving.
  static constexpr std::size_t kCompactFrom = 32;
  // Storage kept however little is held: the steady state reallocates
  // nothing.
  static constexpr std::size_t kKeptCapacity = 64;

  void compact() {
    auto live = items_.begin() + static_cast<std::ptrdiff_t>(head_);
    if (items_.capacity() > kKeptCapacity && size() * 4 <= items_.capacity()) {
      std::vector<T> smaller;
      smaller.reserve(std::max(size() * 2, kKeptCapacity / 2));
      smaller.insert(smaller.end(), std::make_move_iterator(live),
                     std::make_move_iterator(items_.end()));
      items_.swap(smaller);
    } else {
      items_.erase(items_.begin(), live);
    }
    head_ = 0;
  }

  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace dgram::detail
