// A socket's listeners of all events share one list (common/listeners.hpp):
// an emission of one event must neither call nor mark the listeners of
// another, also when a listener throws and the rest are resumed later.
#include "support/catch.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/listeners.hpp"

namespace {

using dgram::detail::EventKind;
using dgram::detail::EventListeners;

}  // namespace

TEST_CASE("listeners of different events in one list stay apart",
          "[events][listeners]") {
  EventListeners list;
  std::vector<std::string> seen;
  list.add(EventKind::close, 1, dgram::Listener([&] { seen.push_back("c1"); }),
           false);
  list.add(EventKind::error, 2,
           dgram::ErrorListener([&](const dgram::Error& e) {
             seen.push_back(std::string("e:") + e.what());
           }),
           false);
  list.add(EventKind::listening, 3,
           dgram::Listener([&] { seen.push_back("l1"); }), true);
  list.add(EventKind::close, 4, dgram::Listener([&] { seen.push_back("c2"); }),
           false);
  CHECK_FALSE(list.empty(EventKind::close));
  CHECK(list.empty(EventKind::connect));

  list.emit(EventKind::listening);
  list.emit(EventKind::listening);  // once: gone
  list.emit(EventKind::close);
  list.emit(EventKind::error, dgram::Error("EBOOM", "boom"));
  CHECK(seen == std::vector<std::string>{"l1", "c1", "c2", "e:boom"});
  CHECK(list.empty(EventKind::listening));
  CHECK(list.remove(4));
  CHECK_FALSE(list.remove(4));
  seen.clear();
  list.emit(EventKind::close);
  CHECK(seen == std::vector<std::string>{"c1"});
}

TEST_CASE("a throw interrupts only its own event, resume calls the rest",
          "[events][listeners]") {
  EventListeners list;
  std::vector<std::string> seen;
  list.add(EventKind::close, 1, dgram::Listener([&] {
             seen.push_back("c1");
             throw std::runtime_error("thrown");
           }),
           false);
  list.add(EventKind::connect, 2,
           dgram::Listener([&] { seen.push_back("k1"); }), false);
  list.add(EventKind::close, 3, dgram::Listener([&] { seen.push_back("c2"); }),
           false);
  CHECK_THROWS_AS(list.emit(EventKind::close), std::runtime_error);
  CHECK(list.interrupted(EventKind::close));
  CHECK_FALSE(list.interrupted(EventKind::connect));
  list.resume(EventKind::connect);  // nothing of 'connect' was skipped
  CHECK(seen == std::vector<std::string>{"c1"});
  list.resume(EventKind::close);
  CHECK(seen == std::vector<std::string>{"c1", "c2"});
  CHECK_FALSE(list.interrupted(EventKind::close));
  list.emit(EventKind::connect);
  CHECK(seen == std::vector<std::string>{"c1", "c2", "k1"});
}

TEST_CASE("a listener inserted by id lands among the others of its event",
          "[events][listeners]") {
  EventListeners list;
  std::vector<int> seen;
  list.add(EventKind::listening, 1, dgram::Listener([&] { seen.push_back(1); }),
           false);
  list.add(EventKind::message, 2,
           dgram::MessageListener([&](dgram::Bytes, const dgram::RemoteInfo&) {
             seen.push_back(2);
           }),
           false);
  list.add(EventKind::listening, 5, dgram::Listener([&] { seen.push_back(5); }),
           false);
  list.insert(EventKind::listening, 3,
              dgram::Listener([&] { seen.push_back(3); }), true);
  list.emit(EventKind::listening);
  CHECK(seen == std::vector<int>{1, 3, 5});
  list.clear();
  CHECK(list.empty(EventKind::listening));
  CHECK(list.empty(EventKind::message));
}

