// Host text read as Node v20 reads it (issue 21, item 9): the table
// test/node_address/table.tsv records, for 270 host strings and both
// families, where Node's dgram connect(9, host) ends up (remoteAddress())
// and what bind(0, host) binds, or the error; ci/node-address-table.sh
// regenerates it. This test does the same with dgram, under the same
// conditions (new mount and network namespaces, a dead resolver on
// loopback, the table's hosts file), and compares row by row. Nothing is
// sent: lookups, connect and bind put no datagram on the wire.
//
// Where dgram differs on purpose, the difference is listed below (and in
// docs/errors.md) with the answer dgram gives instead; a listed row that
// agrees with Node again fails too, so the list stays true.
#include "support/catch.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "support/resolver_sandbox.hpp"

namespace {

using namespace std::chrono_literals;

const std::string kDataDir =
    std::string(DGRAM_TEST_SOURCE_DIR) + "/node_address";

struct Row {
  std::string host;  // the bytes dgram is given
  int family = 4;
  std::string lookup;   // dns.lookup(host, {family, all: true})
  std::string connect;  // "=remoteAddress" or "!CODE syscall"
  std::string bind;     // "=address" or "!CODE syscall"
  std::string shown;    // the host as JSON, for messages
};

std::string fromHex(const std::string& hex) {
  if (hex == "-") return {};
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(
        static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

std::vector<std::string> splitTabs(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, '\t'))
    fields.push_back(field);
  return fields;
}

std::vector<Row> loadTable() {
  std::ifstream in(kDataDir + "/table.tsv");
  std::vector<Row> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto fields = splitTabs(line);
    REQUIRE(fields.size() == 6);
    rows.push_back(Row{fromHex(fields[0]), std::stoi(fields[1]), fields[2],
                       fields[3], fields[4], fields[5]});
  }
  return rows;
}

std::string outcome(const dgram::Error& error) {
  return "!" + error.code() + " " + error.syscall();
}

dgram::Type typeOf(int family) {
  return family == 4 ? dgram::Type::udp4 : dgram::Type::udp6;
}

// connect(9, host): "=" and remoteAddress(), or the error.
std::string connectOutcome(dgram::Loop& loop, const Row& row) {
  auto socket = test::makeSocket(loop, typeOf(row.family));
  std::optional<std::string> result;
  socket->on(dgram::error, [&](const dgram::Error& e) {
    if (!result) result = outcome(e);
  });
  socket->connect(9, row.host, [&](const std::optional<dgram::Error>& e) {
    if (result) return;
    result = e ? outcome(*e) : "=" + socket->remoteAddress().address.str();
  });
  bool done = test::runUntil(
      loop, [&] { return result.has_value(); }, 10s);
  socket->close();
  test::runUntilIdle(loop);
  return done ? *result : "(no answer in 10 s)";
}

// bind(0, host): "=" and address(), or the error.
std::string bindOutcome(dgram::Loop& loop, const Row& row) {
  auto socket = test::makeSocket(loop, typeOf(row.family));
  std::optional<std::string> result;
  socket->on(dgram::error, [&](const dgram::Error& e) {
    if (!result) result = outcome(e);
  });
  socket->bind(0, row.host, [&] {
    if (!result) result = "=" + socket->address().address.str();
  });
  bool done = test::runUntil(
      loop, [&] { return result.has_value(); }, 10s);
  socket->close();
  test::runUntilIdle(loop);
  return done ? *result : "(no answer in 10 s)";
}

// Node asks the dead server and reports getaddrinfo's EAI_AGAIN; c-ares
// reports what happened to the query (refused, or no answer in time).
bool sameOutcome(const std::string& node, const std::string& ours) {
  if (node == ours) return true;
  if (node != "!EAI_AGAIN getaddrinfo") return false;
  return ours == "!ECONNREFUSED getaddrinfo" || ours == "!ETIMEOUT getaddrinfo";
}

// Where dgram reads host text differently from Node on purpose (see
// docs/errors.md): the host, the family (0: both), what dgram answers to
// connect and bind instead, and why.
struct Deliberate {
  std::string host;
  int family;
  const char* answer;
  const char* why;
};

