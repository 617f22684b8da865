// An EventEmitter's listener list for one event: registration order,
// once-listeners, and removal or addition while emitting (a listener added
// during an emit is not called by it, as in Node). Emitting never
// allocates.
// Layer: common state machine.
#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "dgram/socket.hpp"

namespace dgram::detail {

template <typename Signature>
class ListenerList {
 public:
  void add(ListenerId id, std::function<Signature> fn, bool once) {
    entries_.push_back(std::make_unique<Entry>(Entry{id, std::move(fn), once}));
  }

  bool remove(ListenerId id) {
    for (auto& entry : entries_) {
      if (entry->id == id && !entry->removed) {
        entry->removed = true;
        compact();
        return true;
      }
    }
    return false;
  }

  bool empty() const noexcept {
    for (const auto& entry : entries_)
      if (!entry->removed) return false;
    return true;
  }

  template <typename... Args>
  void emit(const Args&... args) {
    ++emitting_;
    // Entries are heap-allocated, so a listener that adds listeners (and
    // grows the vector) does not move the one being called.
    const std::size_t count = entries_.size();
    try {
      for (std::size_t i = 0; i < count; ++i) {
        Entry* entry = entries_[i].get();
        if (entry->removed) continue;
        if (entry->once) entry->removed = true;
        entry->fn(args...);
      }
    } catch (...) {
      --emitting_;
      compact();
      throw;
    }
    --emitting_;
    compact();
  }

 private:
  struct Entry {
    ListenerId id;
    std::function<Signature> fn;
    bool once;
    bool removed = false;
  };

  // Drops removed entries, but never while an emit is walking the list.
  void compact() {
    if (emitting_ > 0) return;
    for (std::size_t i = 0; i < entries_.size();) {
      if (entries_[i]->removed)
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
      else
        ++i;
    }
  }

  std::vector<std::unique_ptr<Entry>> entries_;
  int emitting_ = 0;
};

}  // namespace dgram::detail
