// A socket's EventEmitter: the listeners of all its events, in one list.
// Per event: registration order, once-listeners, and removal or addition
// while emitting (a listener added during an emit is not called by it, as
// in Node). Emitting never allocates. A listener that throws ends the
// emission; the listeners of that event it did not reach are remembered,
// and resume() calls them (the Socket does that on the next turn, so
// callbacks kept as listeners still run once).
//
// Footprint: most of a socket's events have no listener, so all of them
// share one list, and the whole emitter is one pointer (the head of a
// singly linked list); an entry is one allocation, the listener's own: no
// vector that grows, no side table of ids. An emission walks past the
// other events' entries (a socket has a handful). What an emission needs
// to remember lives in the entries (a `pending` flag for "not reached")
// and in the head entry (the emission depth, of any event: the head is
// never unlinked while an emission walks the list; and the last entry,
// where an emission stops, so that it need not walk there first; and the
// 'message' listener when it is the event's only one, which a datagram
// then reaches without the walk).
// Layer: common state machine.
#pragma once

#include <cstdint>
#include <functional>
#include <new>
#include <utility>

#include "common/bytes_access.hpp"
#include "common/compiler.hpp"
#include "common/raise.hpp"
#include "dgram/socket.hpp"

namespace dgram::detail {

/// The events of a socket. 'message' listeners are MessageListeners,
/// 'error' listeners ErrorListeners, the others Listeners.
enum class EventKind : std::uint8_t {
  message,
  listening,
  connect,
  close,
  error
};

class EventListeners {
 public:
  EventListeners() = default;
  EventListeners(const EventListeners&) = delete;
  EventListeners& operator=(const EventListeners&) = delete;
  ~EventListeners() {
    while (head_) {
      Entry* next = head_->next;
      delete head_;
      head_ = next;
    }
  }

  /// Adds a listener of `kind` (`fn` is of the type the event takes).
  template <typename Fn>
  void add(EventKind kind, ListenerId id, Fn fn, bool once) {
    auto* entry = new Entry(kind, id, std::move(fn), once);
    if (head_)
      head_->last = head_->last->next = entry;
    else
      head_ = entry->last = entry;
    findSoleMessage();
  }

  /// Adds a listener at the place its id gives it (ids grow with
  /// registration): one registered earlier but kept elsewhere until now,
  /// as a bind callback is. Not while the list is being emitted (the head
  /// counts the emissions); then it goes last.
  template <typename Fn>
  void insert(EventKind kind, ListenerId id, Fn fn, bool once) {
    auto* entry = new Entry(kind, id, std::move(fn), once);
    Entry** link = &head_;
    bool emitting = head_ && head_->emitting > 0;
    while (*link && (emitting || (*link)->id < id))
      link = &(*link)->next;
    entry->next = *link;
    if (link == &head_) {
      // The new head keeps what the head keeps (not emitting: see above).
      entry->last = entry->next ? entry->next->last : entry;
      if (entry->next) {
        entry->dirty = entry->next->dirty;
        entry->next->dirty = false;
      }
    } else if (!entry->next) {
      head_->last = entry;
    }
    *link = entry;
    findSoleMessage();
  }

  /// Removes the listener `id`, of whichever event.
  bool remove(ListenerId id) {
    for (Entry* entry = head_; entry; entry = entry->next) {
      if (entry->id == id && !entry->removed) {
        markRemoved(*entry);
        compact();
        return true;
      }
    }
    return false;
  }

  /// No listener of any event (nor one removed during an emission).
  bool none() const noexcept { return head_ == nullptr; }
  /// Zero exactly when none(): a word to combine with others in one test.
  std::uintptr_t anyWord() const noexcept {
    return reinterpret_cast<std::uintptr_t>(head_);
  }

  bool empty(EventKind kind) const noexcept {
    for (const Entry* entry = head_; entry; entry = entry->next)
      if (entry->kind == kind && !entry->removed) return false;
    return true;
  }

  template <typename... Args>
  void emit(EventKind kind, const Args&... args) {
    run(kind, false, args...);
  }

  /// emit() of 'message', which a busy socket makes once per datagram: its
  /// only listener (the usual case) is called without walking the list.
  /// The emission is counted as emit()'s is, so that a listener removed
  /// by its own call lives until the call returns.
  /// (Inlined: the caller's frame holds the call, and the walk, which
  /// needs more registers, is out of line.)
  DGRAM_ALWAYS_INLINE void emitMessage(const ByteView& msg,
                                       const RemoteInfo& rinfo) {
    Entry* first = head_;
    Entry* sole = first ? first->soleMessage : nullptr;
    if (!sole) return emitMessages(msg, rinfo);
    ++first->emitting;
    sole->pending = false;  // a new emission forgets an interrupted one
    DGRAM_TRY {
      sole->call(msg, rinfo);
    }
    DGRAM_CATCH(...) {
      --first->emitting;
      compact();
      DGRAM_RETHROW;
    }
    // `first` is still the head (no entry is unlinked while the head
    // counts an emission): compact()'s test, without reading the head
    // again.
    if (--first->emitting == 0 && first->dirty) compactAfterEmit();
  }

  /// emitMessage's walk, for no listener or several.
  /// (The bytes come by value: a reference would have the caller store
  /// them in memory for every datagram, for this call's sake.)
  DGRAM_NOINLINE void emitMessages(ByteView msg, const RemoteInfo& rinfo) {
    run(EventKind::message, false, msg, rinfo);
  }

  /// Calls the listeners of `kind` that an emission interrupted by a throw
  /// had not reached yet (those still registered).
  template <typename... Args>
  void resume(EventKind kind, const Args&... args) {
    run(kind, true, args...);
  }