constexpr const char* kRefused = "!ENOTFOUND getaddrinfo";
constexpr const char* kAskedDns = "!EAI_AGAIN getaddrinfo";

const std::vector<Deliberate>& deliberateDifferences() {
  static const std::vector<Deliberate> list = {
      {"example.onion", 0, kRefused,
       "RFC 7686: .onion names are never sent to DNS (c-ares refuses them "
       "too); glibc asks"},
      {"B\xc3\x9c"
       "CHER.example",
       4, kAskedDns,
       "no Unicode case mapping beyond ASCII: looked up as "
       "xn--bcher-kva with a capital, which the hosts file lacks"},
      {"a\xe2\x80\x8d"
       "b.example",
       0, kAskedDns,
       "UTS 46 refuses U+200D here (EINVAL); dgram does not check which code "
       "points UTS 46 allows"},
  };
  return list;
}

// A byte no host name can hold (NUL, control, space, DEL) is ENOTFOUND
// without a lookup, whatever Node makes of it (it cuts the text at a NUL
// and reads the rest: "127.0.0.1\0.evil.example" is 127.0.0.1 there).
bool hasForbiddenByte(const std::string& host) {
  for (char c : host) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return true;
  }
  return false;
}

const Deliberate* deliberateFor(const Row& row) {
  for (const Deliberate& d : deliberateDifferences()) {
    if (d.host == row.host && (d.family == 0 || d.family == row.family))
      return &d;
  }
  return nullptr;
}

std::string describe(const Row& row, const char* call, const std::string& node,
                     const std::string& ours) {
  return row.shown + " udp" + std::to_string(row.family) + " " + call +
         ": Node " + node + ", dgram " + ours;
}

}  // namespace

TEST_CASE("host text is read as Node v20 reads it (recorded table)",
          "[address][lookup][node-table]") {
  std::vector<Row> rows = loadTable();
  REQUIRE(rows.size() >= 400);
  struct Answer {
    std::string connect;
    std::string bind;
  };
  std::vector<Answer> answers;
  std::string why = test::runInResolverSandbox(
      kDataDir + "/resolv.conf", kDataDir + "/hosts", [&] {
        dgram::Loop loop;
        for (const Row& row : rows)
          answers.push_back(
              {connectOutcome(loop, row), bindOutcome(loop, row)});
      });
  RESOLVER_SANDBOX_OR_SKIP(why);
  REQUIRE(answers.size() == rows.size());

  // Each row's answers must be Node's, or the documented different one.
  std::vector<std::string> wrong;
  std::size_t differingRows = 0;
  std::size_t deliberateRows = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    const Answer& ours = answers[i];
    bool differs = !sameOutcome(row.connect, ours.connect) ||
                   !sameOutcome(row.bind, ours.bind);
    differingRows += differs;
    const Deliberate* deliberate = deliberateFor(row);
    std::string connect = row.connect;
    std::string bind = row.bind;
    if (deliberate != nullptr || hasForbiddenByte(row.host)) {
      connect = bind = deliberate != nullptr ? deliberate->answer : kRefused;
      deliberateRows += differs;
      if (deliberate != nullptr && !differs)
        wrong.push_back(row.shown + " udp" + std::to_string(row.family) +
                        ": listed as a deliberate difference, but dgram "
                        "answers as Node does");
    }
    if (!sameOutcome(connect, ours.connect))
      wrong.push_back(describe(row, "connect", connect, ours.connect));
    if (!sameOutcome(bind, ours.bind))
      wrong.push_back(describe(row, "bind", bind, ours.bind));
  }
  std::string report;
  for (const std::string& line : wrong)
    report += line + "\n";
  INFO(rows.size() << " rows, " << differingRows << " differ from Node ("
                   << deliberateRows << " on purpose); unexpected answers "
                   << "(expected first):\n"
                   << report);
  CHECK(wrong.empty());
  CHECK(differingRows == deliberateRows);
}
