// Zero allocations per datagram in the steady state, sent and received,
// counted with a replacement global allocator.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <new>
#include <vector>

#include "support/catch.hpp"

#include "support/helpers.hpp"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};

// A program's sender: `window` sends in flight, each callback (capturing
// one pointer, as a `[this]` does) issuing the next, until `limit` have
// completed; the allocations between the `warmUp`-th and the `limit`-th
// completion are `measured`. `send` issues one send whose callback calls
// finished().
struct WindowedSender {
  std::function<void(WindowedSender&)> send;
  long window = 0, warmUp = 0, limit = 0;
  long done = 0, failed = 0;
  long measured = -1;
  void issue() { send(*this); }
  void finished(bool error) {
    if (error) ++failed;
    if (++done == warmUp) {
      allocations = 0;
      counting = true;
    }
    if (done == limit) {
      counting = false;
      measured = allocations.load();
    }
    if (done <= limit - window) issue();
  }
  /// Runs `loop` until measured (20 s at most); false if it was not.
  bool run(dgram::Loop& loop) {
    for (long i = 0; i < window; ++i)
      issue();
    bool ok = test::runUntil(
        loop, [&] { return measured >= 0; }, std::chrono::seconds(20));
    counting = false;
    return ok;
  }
};
}  // namespace

void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) ++allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return ::operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (counting.load(std::memory_order_relaxed)) ++allocations;
  return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return ::operator new(size, tag);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

// Counts the allocations `fn` makes.
template <typename F>
long allocationsOf(F&& fn) {
  allocations = 0;
  counting = true;
  fn();
  counting = false;
  return allocations.load();
}

}  // namespace

