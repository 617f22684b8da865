// An EventEmitter's listener list for one event: registration order,
// once-listeners, and removal or addition while emitting (a listener added
// during an emit is not called by it, as in Node). Emitting never
// allocates. A listener that throws ends the emission; the listeners it
// did not reach are remembered, and resume() calls them (the Socket does
// that on the next turn, so callbacks kept as listeners still run once).
//
// Footprint: a socket has five lists and most stay empty, so a list is one
// pointer (the head of a singly linked list) and an entry is one
// allocation, the listener's own: no vector that grows, no side table of
// ids. What an emission needs to remember lives in the entries (a `pending`
// flag for "not reached") and in the head entry (the emission depth: the
// head is never unlinked while an emission walks the list).
// Layer: common state machine.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "dgram/socket.hpp"

namespace dgram::detail {

template <typename Signature>
class ListenerList {
 public:
  ListenerList() = default;
  ListenerList(const ListenerList&) = delete;
  ListenerList& operator=(const ListenerList&) = delete;
  ~ListenerList() {
    while (head_) {
      Entry* next = head_->next;
      delete head_;
      head_ = next;
    }
  }

  void add(ListenerId id, std::function<Signature> fn, bool once) {
    auto* entry = new Entry{id, std::move(fn), once};
    Entry** link = &head_;
    while (*link)
      link = &(*link)->next;
    *link = entry;
  }

  /// Adds a listener at the place its id gives it (ids grow with
  /// registration): one registered earlier but kept elsewhere until now,
  /// as a bind callback is. Not while the list is being emitted (the head
  /// counts the emissions); then it goes last.
  void insert(ListenerId id, std::function<Signature> fn, bool once) {
    auto* entry = new Entry{id, std::move(fn), once};
    Entry** link = &head_;
    bool emitting = head_ && head_->emitting > 0;
    while (*link && (emitting || (*link)->id < id))
      link = &(*link)->next;
    entry->next = *link;
    *link = entry;
  }

  bool remove(ListenerId id) {
    for (Entry* entry = head_; entry; entry = entry->next) {
      if (entry->id == id && !entry->removed) {
        entry->removed = true;
        compact();
        return true;
      }
    }
    return false;
  }

  bool empty() const noexcept {
    for (const Entry* entry = head_; entry; entry = entry->next)
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
  bool interrupted() const noexcept {
    for (const Entry* entry = head_; entry; entry = entry->next)
      if (entry->pending && !entry->removed) return true;
    return false;
  }

  /// Drops every listener (their captures are freed now, or when the emit
  /// in progress returns).
  void clear() noexcept {
    for (Entry* entry = head_; entry; entry = entry->next) {
      entry->removed = true;
      entry->pending = false;
    }
    compact();
  }

 private:
  struct Entry {
    ListenerId id;
    std::function<Signature> fn;
    bool once;
    bool removed = false;
    /// Not reached by an emission that a throwing listener interrupted.
    bool pending = false;
    /// Emissions in progress; counted in the head entry only.
    std::uint16_t emitting = 0;
    Entry* next = nullptr;
  };

  template <typename... Args>
  void run(bool resuming, const Args&... args) {
    Entry* first = head_;
    if (!first) return;
    // Entries added by a listener go after `last`: this emission stops
    // there. Nothing is unlinked while it walks (see compact).
    Entry* last = first;
    while (last->next)
      last = last->next;
    ++first->emitting;
    Entry* entry = first;
    try {
      for (;; entry = entry->next) {
        // A new emission forgets what an interrupted one had not reached.
        bool wanted = !entry->removed && (!resuming || entry->pending);
        entry->pending = false;
        if (wanted) {
          if (entry->once) entry->removed = true;
          entry->fn(args...);
        }
        if (entry == last) break;
      }
    } catch (...) {
      while (entry != last) {
        entry = entry->next;
        entry->pending = !entry->removed && (!resuming || entry->pending);
      }
      --first->emitting;
      compact();
      throw;
    }
    --first->emitting;
    compact();
  }

  // Unlinks and frees removed entries, but never while an emission walks
  // the list (its depth is counted in the head, which stays the head until
  // then). Destroying a listener may free captures that run code, so the
  // list is made consistent before any is destroyed.
  void compact() noexcept {
    if (!head_ || head_->emitting > 0) return;
    Entry* dropped = nullptr;
    Entry** link = &head_;
    while (Entry* entry = *link) {
      if (entry->removed) {
        *link = entry->next;
        entry->next = dropped;
        dropped = entry;
      } else {
        link = &entry->next;
      }
    }
    while (dropped) {
      Entry* next = dropped->next;
      delete dropped;
      dropped = next;
    }
  }

  Entry* head_ = nullptr;
};

}  // namespace dgram::detail
