// The seam between the loop and the platform's event machinery. A backend
// waits for I/O (readiness: epoll, kqueue, poll; completion: IOCP) and
// dispatches it to the platform's own socket objects, which call back into
// common code. The loop asks it to wait, to wake up and to make sockets.
// Layer: common state machine.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/platform_socket.hpp"
#include "common/sys_error.hpp"
#include "dgram/loop.hpp"

namespace dgram::detail {

class LoopCore;
class SignalSink;
class SignalSource;

enum : unsigned { kReadable = 1u, kWritable = 2u, kErrorEvent = 4u };

/// Something that wants to hear when a socket is ready.
class Watcher {
 public:
  virtual ~Watcher() = default;
  /// `events` is a mask of kReadable / kWritable / kErrorEvent.
  virtual void onReady(unsigned events) = 0;
  /// The latency mode's spin (Backend::spinPoll): reads now, without
  /// hearing first that it is readable, and dispatches what it read.
  /// Returns whether anything was dispatched (a datagram, or a read
  /// error). Only a UDP socket reads this way; other watchers say no.
  virtual bool readNow() { return false; }
};

class Backend {
 public:
  virtual ~Backend() = default;

  /// "epoll", "kqueue", "poll" or "iocp".
  virtual std::string_view name() const noexcept = 0;

  /// Waits at most `timeoutMs` (-1 = forever, 0 = do not block) for I/O
  /// and dispatches what is ready. Returns early when woken. Returns
  /// whether anything came (I/O, a completion or a wake-up); false when
  /// the timeout may have expired (or a signal interrupted the wait), so
  /// the loop knows when a timer can have come due during the wait, and
  /// the latency mode's spin stops at the first wait that got something.
  virtual bool wait(int timeoutMs) = 0;
  /// Poll number `n` (0, 1, ...) of one spin of the latency mode:
  /// dispatches what is ready without blocking and returns whether
  /// anything was (as `wait(0)`, which it is unless the backend has a
  /// cheaper way to ask). Poll 0 always sees everything that is ready.
  virtual bool spinPoll(unsigned n) {
    (void)n;
    return wait(0);
  }

  /// Thread-safe: makes a current or the next `wait` return at once.
  virtual void wake() = 0;

  /// Creates a UDP socket of this backend's platform (nothing is opened
  /// yet). The backend makes its own sockets so that each one holds its
  /// poller or port with the real type, never through a downcast.
  /// It is built in `space` when it fits there (see makePlatformSocket).
  virtual PlatformSocketPtr createSocket(LoopCore& loop, SocketEvents& events,
                                         PlatformSocketSpace space) = 0;
  /// The usual bind in one call: createSocket, then open it for the
  /// family of `local` with `options` (nullptr: none set, as for most
  /// sockets), bind it to `local` and start receiving; returns the
  /// socket. On failure it returns nullptr, nothing is left (no socket, no
  /// descriptor) and `error` says what the system refused (the caller
  /// reads `error` only then: the usual call's result travels in a
  /// register, nothing comes back through memory). A backend may override
  /// it to make the same calls without the virtual calls between them
  /// (one socket type, known). (The family is the address's, which the
  /// caller checked. The socket is the caller's: built in `space`, which
  /// its address says, or on the heap, as makePlatformSocket does.)
  /// `space` is the Socket's kPlatformSocketSpace bytes, aligned for
  /// kPlatformSocketAlign (platform_socket_space.hpp: its size is known,
  /// so the call passes its place alone and every argument travels in a
  /// register). `local` may lie in `space`: nothing is built there before
  /// `local` is read, and nothing is left there on failure. (This one
  /// builds on the heap: its one user, IOCP, has sockets too large for
  /// the space.)
  virtual PlatformSocket* createBound(SocketEvents& events, void* space,
                                      const OpenOptions* options,
                                      const Endpoint& local, SysError& error) {
    (void)space;
    PlatformSocketPtr socket =
        createSocket(events.loopCore(), events, PlatformSocketSpace{});
    error = socket->open(local.ip.family, options ? *options : OpenOptions{});
    if (!error) error = socket->bind(local);
    if (error) return nullptr;  // `socket` goes, closing its descriptor
    socket->startReceiving();
    return socket.release();
  }

  /// This loop's half of `Loop::onSignal`, reporting to `sink` on the
  /// loop's thread (posix/signal_source.cpp, win32/signal_source.cpp);
  /// nullptr, with the failure and the call that failed, if the system
  /// refuses.
  virtual std::unique_ptr<SignalSource> createSignalSource(
      LoopCore& loop, SignalSink& sink, SysError& error,
      const char*& syscall) = 0;

  /// For a host event loop that drives this one (Loop::backendFd): the
  /// descriptor or handle behind the backend, -1 if there is none.
  virtual std::intptr_t backendFd() const noexcept = 0;
  /// The descriptors a host's poll() must watch for this loop
  /// (Loop::pollDescriptors); false if it cannot be waited on that way.
  virtual bool pollDescriptors(std::vector<PollDescriptor>& out) const = 0;

  /// Readiness of a socket the library does not own (c-ares' sockets):
  /// starts, changes or (events == 0) stops calling `watcher` when it is
  /// readable or writable. Returns false if this backend cannot watch
  /// foreign sockets; the caller then polls them on a timer.
  virtual bool watchForeign(std::intptr_t socket, unsigned events,
                            Watcher* watcher) {
    (void)socket;
    (void)events;
    (void)watcher;
    return false;
  }
};

/// The backends compiled in for this platform, best first.
std::vector<std::string_view> platformBackends();

/// Creates the named backend; nullptr if it is not compiled in. Throws
/// dgram::Error if the system refuses (e.g. out of file descriptors).
std::unique_ptr<Backend> createPlatformBackend(std::string_view name);

}  // namespace dgram::detail
