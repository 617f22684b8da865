// Node's timers (issue 26 item 3): setInterval, refresh(), ref()/unref()/
// hasRef(), the free functions on the default loop, and a differential
// against Node itself: each scenario of test/support/node_timers.js has a
// twin here, and both must print the same trace.
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/catch.hpp"

#include "support/helpers.hpp"
#include "support/netns.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::string join(const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& word : words) {
    if (!line.empty()) line += ' ';
    line += word;
  }
  return line;
}

void busy(std::chrono::milliseconds time) {
  auto end = Clock::now() + time;
  while (Clock::now() < end) {
  }
}

// The C++ twins of node_timers.js's scenarios: each runs on a loop of its
// own and returns its trace.
using Scenario = std::function<std::string(dgram::Loop&)>;

const std::vector<std::pair<std::string, Scenario>>& scenarios() {
  static const std::vector<std::pair<std::string, Scenario>> list = {
      {"same-time order",
       [](dgram::Loop& loop) {
         std::vector<std::string> out;
         loop.setTimeout(1ms, [&] { out.push_back("a"); });
         loop.setTimeout(0ms, [&] { out.push_back("b"); });
         loop.setTimeout(1ms, [&] { out.push_back("c"); });
         loop.setTimeout(-5ms, [&] { out.push_back("d"); });
         loop.setTimeout(200ms, [&] { out.push_back("e"); });
         test::runUntilIdle(loop);
         return join(out);
       }},
      {"set from a timer",
       [](dgram::Loop& loop) {
         std::vector<std::string> out;
         loop.setTimeout(1ms, [&] {
           out.push_back("a");
           loop.setTimeout(0ms, [&] { out.push_back("b"); });
         });
         loop.setTimeout(1ms, [&] { out.push_back("c"); });
         test::runUntilIdle(loop);
         return join(out);
       }},
      {"interval cleared by itself",
       [](dgram::Loop& loop) {
         std::vector<std::string> out;
         int runs = 0;
         dgram::Timeout iv;
         iv = loop.setInterval(5ms, [&] {
           out.push_back("i" + std::to_string(++runs));
           if (runs == 3) loop.clearInterval(iv);
         });
         test::runUntilIdle(loop);
         return join(out);
       }},
      {"interval and timeout",
       [](dgram::Loop& loop) {
         std::vector<std::string> out;
         int runs = 0;
         dgram::Timeout iv;
         iv = loop.setInterval(30ms, [&] {
           out.push_back("I");
           if (++runs == 2) iv.close();
         });
         loop.setTimeout(45ms, [&] { out.push_back("T"); });
         test::runUntilIdle(loop);
         return join(out);
       }},
      {"interval after an overrun",
       [](dgram::Loop& loop) {
         std::vector<std::string> out;
         int runs = 0;
         Clock::time_point last;
         dgram::Timeout iv;
         iv = loop.setInterval(40ms, [&] {
           auto now = Clock::now();
           if (runs > 0) out.push_back(now - last >= 30ms ? "spaced" : "burst");
           last = now;
           if (++runs == 1) busy(100ms);
           if (runs == 4) loop.clearInterval(iv);
         });
         test::runUntilIdle(loop);
         return join(out);
       }},
      {"refresh pushes back",
       [](dgram::Loop& loop) {
         std::vector<std::string> out;
         auto t = loop.setTimeout(50ms, [&] { out.push_back("T"); });
         loop.setTimeout(30ms, [&, t]() mutable {
           out.push_back("S");
           t.refresh();
         });
         loop.setTimeout(60ms, [&] { out.push_back("U"); });
         test::runUntilIdle(loop);
         return join(out);
       }},
      {"refresh from its callback",
       [](dgram::Loop& loop) {
         std::vector<std::string> out;
         int runs = 0;
         dgram::Timeout t;
         t = loop.setTimeout(10ms, [&] {
           out.push_back("t" + std::to_string(++runs));
           if (runs == 1) t.refresh();
         });
         test::runUntilIdle(loop);
         return join(out);
       }},
      {"refresh after clear",
       [](dgram::Loop& loop) {
         std::vector<std::string> out;
         auto t = loop.setTimeout(5ms, [&] { out.push_back("cleared"); });
         loop.clearTimeout(t);
         t.refresh();
         loop.setTimeout(40ms, [&] { out.push_back("end"); });
         test::runUntilIdle(loop);
         return join(out);
       }},
      {"hasRef",
       [](dgram::Loop& loop) {
         std::vector<std::string> out;
         auto t = loop.setTimeout(1000ms, [] {});
         auto say = [&](bool b) { out.push_back(b ? "true" : "false"); };
         say(t.hasRef());
         t.unref();
         say(t.hasRef());
         t.ref();
         say(t.hasRef());
         loop.clearTimeout(t);
         return join(out);
       }},
      {"unref",
       [](dgram::Loop& loop) {
         std::vector<std::string> out;
         loop.setTimeout(2000ms, [&] { out.push_back("unref"); }).unref();
         auto back = loop.setTimeout(40ms, [&] { out.push_back("ref-again"); });
         back.unref();
         back.ref();
         loop.setTimeout(20ms, [&] { out.push_back("ref"); });
         loop.run();  // returns with the unref'd timer still pending
         return join(out);
       }},
  };
  return list;
}