TEST_CASE(
    "an emission reaches the last listener whatever came and went before it",
    "[events][listeners]") {
  // The head entry keeps where the list ends (an emission stops there
  // without walking to it): added at the end, inserted at the head or
  // last, the last or the head removed, the list cleared and refilled.
  EventListeners list;
  std::vector<int> seen;
  auto listener = [&](int n) {
    return dgram::Listener([&seen, n] { seen.push_back(n); });
  };
  auto emitted = [&] {
    seen.clear();
    list.emit(EventKind::listening);
    return seen;
  };
  list.add(EventKind::listening, 2, listener(2), false);
  list.insert(EventKind::listening, 1, listener(1), false);  // new head
  CHECK(emitted() == std::vector<int>{1, 2});
  list.add(EventKind::listening, 3, listener(3), false);
  CHECK(emitted() == std::vector<int>{1, 2, 3});
  CHECK(list.remove(3));  // the last
  list.add(EventKind::listening, 4, listener(4), false);
  CHECK(emitted() == std::vector<int>{1, 2, 4});
  list.insert(EventKind::listening, 9, listener(9), false);  // at the end
  CHECK(emitted() == std::vector<int>{1, 2, 4, 9});
  CHECK(list.remove(1));  // the head
  list.add(EventKind::listening, 10, listener(10), false);
  CHECK(emitted() == std::vector<int>{2, 4, 9, 10});
  // One added by a listener waits for the next emission.
  list.add(EventKind::listening, 11, dgram::Listener([&] {
             seen.push_back(11);
             list.add(EventKind::listening, 12, listener(12), false);
           }),
           true);
  CHECK(emitted() == std::vector<int>{2, 4, 9, 10, 11});
  CHECK(emitted() == std::vector<int>{2, 4, 9, 10, 12});
  list.clear();
  CHECK(emitted().empty());
  list.add(EventKind::listening, 13, listener(13), false);
  list.add(EventKind::listening, 14, listener(14), false);
  CHECK(emitted() == std::vector<int>{13, 14});
}

TEST_CASE(
    "a datagram reaches its 'message' listeners whether they are one or "
    "several, as they come and go",
    "[events][listeners]") {
  // emitMessage calls an only 'message' listener without walking the list
  // (the head keeps it): that shortcut must follow every change of the
  // list, including changes made by the listener it is calling.
  EventListeners list;
  std::vector<int> seen;
  auto message = [&](int n) {
    return dgram::MessageListener(
        [&seen, n](dgram::Bytes, const dgram::RemoteInfo&) {
          seen.push_back(n);
        });
  };
  const std::uint8_t byte = 'x';
  const dgram::RemoteInfo rinfo;
  auto emitted = [&] {
    seen.clear();
    list.emitMessage(dgram::ByteView(&byte, 1), rinfo);
    return seen;
  };
  CHECK(emitted().empty());  // no list at all
  list.add(EventKind::error, 1,
           dgram::ErrorListener([](const dgram::Error&) {}), false);
  CHECK(emitted().empty());
  list.add(EventKind::message, 2, message(2), false);  // the only one
  CHECK(emitted() == std::vector<int>{2});
  list.add(EventKind::message, 3, message(3), false);  // two
  CHECK(emitted() == std::vector<int>{2, 3});
  CHECK(list.remove(2));  // one again, not the first of its event
  CHECK(emitted() == std::vector<int>{3});
  list.add(EventKind::message, 4, message(4), true);  // a once-listener
  CHECK(emitted() == std::vector<int>{3, 4});
  CHECK(emitted() == std::vector<int>{3});
  CHECK(list.remove(1));  // the head goes: the message listener heads
  CHECK(emitted() == std::vector<int>{3});
  list.insert(EventKind::listening, 0, dgram::Listener([] {}), false);
  CHECK(emitted() == std::vector<int>{3});  // a new head in front
  list.clear();
  CHECK(emitted().empty());
  list.add(EventKind::message, 5, message(5), true);  // once, alone
  CHECK(emitted() == std::vector<int>{5});
  CHECK(emitted().empty());
  CHECK(list.empty(EventKind::message));
}

