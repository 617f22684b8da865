// Driving a loop from another event loop (issue 26 item 7): the host here
// is a plain poll() written in the test, with a descriptor of its own; the
// loop gives what to wait on (pollDescriptors / backendFd) and for how long
// (backendTimeout), and runs one step at a time with runOnce(0ms).
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/catch.hpp"

#include "support/helpers.hpp"

#ifndef _WIN32
#include <poll.h>
#include <unistd.h>
#endif  // _WIN32

using namespace std::chrono_literals;

#ifndef _WIN32
TEST_CASE("each backend says what a host polls", "[loop][embed]") {
  dgram::Loop loop;
  std::vector<dgram::PollDescriptor> descriptors{{99, false, true}};
  REQUIRE(loop.pollDescriptors(descriptors));
  if (loop.backend() == "poll") {
    // No descriptor stands for a poll() set: the set itself, the
    // wake-up first (nothing else is open yet).
    CHECK(loop.backendFd() == -1);
    REQUIRE(descriptors.size() == 1);
    CHECK(descriptors[0].readable);
    auto socket = test::makeSocket(loop);
    bool listening = false;
    socket->bind(0, "127.0.0.1", [&] { listening = true; });
    REQUIRE(test::runUntil(loop, [&] { return listening; }));
    REQUIRE(loop.pollDescriptors(descriptors));
    CHECK(descriptors.size() == 2);  // and the socket
    socket->close();
    CHECK(test::runUntilIdle(loop));
  } else {
    // epoll, kqueue: their own descriptor, and nothing else.
    REQUIRE(loop.backendFd() >= 0);
    REQUIRE(descriptors.size() == 1);
    CHECK(descriptors[0].fd == loop.backendFd());
    CHECK(descriptors[0].readable);
    CHECK_FALSE(descriptors[0].writable);
  }
}

TEST_CASE("backendTimeout is the time to the next timer, 0 with work waiting",
          "[loop][embed]") {
  dgram::Loop loop;
  CHECK(loop.backendTimeout() == -1);
  auto t = loop.setTimeout(5s, [] {});
  int timeout = loop.backendTimeout();
  CHECK(timeout > 4000);
  CHECK(timeout <= 5000);
  t.unref();  // unref'd timers still bound the wait: they fire if alive
  CHECK(loop.backendTimeout() > 4000);
  loop.post([] {});
  CHECK(loop.backendTimeout() == 0);
  loop.runOnce(0ms);
  CHECK(loop.backendTimeout() > 4000);
  t.close();
  CHECK(loop.backendTimeout() == -1);
}

TEST_CASE("a loop driven from a plain poll() with the host's own descriptor",
          "[loop][embed][thread]") {
  dgram::Loop loop;
  int host[2];
  REQUIRE(::pipe(host) == 0);
  int hostEvents = 0;

  std::vector<std::string> received;
  auto receiver = test::makeSocket(
      loop, dgram::Type::udp4, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
        received.emplace_back(msg.view());
      });
  bool listening = false;
  receiver->bind(0, "127.0.0.1", [&] { listening = true; });
  auto sender = test::makeSocket(loop);
  bool timerFired = false;
  const auto timerSet = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point timerAt{};
  loop.setTimeout(30ms, [&] {
    timerAt = std::chrono::steady_clock::now();
    timerFired = true;
  });
  std::atomic<bool> postedRan{false};
  std::chrono::steady_clock::time_point postedAt{};
  std::chrono::steady_clock::time_point ranAt{};

  std::thread helper;
  int polls = 0;
  bool sent = false;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  // The host's loop: what the library asks to watch, plus its own pipe.
  while (std::chrono::steady_clock::now() < deadline && polls < 5000) {
    if (listening && !sent) {
      sent = true;
      const auto port = receiver->address().port;
      for (int i = 0; i < 5; ++i)
        sender->send("m" + std::to_string(i), port, "127.0.0.1");
      // From another thread: a post() must wake the host's poll(), and
      // so must the host's own descriptor.
      helper = std::thread([&] {
        std::this_thread::sleep_for(50ms);
        postedAt = std::chrono::steady_clock::now();
        loop.post([&] {
          ranAt = std::chrono::steady_clock::now();
          postedRan = true;
        });
        std::this_thread::sleep_for(20ms);
        char byte = 'x';
        (void)!::write(host[1], &byte, 1);
      });
    }
    if (received.size() == 5 && timerFired && postedRan && hostEvents > 0)
      break;
    std::vector<dgram::PollDescriptor> descriptors;
    REQUIRE(loop.pollDescriptors(descriptors));
    std::vector<pollfd> set{{host[0], POLLIN, 0}};
    for (const auto& d : descriptors) {
      short events = static_cast<short>((d.readable ? POLLIN : 0) |
                                        (d.writable ? POLLOUT : 0));
      set.push_back(pollfd{d.fd, events, 0});
    }
    int timeout = loop.backendTimeout();
    // The host's own bound (a GUI would cap it by its frame or timers).
    if (timeout < 0 || timeout > 2000) timeout = 2000;
    ++polls;
    REQUIRE(::poll(set.data(), set.size(), timeout) >= 0);
    if (set[0].revents & POLLIN) {
      char byte;
      REQUIRE(::read(host[0], &byte, 1) == 1);
      ++hostEvents;
    }
    loop.runOnce(0ms);
  }
  if (helper.joinable()) helper.join();
  CHECK(received == std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"});
  CHECK(timerFired);
  // On time: the host waited at most backendTimeout(), not its own 2 s.
  CHECK(timerAt - timerSet < 1500ms);
  CHECK(postedRan);
  CHECK(hostEvents == 1);
  // Woken by the post, not by the host's 2 s bound.
  CHECK(ranAt - postedAt < 1500ms);
  // The host waited rather than spun (a few dozen turns do all this).
  CHECK(polls < 200);
  receiver->close();
  sender->close();
  CHECK(test::runUntilIdle(loop));
  ::close(host[0]);
  ::close(host[1]);
}
#else
TEST_CASE("each backend says what a host polls", "[loop][embed]") {
  // IOCP: the port's handle, and nothing a host could poll.
  dgram::Loop loop;
  CHECK(loop.backendFd() != 0);
  CHECK(loop.backendFd() != -1);
  std::vector<dgram::PollDescriptor> descriptors{{99, true, false}};
  CHECK_FALSE(loop.pollDescriptors(descriptors));
  CHECK(descriptors.empty());
  WARN("SKIPPED: driving a loop from poll(): IOCP has nothing to poll");
}
#endif  // _WIN32