std::string runScenario(const std::string& name) {
  for (const auto& [scenarioName, scenario] : scenarios()) {
    if (scenarioName == name) {
      dgram::Loop loop;
      return scenario(loop);
    }
  }
  throw std::logic_error("no scenario " + name);
}

}  // namespace

TEST_CASE("Node's timer scenarios give Node's traces", "[timer][node]") {
  // What Node v20 prints for node_timers.js: the rules these traces show
  // hold on a loaded machine (they depend on orders, not on how late a
  // timer is).
  const std::map<std::string, std::string> expected = {
      {"same-time order", "a b c d e"},
      {"set from a timer", "a c b"},
      {"interval cleared by itself", "i1 i2 i3"},
      {"interval and timeout", "I T I"},
      {"interval after an overrun", "spaced spaced spaced"},
      {"refresh pushes back", "S U T"},
      {"refresh from its callback", "t1 t2"},
      {"refresh after clear", "end"},
      {"hasRef", "true false true"},
      {"unref", "ref ref-again"},
  };
  REQUIRE(expected.size() == scenarios().size());
  for (const auto& [name, trace] : expected) {
    INFO(name);
    CHECK(runScenario(name) == trace);
  }
}

TEST_CASE("Node itself gives the traces the timer scenarios expect",
          "[timer][node]") {
#ifdef _WIN32
  WARN("SKIPPED: Node is not run from the Windows build");
#else
  const std::string node = test::net::findProgram("node");
  if (node.empty()) {
    WARN("SKIPPED: no 'node' in PATH for the timer differential");
    return;
  }
  const std::string command =
      node + " " + DGRAM_TEST_SOURCE_DIR + "/support/node_timers.js 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe))
    output += buffer;
  int status = ::pclose(pipe);
  INFO(output);
  REQUIRE(status == 0);
  std::map<std::string, std::string> nodeSays;
  std::size_t start = 0;
  while (start < output.size()) {
    std::size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    std::string line = output.substr(start, end - start);
    std::size_t colon = line.find(": ");
    if (colon != std::string::npos)
      nodeSays[line.substr(0, colon)] = line.substr(colon + 2);
    else if (line.size() > 1 && line.back() == ':')
      nodeSays[line.substr(0, line.size() - 1)] = "";
    start = end + 1;
  }
  REQUIRE(nodeSays.size() == scenarios().size());
  for (const auto& [name, trace] : nodeSays) {
    INFO(name);
    CHECK(runScenario(name) == trace);
  }
#endif  // _WIN32
}

TEST_CASE("a timer id is never 0 and a Timeout converts to it", "[timer]") {
  dgram::Loop loop;
  dgram::Timeout none;
  CHECK(none.id() == 0);
  CHECK_FALSE(none.hasRef());
  none.refresh().unref().ref().close();  // names no timer: nothing happens
  dgram::TimerId id = loop.setTimeout(10ms, [] {});
  CHECK(id != 0);
  auto t = loop.setInterval(10ms, [] {});
  CHECK(t.id() != 0);
  CHECK(t.id() != id);
  loop.clearTimeout(id);
  loop.clearInterval(t);
  CHECK_FALSE(loop.runOnce(0ms));
}

TEST_CASE("an empty timer callback is refused", "[timer]") {
  dgram::Loop loop;
  for (bool interval : {false, true}) {
    try {
      if (interval)
        loop.setInterval(1ms, {});
      else
        loop.setTimeout(1ms, {});
      FAIL("no error");
    } catch (const dgram::Error& error) {
      CHECK(error.code() == "ERR_INVALID_ARG_TYPE");
    }
  }
  CHECK_FALSE(loop.runOnce(0ms));
}

TEST_CASE("an unref'd timer does not keep the loop alive, and ref() again does",
          "[timer]") {
  dgram::Loop loop;
  int fired = 0;
  auto t = loop.setTimeout(300ms, [&] { ++fired; });
  t.unref();
  CHECK_FALSE(t.hasRef());
  loop.run();  // returns at once: nothing ref'd
  CHECK(fired == 0);
  t.ref();
  CHECK(t.hasRef());
  loop.run();
  CHECK(fired == 1);
  CHECK_FALSE(t.hasRef());  // gone
}

