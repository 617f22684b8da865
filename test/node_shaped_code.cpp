// Code written the way Node code is: callbacks of the shorter shapes
// (`(err) => ...`, `() => ...`), a 'message' listener without rinfo, an
// address turned into a string or joined with one, and values printed
// (console.log becomes std::cout <<). All of it compiles and does what
// Node does; the shapes that cannot work are compile-time errors checked
// in test/compile_fail.
#include <optional>
#include <sstream>
#include <string>

#include "support/catch.hpp"
#include "support/helpers.hpp"

TEST_CASE("send, connect and 'error' take the callback shapes Node code uses",
          "[callbacks]") {
  dgram::Loop loop;
  auto server = test::makeSocket(loop);
  auto client = test::makeSocket(loop);
  int port = 0;
  server->bind(0, "127.0.0.1", [&] { port = server->address().port; });
  REQUIRE(test::runUntil(loop, [&] { return port != 0; }));

  int errOnly = 0, noArgs = 0, both = 0, portOnly = 0;
  std::size_t bytes = 0;
  std::optional<dgram::Error> failed;
  client->send("a", port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err) {
                 if (err) failed = err;
                 ++errOnly;
               });
  client->send("bb", port, "127.0.0.1", [&] { ++noArgs; });
  client->send("ccc", port, "127.0.0.1",
               [&](const std::optional<dgram::Error>& err, std::size_t n) {
                 if (err) failed = err;
                 bytes = n;
                 ++both;
               });
  client->send("dddd", port, [&] { ++portOnly; });  // to localhost
  client->send({"e", "e"}, port, "127.0.0.1", [&] { ++noArgs; });
  REQUIRE(test::runUntil(
      loop, [&] { return errOnly + noArgs + both + portOnly == 5; }));
  CHECK_FALSE(failed);
  CHECK(errOnly == 1);
  CHECK(noArgs == 2);
  CHECK(both == 1);
  CHECK(bytes == 3);
  CHECK(portOnly == 1);

  // connect: `() => ...` and `(err) => ...`.
  auto connected = test::makeSocket(loop);
  bool plain = false;
  connected->connect(port, "127.0.0.1", [&] { plain = true; });
  // A lookup that finds nothing (no query leaves the machine).
  dgram::SocketOptions options;
  options.lookup = [](std::string_view host, dgram::Family family,
                      dgram::LookupCallback done) {
    done(dgram::Error::lookup(-3008, "ENOTFOUND", std::string(host)), {},
         family);
  };
  auto refused = test::makeSocket(loop, options);
  std::optional<dgram::Error> connectError;
  bool called = false;
  refused->connect(port, "nowhere.test",
                   [&](const std::optional<dgram::Error>& err) {
                     connectError = err;
                     called = true;
                   });
  REQUIRE(test::runUntil(
      loop, [&] { return plain && called; }, std::chrono::seconds(10)));
  REQUIRE(connectError.has_value());
  CHECK(connectError->code() == "ENOTFOUND");

  // An 'error' listener that ignores the error: `() => ...`.
  auto failing = test::makeSocket(loop);
  int errors = 0;
  failing->on(dgram::error, [&] { ++errors; });
  failing->bind(port, "127.0.0.1");  // in use: EADDRINUSE
  REQUIRE(test::runUntil(loop, [&] { return errors == 1; }));

  for (auto* socket : {&server, &client, &connected, &refused, &failing})
    (*socket)->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a 'message' listener may leave out rinfo", "[callbacks]") {
  dgram::Loop loop;
  std::string got;
  auto server =
      test::makeSocket(loop, dgram::Type::udp4,
                       [&](const dgram::Bytes& msg) { got = msg.str(); });
  auto client = test::makeSocket(loop);
  int port = 0;
  server->bind(0, "127.0.0.1", [&] { port = server->address().port; });
  REQUIRE(test::runUntil(loop, [&] { return port != 0; }));
  client->send("no rinfo needed", port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return !got.empty(); }));
  CHECK(got == "no rinfo needed");
  server->close();
  client->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("addresses become strings and everything prints", "[callbacks]") {
  dgram::Loop loop;
  auto server = test::makeSocket(loop);
  auto client = test::makeSocket(loop);
  std::string who, joined, printed, rinfoText;
  server->on(dgram::message,
             [&](dgram::Bytes msg, const dgram::RemoteInfo& rinfo) {
               who = rinfo.address;  // std::string who = rinfo.address
               joined = rinfo.address + ":" + std::to_string(rinfo.port);
               std::ostringstream out;
               out << "server got: " << msg << " from " << rinfo.address << " ("
                   << rinfo.family << ")";
               printed = out.str();
               std::ostringstream info;
               info << rinfo;
               rinfoText = info.str();
             });
  int port = 0;
  server->bind(0, "127.0.0.1", [&] { port = server->address().port; });
  REQUIRE(test::runUntil(loop, [&] { return port != 0; }));
  client->send("hi", port, "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return !who.empty(); }));
  int clientPort = client->address().port;
  CHECK(who == "127.0.0.1");
  CHECK(joined == "127.0.0.1:" + std::to_string(clientPort));
  CHECK(printed == "server got: hi from 127.0.0.1 (IPv4)");
  CHECK(rinfoText == "{ address: '127.0.0.1', family: 'IPv4', port: " +
                         std::to_string(clientPort) + ", size: 2 }");
  // console.log(server.address()) in Node prints the same object.
  std::ostringstream address;
  address << server->address();
  CHECK(address.str() == "{ address: '127.0.0.1', family: 'IPv4', port: " +
                             std::to_string(port) + " }");
  dgram::IpString ip("::1");
  std::string prefixed = "[" + ip + "]";
  CHECK(prefixed == "[::1]");
  CHECK(ip + ip == "::1::1");
  CHECK(ip + std::string("%lo") == "::1%lo");
  server->close();
  client->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("a port error speaks of C++ values", "[callbacks][errors]") {
  dgram::Loop loop;
  auto socket = test::makeSocket(loop);
  auto message = [&](auto&& call) -> std::string {
    try {
      call();
    } catch (const dgram::Error& err) {
      return err.code() + ": " + err.what();
    }
    return "";
  };
  CHECK(message([&] { socket->send("x", 0, "127.0.0.1"); }) ==
        "ERR_SOCKET_BAD_PORT: Port should be > 0 and < 65536. Received 0.");
  CHECK(message([&] { socket->send("x"); }) ==
        "ERR_SOCKET_BAD_PORT: Port should be > 0 and < 65536. Received no "
        "port (the socket is not connected).");
  socket->close();
  CHECK(test::runUntilIdle(loop));
}