TEST_CASE(
    "an only 'message' listener may remove itself, add another and throw "
    "from its own call",
    "[events][listeners]") {
  EventListeners list;
  std::vector<std::string> seen;
  const std::uint8_t byte = 'x';
  const dgram::RemoteInfo rinfo;
  auto emit = [&] { list.emitMessage(dgram::ByteView(&byte, 1), rinfo); };
  auto later = dgram::MessageListener(
      [&](dgram::Bytes, const dgram::RemoteInfo&) { seen.push_back("later"); });

  SECTION("removes itself and adds another: only the next datagram sees it") {
    // The removed listener's captures (a string here, so that ASan sees a
    // use after free) must live until its call returns.
    std::string name = "first, with a capture long enough to be on the heap";
    list.add(EventKind::message, 1,
             dgram::MessageListener(
                 [&, name](dgram::Bytes m, const dgram::RemoteInfo&) {
                   CHECK(list.remove(1));
                   list.add(EventKind::message, 2, later, false);
                   seen.push_back(name + std::string(m.begin(), m.end()));
                 }),
             false);
    emit();
    emit();
    CHECK(seen == std::vector<std::string>{name + "x", "later"});
  }
  SECTION("adds a second one: both see the next datagram, in order") {
    list.add(
        EventKind::message, 1,
        dgram::MessageListener([&](dgram::Bytes, const dgram::RemoteInfo&) {
          seen.push_back("first");
          if (seen.size() == 1) list.add(EventKind::message, 2, later, false);
        }),
        false);
    emit();
    emit();
    CHECK(seen == std::vector<std::string>{"first", "first", "later"});
  }
  SECTION("throws: nothing is left interrupted, the next datagram reaches it") {
    list.add(
        EventKind::message, 1,
        dgram::MessageListener([&](dgram::Bytes, const dgram::RemoteInfo&) {
          seen.push_back("thrower");
          if (seen.size() == 1) throw std::runtime_error("thrown");
        }),
        false);
    CHECK_THROWS_AS(emit(), std::runtime_error);
    CHECK_FALSE(list.interrupted(EventKind::message));
    emit();
    CHECK(seen == std::vector<std::string>{"thrower", "thrower"});
  }
  SECTION("removes itself and throws: freed once, not called again") {
    list.add(
        EventKind::message, 1,
        dgram::MessageListener([&](dgram::Bytes, const dgram::RemoteInfo&) {
          seen.push_back("gone");
          list.remove(1);
          throw std::runtime_error("thrown");
        }),
        false);
    CHECK_THROWS_AS(emit(), std::runtime_error);
    emit();
    CHECK(seen == std::vector<std::string>{"gone"});
    CHECK(list.empty(EventKind::message));
  }
  SECTION("removes itself, then a nested emission does not reach it") {
    int calls = 0;
    list.add(
        EventKind::message, 1,
        dgram::MessageListener([&](dgram::Bytes, const dgram::RemoteInfo&) {
          seen.push_back("removed");
          if (++calls > 1) return;  // bounded, should it be reached
          CHECK(list.remove(1));
          emit();
        }),
        false);
    emit();
    CHECK(seen == std::vector<std::string>{"removed"});
  }
  SECTION("clears the list from its call") {
    list.add(
        EventKind::message, 1,
        dgram::MessageListener([&](dgram::Bytes, const dgram::RemoteInfo&) {
          seen.push_back("clearer");
          list.clear();
        }),
        false);
    emit();
    emit();
    CHECK(seen == std::vector<std::string>{"clearer"});
  }
  SECTION("left alone after the first of two threw: the skipped one") {
    // The first throws, so the second is not reached; the first is then
    // removed, which leaves the second alone: a new datagram reaches it
    // and forgets the interrupted emission (as the walk does).
    list.add(
        EventKind::message, 1,
        dgram::MessageListener([&](dgram::Bytes, const dgram::RemoteInfo&) {
          seen.push_back("thrower");
          throw std::runtime_error("thrown");
        }),
        false);
    list.add(EventKind::message, 2, later, false);
    CHECK_THROWS_AS(emit(), std::runtime_error);
    CHECK(list.interrupted(EventKind::message));
    CHECK(list.remove(1));
    emit();
    CHECK_FALSE(list.interrupted(EventKind::message));
    CHECK(seen == std::vector<std::string>{"thrower", "later"});
  }
}