TEST_CASE("an unref'd interval keeps firing while the loop runs", "[timer]") {
  dgram::Loop loop;
  int runs = 0;
  loop.setInterval(5ms, [&] { ++runs; }).unref();
  loop.setTimeout(100ms, [] {});
  loop.run();
  CHECK(runs >= 2);
  int before = runs;
  loop.run();  // nothing ref'd: returns without another run
  CHECK(runs == before);
}

TEST_CASE("refresh() keeps the id and re-arms from now", "[timer]") {
  dgram::Loop loop;
  Clock::time_point fired{};
  auto t = loop.setTimeout(60ms, [&] { fired = Clock::now(); });
  const dgram::TimerId id = t;
  busy(40ms);
  auto refreshed = Clock::now();
  CHECK(t.refresh().id() == id);
  loop.run();
  REQUIRE(fired != Clock::time_point{});
  CHECK(fired - refreshed >= 60ms);
}

TEST_CASE("refresh() of a fired timeout does nothing (Node would re-arm it)",
          "[timer]") {
  // A documented difference: Node keeps a fired Timeout's callback for as
  // long as the object lives; a C++ loop would have to keep every fired
  // callback forever for a refresh that may never come.
  dgram::Loop loop;
  int fired = 0;
  auto t = loop.setTimeout(1ms, [&] { ++fired; });
  loop.run();
  CHECK(fired == 1);
  t.refresh();
  CHECK_FALSE(t.hasRef());
  CHECK_FALSE(loop.runOnce(0ms));
  CHECK(fired == 1);
}

TEST_CASE("an interval keeps its id, and clearing it from outside stops it",
          "[timer]") {
  dgram::Loop loop;
  int runs = 0;
  auto iv = loop.setInterval(2ms, [&] { ++runs; });
  // Cleared from another timer once it has run twice (a fixed 40 ms
  // deadline failed under load: a turn 40 ms late ran both timers at once,
  // with one run of the interval).
  int closedAfter = -1;
  dgram::Timeout watcher;
  watcher = loop.setInterval(1ms, [&] {
    if (runs < 2) return;
    closedAfter = runs;
    iv.close();
    watcher.close();
  });
  CHECK(test::runUntilIdle(loop));
  CHECK(closedAfter >= 2);
  CHECK(runs == closedAfter);  // nothing ran after the clear
  CHECK_FALSE(iv.hasRef());
}

TEST_CASE("an interval whose callback throws stays armed", "[timer]") {
  // Node re-arms an interval in a `finally`; here the exception leaves
  // run() and the interval runs again when the loop runs again.
  dgram::Loop loop;
  int runs = 0;
  dgram::Timeout iv;
  iv = loop.setInterval(2ms, [&] {
    if (++runs == 1) throw std::runtime_error("listener bug");
    iv.close();
  });
  CHECK_THROWS_AS(loop.run(), std::runtime_error);
  CHECK(runs == 1);
  CHECK(iv.hasRef());
  CHECK(test::runUntilIdle(loop));
  CHECK(runs == 2);
}

TEST_CASE("a timeout whose callback throws is gone", "[timer]") {
  dgram::Loop loop;
  auto t = loop.setTimeout(1ms, [] { throw std::runtime_error("bug"); });
  CHECK_THROWS_AS(loop.run(), std::runtime_error);
  CHECK_FALSE(t.hasRef());
  CHECK_FALSE(loop.runOnce(0ms));
}

TEST_CASE("a delay too long for Node is honoured without overflow", "[timer]") {
  dgram::Loop loop;
  int fired = 0;
  auto t = loop.setTimeout(std::chrono::milliseconds::max(), [&] { ++fired; });
  auto u =
      loop.setInterval(std::chrono::hours(24 * 365 * 1000), [&] { ++fired; });
  CHECK(t.hasRef());
  CHECK(u.hasRef());
  CHECK(loop.runOnce(0ms));  // pending: the loop would wait for them
  t.close();
  u.close();
  CHECK_FALSE(loop.runOnce(0ms));
  CHECK(fired == 0);
}

TEST_CASE("the free timer functions use the default loop", "[timer]") {
  int ran = 0;
  int runs = 0;
  dgram::Timeout iv;
  iv = dgram::setInterval(2ms, [&] {
    if (++runs == 2) dgram::clearInterval(iv);
  });
  auto t = dgram::setTimeout(1ms, [&] { ++ran; });
  auto cleared = dgram::setTimeout(1ms, [&] { ran += 100; });
  dgram::clearTimeout(cleared);
  CHECK(t.hasRef());
  CHECK(test::runUntilIdle(dgram::Loop::defaultLoop()));
  CHECK(ran == 1);
  CHECK(runs == 2);
}
