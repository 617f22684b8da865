// What a program keeps of a received message: a copy, an assignment or a
// capture of the listener's Bytes owns its bytes, whatever the loop
// receives afterwards into the slot the message came in (the loop reads
// up to 64 datagrams at a time into one shared arena, so the 65th lands
// where the first was). SendFrom(rinfo), likewise, keeps its own address.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/helpers.hpp"

namespace {

// "msg-<i>-" and padding, so that every datagram has its own text and
// the same size (a later one overwrites an earlier one completely).
std::string payload(int i) {
  std::string text = "msg-" + std::to_string(i) + "-";
  text.resize(32, 'x');
  return text;
}

}  // namespace

TEST_CASE("a kept message owns its bytes while the loop receives more",
          "[message][lifetime]") {
  constexpr int kCount = 70;  // more than one receive batch (64)
  dgram::Loop loop;
  auto server = test::makeSocket(loop);
  auto client = test::makeSocket(loop);

  // The three ways a Node program keeps `msg`: `last = msg`, a closure
  // that captures it, and an array it is pushed into.
  dgram::Bytes last;
  std::vector<std::function<std::string()>> captured;
  std::vector<dgram::Bytes> kept;
  kept.reserve(4);  // and grows as it goes: moving kept copies is fine
  int received = 0;
  server->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    if (received == 0) last = msg;
    captured.push_back([msg] { return msg.str(); });
    kept.push_back(msg);
    ++received;
  });
  int port = 0;
  server->bind(0, "127.0.0.1", [&] { port = server->address().port; });
  REQUIRE(test::runUntil(loop, [&] { return port != 0; }));
  // Sent outside the loop: each leaves at once, so all are queued at the
  // server before it reads (two batches of one readiness).
  for (int i = 0; i < kCount; ++i)
    client->send(payload(i), port, "127.0.0.1");
  REQUIRE(test::runUntil(
      loop, [&] { return received == kCount; }, std::chrono::seconds(10)));

  CHECK(last.str() == payload(0));
  REQUIRE(captured.size() == static_cast<std::size_t>(kCount));
  REQUIRE(kept.size() == static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    INFO("datagram " << i);
    CHECK(captured[static_cast<std::size_t>(i)]() == payload(i));
    CHECK(kept[static_cast<std::size_t>(i)].str() == payload(i));
  }
  // Copies of a kept copy share its bytes and outlive it.
  dgram::Bytes second = kept[1];
  kept.clear();
  CHECK(second.str() == payload(1));

  server->close();
  client->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a message handed on by const reference or by move is not copied",
          "[message][lifetime]") {
  // Every listener of the event is handed the same bytes; passing them on
  // by reference or by move keeps them a view of the loop's slot (no
  // copy), so the pointers the listeners see are one and the same.
  dgram::Loop loop;
  auto server = test::makeSocket(loop);
  auto client = test::makeSocket(loop);
  const std::uint8_t* seen[3] = {};
  auto byReference = [&](const dgram::Bytes& msg) { seen[1] = msg.data(); };
  auto byMove = [&](dgram::Bytes msg) { seen[2] = msg.data(); };
  server->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    seen[0] = msg.data();
    byReference(msg);
    byMove(std::move(msg));
  });
  int port = 0;
  server->bind(0, "127.0.0.1", [&] { port = server->address().port; });
  REQUIRE(test::runUntil(loop, [&] { return port != 0; }));
  client->send("one", port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return seen[2] != nullptr; }));
  CHECK(seen[1] == seen[0]);
  CHECK(seen[2] == seen[0]);
  server->close();
  client->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a kept SendFrom(rinfo) keeps the address it was made from",
          "[message][lifetime][metadata]") {
  // The RemoteInfo a listener gets is the loop's, shared by every
  // datagram: a SendFrom made from it must not read it later.
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.recvPktInfo = true;
  auto server = test::makeSocket(loop, options);
  auto client = test::makeSocket(loop);
  std::optional<dgram::SendFrom> first;
  std::vector<std::string> arrivals;
  server->on(dgram::message, [&](dgram::Bytes, const dgram::RemoteInfo& rinfo) {
    if (!first) first = dgram::SendFrom(rinfo);
    arrivals.push_back(rinfo.localAddress.str());
  });
  int port = 0;
  server->bind(0, "0.0.0.0", [&] { port = server->address().port; });
  REQUIRE(test::runUntil(loop, [&] { return port != 0; }));
  if (!server->kernelFeatures().recvPktInfo) {
    WARN("SKIPPED: recvPktInfo is not available on this platform");
    server->close();
    client->close();
    CHECK(test::runUntilIdle(loop));
    return;
  }
  client->send("to .1", port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return arrivals.size() == 1; }));
  client->send("to .2", port, "127.0.0.2");
  REQUIRE(test::runUntil(loop, [&] { return arrivals.size() == 2; }));
  CHECK(arrivals[0] == "127.0.0.1");
  CHECK(arrivals[1] == "127.0.0.2");
  REQUIRE(first);
  CHECK(std::string_view(first->address) == "127.0.0.1");
  // A copy of it is as good as the original.
  dgram::SendFrom copy = *first;
  first.reset();
  CHECK(std::string_view(copy.address) == "127.0.0.1");
  server->close();
  client->close();
  CHECK(test::runUntilIdle(loop));
}
