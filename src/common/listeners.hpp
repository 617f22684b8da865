// An EventEmitter's listener list for one event: registration order,
// once-listeners, and removal or addition while emitting (a listener added
// during an emit is not called by it, as in Node). Emitting never
// allocates. A listener that throws ends the emission; the listeners it
// did not reach are remembered, and resume() calls them (the Socket does
// that on the next turn, so callbacks kept as listeners still run once).
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
    run(false, args...);
  }

  /// Calls the listeners that an emission interrupted by a throw had not
  /// reached yet (those still registered).
  template <typename... Args>
  void resume(const Args&... args) {
    run(true, args...);
  }

  /// Whether an emission was interrupted and not resumed yet.
  bool interrupted() const noexcept { return !rest_.empty(); }

  /// Drops every listener (their captures are freed now, or when the emit
  /// in progress returns).
  void clear() noexcept {
    for (auto& entry : entries_)
      entry->removed = true;
    rest_.clear();
    compact();
  }

 private:
  template <typename... Args>
  void run(bool resuming, const Args&... args) {
    std::vector<ListenerId> reach;
    if (resuming) reach.swap(rest_);
    rest_.clear();
    auto wanted = [&](const Entry& entry) {
      if (entry.removed) return false;
      if (!resuming) return true;
      for (ListenerId id : reach)
        if (id == entry.id) return true;
      return false;
    };
    ++emitting_;
    // Entries are heap-allocated, so a listener that adds listeners (and
    // grows the vector) does not move the one being called.
    const std::size_t count = entries_.size();
    std::size_t i = 0;
    try {
      for (; i < count; ++i) {
        Entry* entry = entries_[i].get();
        if (!wanted(*entry)) continue;
        if (entry->once) entry->removed = true;
        entry->fn(args...);
      }
    } catch (...) {
      for (std::size_t j = i + 1; j < count; ++j)
        if (wanted(*entries_[j])) rest_.push_back(entries_[j]->id);
      --emitting_;
      compact();
      throw;
    }
    --emitting_;
    compact();
  }

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
  std::vector<ListenerId> rest_;  ///< not reached by an interrupted emit
  int emitting_ = 0;
};

}  // namespace dgram::detail