TEST_CASE("steady state allocates nothing per datagram sent or received",
          "[alloc][performance]") {
  dgram::Loop loop;
  auto server = test::makeSocket(loop);
  auto client = test::makeSocket(loop);
  constexpr int kWarmUp = 200;
  constexpr int kMeasured = 2000;
  const char payload[] = "steady-state payload of a few dozen bytes";
  int received = 0;
  int echoed = 0;
  int sent = 0;
  int port = 0;
  long measuredAllocations = -1;

  // Ping-pong through Node's echo idiom: the server sends each message
  // back with `send(msg, rinfo.port, rinfo.address)` (the listener's own
  // Bytes, by value as Node code writes it: handing it to send copies
  // neither the Bytes nor, beyond the one copy every queued send makes,
  // its bytes), and each echo the client gets triggers the next send. The
  // whole path (send, completion callback, receive, listener) runs twice
  // per round.
  dgram::SendCallback onSent = [&sent](const std::optional<dgram::Error>& err,
                                       std::size_t) {
    if (!err) ++sent;
  };
  server->on(dgram::message,
             [&](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
               server->send(msg, rinfo.port, rinfo.address, onSent);
             });
  client->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    if (msg.size() != sizeof payload) return;
    ++received;
    if (msg.view() == std::string_view(payload, sizeof payload)) ++echoed;
    if (received == kWarmUp) {
      allocations = 0;
      counting = true;
    }
    if (received == kWarmUp + kMeasured) {
      counting = false;
      measuredAllocations = allocations.load();
      return;
    }
    client->send(dgram::Bytes(payload, sizeof payload), port, "127.0.0.1",
                 onSent);
  });
  server->bind(0, "127.0.0.1", [&] {
    port = server->address().port;
    client->send(dgram::Bytes(payload, sizeof payload), port, "127.0.0.1",
                 onSent);
  });
  bool finished = test::runUntil(
      loop, [&] { return measuredAllocations >= 0; }, std::chrono::seconds(20));
  counting = false;
  INFO("backend " << loop.backend() << ", received " << received);
  REQUIRE(finished);
  CHECK(measuredAllocations == 0);
  CHECK(echoed == received);
  CHECK(sent >= 2 * (kWarmUp + kMeasured) - 2);
  server->close();
  client->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("echoing a message inside a braced list copies no Bytes",
          "[alloc][message]") {
  // `send({"re: ", msg}, ...)`: the list's pieces are views, so the
  // listener's message is not copied into it (a list of Bytes would
  // copy, and allocate, once per datagram).
  dgram::Loop loop;
  auto server = test::makeSocket(loop);
  auto client = test::makeSocket(loop);
  constexpr int kWarmUp = 50;
  constexpr int kMeasured = 200;
  int received = 0;
  int port = 0;
  long measured = -1;
  bool prefixed = true;
  server->on(dgram::message,
             [&](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
               server->send({"re: ", msg}, rinfo.port, rinfo.address);
             });
  client->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    prefixed = prefixed && msg.view() == "re: ping";
    ++received;
    if (received == kWarmUp) {
      allocations = 0;
      counting = true;
    }
    if (received == kWarmUp + kMeasured) {
      counting = false;
      measured = allocations.load();
      return;
    }
    client->send("ping", port, "127.0.0.1");
  });
  server->bind(0, "127.0.0.1", [&] {
    port = server->address().port;
    client->send("ping", port, "127.0.0.1");
  });
  REQUIRE(test::runUntil(
      loop, [&] { return measured >= 0; }, std::chrono::seconds(20)));
  counting = false;
  CHECK(measured == 0);
  CHECK(prefixed);
  server->close();
  client->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("keeping a copy of a message allocates once, handing it on none",
          "[alloc][message]") {
  // The other side of the echo rule: a copy of the listener's message is
  // the one that allocates (it owns its bytes); a move, a const reference
  // and a ByteView of it do not.
  dgram::Loop loop;
  auto server = test::makeSocket(loop);
  auto client = test::makeSocket(loop);
  long copied = -1, handedOn = -1;
  bool sameSize = false;
  dgram::Bytes kept;
  server->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    handedOn = allocationsOf([&] {
      const dgram::Bytes& ref = msg;
      dgram::ByteView view = ref;
      dgram::Bytes moved = std::move(msg);
      sameSize = view.size() == moved.size();
    });
    copied = allocationsOf([&] { kept = msg; });
  });
  int port = 0;
  server->bind(0, "127.0.0.1", [&] { port = server->address().port; });
  REQUIRE(test::runUntil(loop, [&] { return port != 0; }));
  client->send("a message to keep", port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return copied >= 0; }));
  CHECK(handedOn == 0);
  CHECK(sameSize);
  CHECK(copied == 1);
  CHECK(kept.str() == "a message to keep");
  server->close();
  client->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("batched sends with callbacks allocate nothing per datagram",
          "[alloc][performance][batch]") {
  // As a program writes a sender: a window of sends in flight, each
  // callback (capturing one pointer, as a `[this]` does) issuing the next.
  // Sends issued by callbacks leave in batches at the end of each turn.
  // Each send copies its payload; an 8 KiB one is past what a pooled
  // request keeps without counting (the copy used to be freed and
  // allocated again for every datagram).
  const std::size_t size = GENERATE(std::size_t{15}, std::size_t{8192});
  const std::string payload(size, 'b');
  dgram::Loop loop;
  auto sink = test::makeSocket(loop);
  int sinkPort = 0;
  sink->bind(0, "127.0.0.1", [&] { sinkPort = sink->address().port; });
  REQUIRE(test::runUntil(loop, [&] { return sinkPort != 0; }));
  auto socket = test::makeSocket(loop);
  dgram::Bytes bytes(payload.data(), payload.size());
  WindowedSender sender;
  sender.send = [&](WindowedSender& self) {
    socket->send(bytes, sinkPort, "127.0.0.1",
                 [&self](const std::optional<dgram::Error>& err, std::size_t) {
                   self.finished(err.has_value());
                 });
  };
  sender.window = 64;
  sender.warmUp = 1000;
  sender.limit = 6000;
  bool finished = sender.run(loop);
  INFO("backend " << loop.backend() << ", " << size << " B, done "
                  << sender.done);
  REQUIRE(finished);
  CHECK(sender.measured == 0);
  CHECK(sender.failed == 0);
  socket->close();
  sink->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("handing buffers over to send allocates nothing per datagram",
          "[alloc][performance][handover]") {
  // A sender that refills its vector and hands it over (send with a
  // vector&&): each send gives back the buffer of one sent before, so the
  // refill needs no allocation and the send no copy.
  dgram::Loop loop;
  auto sink = test::makeSocket(loop);
  int sinkPort = 0;
  sink->bind(0, "127.0.0.1", [&] { sinkPort = sink->address().port; });
  REQUIRE(test::runUntil(loop, [&] { return sinkPort != 0; }));
  auto socket = test::makeSocket(loop);
  std::vector<std::uint8_t> buffer;
  WindowedSender sender;
  sender.send = [&](WindowedSender& self) {
    buffer.resize(8192, 'h');
    socket->send(std::move(buffer), sinkPort, "127.0.0.1",
                 [&self](const std::optional<dgram::Error>& err, std::size_t) {
                   self.finished(err.has_value());
                 });
  };
  sender.window = 16;
  sender.warmUp = 500;
  sender.limit = 3000;
  bool finished = sender.run(loop);
  INFO("backend " << loop.backend() << ", done " << sender.done);
  REQUIRE(finished);
  CHECK(sender.measured == 0);
  CHECK(sender.failed == 0);
  socket->close();
  sink->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("re-arming a timeout allocates nothing and keeps nothing",
          "[alloc][timer]") {
  // Timers were a heap with lazy deletion plus a hash map: every re-arm
  // allocated a map node and left its cancelled entry in the heap until it
  // reached the top, so re-arming one long timeout 3 million times grew
  // the process by 47 MiB. An indexed heap reuses the timer's slot.
  using namespace std::chrono_literals;
  dgram::Loop loop;
  int fired = 0;
  auto id = loop.setTimeout(10s, [&fired] { ++fired; });
  constexpr int kWarmUp = 100;
  constexpr int kMeasured = 100000;
  for (int i = 0; i < kWarmUp; ++i) {
    loop.clearTimeout(id);
    id = loop.setTimeout(10s, [&fired] { ++fired; });
  }
  allocations = 0;
  counting = true;
  for (int i = 0; i < kMeasured; ++i) {
    loop.clearTimeout(id);
    id = loop.setTimeout(10s, [&fired] { ++fired; });
  }
  counting = false;
  CHECK(allocations.load() == 0);
  // The last one is still armed; only it.
  loop.clearTimeout(id);
  CHECK_FALSE(loop.runOnce(0ms));
  CHECK(fired == 0);
}

TEST_CASE("creating and binding a socket with a bind callback allocates once",
          "[alloc][footprint]") {
  // The budget of issue 11: one allocation for the Socket (its state, the
  // platform socket and the shared_ptr's control block together). The
  // bind callback waits in the socket until 'listening' (it joins the
  // listener list only when there are other 'listening' listeners).
  // Everything rarer (lookups, connect, sends before 'listening', the
  // abort listener) is allocated on first use only.
  dgram::Loop loop;
  // Warm up the loop's own tables (deferred calls, poller slots, the
  // socket list), which grow once and are then reused.
  for (int i = 0; i < 8; ++i) {
    auto warm = test::makeSocket(loop);
    bool bound = false;
    warm->bind(0, "127.0.0.1", [&bound] { bound = true; });
    REQUIRE(test::runUntil(
        loop, [&] { return bound; }, std::chrono::seconds(5)));
    warm->close();
  }
  REQUIRE(test::runUntilIdle(loop));

  int bound = 0;
  std::shared_ptr<dgram::Socket> socket;
  long made = allocationsOf([&] {
    dgram::SocketOptions options;
    options.loop = &loop;
    socket = dgram::createSocket(options);
    socket->bind(0, "127.0.0.1", [&bound] { ++bound; });
    while (bound == 0)
      loop.runOnce(std::chrono::milliseconds(100));
  });
#ifdef _WIN32
  // The IOCP socket is larger than the space a Socket reserves for its
  // platform socket (sized for POSIX): it is built on the heap, with its
  // receive and send operations, which the kernel may still hold after
  // the socket is gone (so they cannot live inside it).
  constexpr long kPlatformSocket = 3;
#else
  constexpr long kPlatformSocket = 0;  // built inside the Socket
#endif
  INFO("allocations " << made);
  CHECK(bound == 1);
  CHECK(made - kPlatformSocket <= 1);
  socket->close();
  CHECK(test::runUntilIdle(loop));
}