  /// Whether an emission of `kind` was interrupted and not resumed yet.
  bool interrupted(EventKind kind) const noexcept {
    for (const Entry* entry = head_; entry; entry = entry->next)
      if (entry->kind == kind && entry->pending && !entry->removed) return true;
    return false;
  }

  /// Drops every listener (their captures are freed now, or when the emit
  /// in progress returns).
  void clear() noexcept {
    for (Entry* entry = head_; entry; entry = entry->next) {
      markRemoved(*entry);
      entry->pending = false;
    }
    compact();
  }

 private:
  struct Entry {
    // The listener, of the type its event takes (`kind` says which).
    union Fn {
      Fn() noexcept {}
      ~Fn() {}
      MessageListener message;
      Listener plain;
      ErrorListener error;
    };

    Entry(EventKind k, ListenerId i, MessageListener f, bool o)
        : id(i), kind(k), once(o) {
      new (&fn.message) MessageListener(std::move(f));
    }
    Entry(EventKind k, ListenerId i, Listener f, bool o)
        : id(i), kind(k), once(o) {
      new (&fn.plain) Listener(std::move(f));
    }
    Entry(EventKind k, ListenerId i, ErrorListener f, bool o)
        : id(i), kind(k), once(o) {
      new (&fn.error) ErrorListener(std::move(f));
    }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    ~Entry() {
      switch (kind) {
        case EventKind::message:
          fn.message.~MessageListener();
          break;
        case EventKind::error:
          fn.error.~ErrorListener();
          break;
        default:
          fn.plain.~Listener();
      }
    }

    void call() { fn.plain(); }
    // Each listener gets its own lent Bytes, built in place as the
    // std::function's argument: no copy of it, so no copy of the bytes.
    void call(const ByteView& msg, const RemoteInfo& rinfo) {
      fn.message(BytesAccess::lend(msg.data(), msg.size()), rinfo);
    }
    void call(const Error& error) { fn.error(error); }

    ListenerId id;
    Fn fn;
    EventKind kind;
    bool once;
    bool removed = false;
    /// Not reached by an emission that a throwing listener interrupted.
    bool pending = false;
    /// Emissions in progress; counted in the head entry only.
    std::uint16_t emitting = 0;
    /// Some entry is removed and not unlinked yet; kept in the head entry
    /// only (so that an emission that removed nothing skips compact's
    /// walk).
    bool dirty = false;
    Entry* next = nullptr;
    /// The list's last entry; kept in the head entry only.
    Entry* last = nullptr;
    /// The only 'message' listener, when there is exactly one and it is
    /// not a once-listener (else null); kept in the head entry only.
    Entry* soleMessage = nullptr;
  };

  template <typename... Args>
  void run(EventKind kind, bool resuming, const Args&... args) {
    Entry* first = head_;
    if (!first) return;
    // Entries added by a listener go after `last`: this emission stops
    // there. Nothing is unlinked while it walks (see compact).
    Entry* last = first->last;
    ++first->emitting;
    Entry* entry = first;
    DGRAM_TRY {
      for (;; entry = entry->next) {
        if (entry->kind == kind) {
          // A new emission forgets what an interrupted one had not reached.
          bool wanted = !entry->removed && (!resuming || entry->pending);
          entry->pending = false;
          if (wanted) {
            if (entry->once) markRemoved(*entry);
            entry->call(args...);
          }
        }
        if (entry == last) break;
      }
    }
    DGRAM_CATCH(...) {
      while (entry != last) {
        entry = entry->next;
        if (entry->kind == kind)
          entry->pending = !entry->removed && (!resuming || entry->pending);
      }
      --first->emitting;
      compact();
      DGRAM_RETHROW;
    }
    --first->emitting;
    compact();
  }

  /// compact() after the emission that removed something (out of line:
  /// an emission's caller rarely gets there).
  DGRAM_NOINLINE void compactAfterEmit() noexcept { compact(); }

  void markRemoved(Entry& entry) noexcept {
    entry.removed = true;
    head_->dirty = true;  // a removed entry means a list, so a head
    if (head_->soleMessage == &entry) head_->soleMessage = nullptr;
  }

  // Sets the head's soleMessage after the list changed. (A listener
  // removed makes it null at once; another one left alone by the removal
  // becomes the sole one when the removed entry is unlinked.)
  void findSoleMessage() noexcept {
    Entry* sole = nullptr;
    for (Entry* entry = head_; entry; entry = entry->next) {
      if (entry->kind != EventKind::message || entry->removed) continue;
      if (sole || entry->once) return void(head_->soleMessage = nullptr);
      sole = entry;
    }
    if (head_) head_->soleMessage = sole;
  }

  // Unlinks and frees removed entries, but never while an emission walks
  // the list (its depth is counted in the head, which stays the head until
  // then). Destroying a listener may free captures that run code, so the
  // list is made consistent before any is destroyed.
  void compact() noexcept {
    if (!head_ || !head_->dirty || head_->emitting > 0) return;
    Entry* dropped = nullptr;
    Entry* kept = nullptr;
    Entry** link = &head_;
    while (Entry* entry = *link) {
      if (entry->removed) {
        *link = entry->next;
        entry->next = dropped;
        dropped = entry;
      } else {
        kept = entry;
        link = &entry->next;
      }
    }
    if (head_) {
      head_->dirty = false;  // nothing removed is left
      head_->last = kept;
    }
    findSoleMessage();
    while (dropped) {
      Entry* next = dropped->next;
      delete dropped;
      dropped = next;
    }
  }

  Entry* head_ = nullptr;
};

}  // namespace dgram::detail
