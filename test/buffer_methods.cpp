// Node's Buffer methods on dgram::ByteView (reads) and dgram::Buffer
// (writes, concat), checked against what Node itself answers: the table
// test/data/buffer_methods_node.tsv, written by ci/buffer-methods-node.js
// (which the last test runs again, where Node is installed, to show the
// table is Node's current answer).
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/helpers.hpp"
#include "support/netns.hpp"

namespace {

const std::string kTable =
    std::string(DGRAM_TEST_SOURCE_DIR) + "/data/buffer_methods_node.tsv";
const std::string kScript =
    std::string(DGRAM_TEST_SOURCE_DIR) + "/../ci/buffer-methods-node.js";

std::string hexOf(dgram::ByteView bytes) {
  if (bytes.empty()) return ".";
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t byte : bytes) {
    out += digits[byte >> 4];
    out += digits[byte & 15];
  }
  return out;
}

dgram::Buffer fromHex(const std::string& text) {
  if (text == "." || text == "-") return dgram::Buffer();
  dgram::Buffer out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(
        std::stoul(text.substr(2 * i, 2), nullptr, 16));
  return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, separator))
    parts.push_back(part);
  return parts;
}

// A write's value as the table gives it: negative ones are passed as an
// int64_t, the others as a uint64_t (so that both kinds of argument are
// checked against the range of what is written).
struct Value {
  bool negative = false;
  std::int64_t signedValue = 0;
  std::uint64_t unsignedValue = 0;
};

Value parseValue(const std::string& text) {
  Value value;
  value.negative = !text.empty() && text[0] == '-';
  if (value.negative)
    value.signedValue = std::stoll(text);
  else
    value.unsignedValue = std::stoull(text);
  return value;
}

using Read = std::function<std::string(const dgram::ByteView&, std::size_t)>;
using Write =
    std::function<std::size_t(dgram::Buffer&, const Value&, std::size_t)>;

#define DGRAM_READ(name)                                                       \
  {                                                                            \
#name,                                                                     \
        [](const dgram::ByteView& bytes,                                       \
           std::size_t offset) { return std::to_string(+bytes.name(offset)); } \
  }
#define DGRAM_WRITE(name)                                             \
  {                                                                   \
#name, [](dgram::Buffer& buf, const Value& v, std::size_t offset) { \
      return v.negative ? buf.name(v.signedValue, offset)              \
                        : buf.name(v.unsignedValue, offset);           \
    } \
  }

const std::map<std::string, Read>& reads() {
  static const std::map<std::string, Read> table = {
      DGRAM_READ(readUInt8),       DGRAM_READ(readInt8),
      DGRAM_READ(readUInt16BE),    DGRAM_READ(readUInt16LE),
      DGRAM_READ(readInt16BE),     DGRAM_READ(readInt16LE),
      DGRAM_READ(readUInt32BE),    DGRAM_READ(readUInt32LE),
      DGRAM_READ(readInt32BE),     DGRAM_READ(readInt32LE),
      DGRAM_READ(readBigUInt64BE), DGRAM_READ(readBigUInt64LE),
      DGRAM_READ(readBigInt64BE),  DGRAM_READ(readBigInt64LE)};
  return table;
}

const std::map<std::string, Write>& writes() {
  static const std::map<std::string, Write> table = {
      DGRAM_WRITE(writeUInt8),       DGRAM_WRITE(writeInt8),
      DGRAM_WRITE(writeUInt16BE),    DGRAM_WRITE(writeUInt16LE),
      DGRAM_WRITE(writeInt16BE),     DGRAM_WRITE(writeInt16LE),
      DGRAM_WRITE(writeUInt32BE),    DGRAM_WRITE(writeUInt32LE),
      DGRAM_WRITE(writeInt32BE),     DGRAM_WRITE(writeInt32LE),
      DGRAM_WRITE(writeBigUInt64BE), DGRAM_WRITE(writeBigUInt64LE),
      DGRAM_WRITE(writeBigInt64BE),  DGRAM_WRITE(writeBigInt64LE)};
  return table;
}

// What the library does for one row, in the table's words.
std::string replay(const std::vector<std::string>& row) {
  const std::string& op = row[0];
  try {
    if (op == "concat") {
      std::vector<dgram::Buffer> pieces;
      if (row[1] != "-")
        for (const std::string& piece : split(row[1], ','))
          pieces.push_back(fromHex(piece));
      dgram::Buffer joined =
          row[2] == "-" ? dgram::Buffer::concat(pieces)
                        : dgram::Buffer::concat(pieces, std::stoul(row[2]));
      return "ok " + std::to_string(joined.size()) + " " + hexOf(joined);
    }
    dgram::Buffer buf = fromHex(row[1]);
    std::size_t offset = std::stoul(row[3]);
    if (auto read = reads().find(op); read != reads().end())
      return "ok " + read->second(buf, offset) + " " + hexOf(buf);
    auto write = writes().find(op);
    if (write == writes().end()) return "unknown operation";
    std::size_t next = write->second(buf, parseValue(row[2]), offset);
    return "ok " + std::to_string(next) + " " + hexOf(buf);
  } catch (const dgram::Error& err) {
    return "err " + err.code() + " " + err.what();
  }
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("Buffer reads, writes and concat answer as Node's Buffer does",
          "[buffer][node]") {
  std::ifstream table(kTable);
  REQUIRE(table.good());
  std::string line;
  int rows = 0, errors = 0;
  while (std::getline(table, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> row = split(line, '\t');
    REQUIRE(row.size() == 5);
    ++rows;
    const std::string& node = row[4];
    std::string ours = replay(row);
    INFO(row[0] << " buffer " << row[1] << " value " << row[2] << " offset "
                << row[3]);
    if (node.rfind("err", 0) == 0) ++errors;
    if (node.find("2n **") != std::string::npos) {
      // A 64-bit value out of range: Node words its range with BigInt
      // powers ("< 2n ** 63n. Received 9_223_372_036_854_775_808n");
      // the library writes the numbers as C++ prints them. Same code.
      CHECK(ours.substr(0, ours.find(' ', 4)) ==
            node.substr(0, node.find(' ', 4)));
      CHECK(ours.find("It must be >= ") != std::string::npos);
      continue;
    }
    CHECK(ours == node);
  }
  // The table covers every operation, failing and succeeding.
  CHECK(rows > 1000);
  CHECK(errors > 300);
}

TEST_CASE("the committed Buffer table is what Node answers today",
          "[buffer][node]") {
  std::string node = test::net::findProgram("node");
  if (node.empty()) {
    WARN("SKIPPED: no 'node' in PATH to regenerate " << kTable);
    return;
  }
  std::string command = node + " " + kScript;
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char chunk[4096];
    std::size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, pipe)) > 0)
      output.append(chunk, got);
    REQUIRE(::pclose(pipe) == 0);
  }
  std::string committed = readFile(kTable);
  // The first line names the Node version that wrote it.
  auto body = [](const std::string& text) {
    return text.substr(text.find('\n') + 1);
  };
  INFO(
      "regenerate with: node ci/buffer-methods-node.js > "
      "test/data/buffer_methods_node.tsv");
  CHECK(body(output) == body(committed));
}

TEST_CASE(
    "a protocol header written into a Buffer reads back from the "
    "message that carried it",
    "[buffer][message]") {
  // A TFTP DATA packet: opcode 3, block number, payload. Written with
  // the write methods, joined with concat, read on the receiving side
  // from the listener's Bytes.
  dgram::Loop loop;
  auto server = test::makeSocket(loop);
  auto client = test::makeSocket(loop);
  std::uint16_t opcode = 0, block = 0;
  std::string data;
  server->on(dgram::message, [&](dgram::Bytes msg, const dgram::RemoteInfo&) {
    opcode = msg.readUInt16BE(0);
    block = msg.readUInt16BE(2);
    data = std::string(msg.view().substr(4));
  });
  int port = 0;
  server->bind(0, "127.0.0.1", [&] { port = server->address().port; });
  REQUIRE(test::runUntil(loop, [&] { return port != 0; }));
  dgram::Buffer header = dgram::Buffer::alloc(4);
  CHECK(header.writeUInt16BE(3) == 2);
  CHECK(header.writeUInt16BE(513, 2) == 4);
  client->send(dgram::Buffer::concat({header, "block data"}), port,
               "127.0.0.1");
  REQUIRE(test::runUntil(loop, [&] { return opcode != 0; }));
  CHECK(opcode == 3);
  CHECK(block == 513);
  CHECK(data == "block data");
  server->close();
  client->close();
  CHECK(test::runUntilIdle(loop));
}

TEST_CASE("Buffer owns its bytes: copies are deep, moves empty the source",
          "[buffer]") {
  dgram::Buffer a = dgram::Buffer::from("abc");
  dgram::Buffer b = a;
  b[0] = 'x';
  CHECK(a.view() == "abc");
  CHECK(b.view() == "xbc");
  dgram::Buffer c = std::move(b);
  CHECK(c.view() == "xbc");
  CHECK(b.empty());  // NOLINT: moved-from is specified as empty
  c = a;
  CHECK(c == a);
  CHECK(c != b);
  dgram::Bytes view = c;  // a view of c's bytes
  CHECK(view.data() == c.data());
  CHECK(dgram::Buffer::alloc(3, 0x7f).vector() ==
        std::vector<std::uint8_t>{0x7f, 0x7f, 0x7f});
  CHECK(dgram::Buffer(2).fill(9).readUInt16LE() == 0x0909);
  std::vector<dgram::Bytes> parts{"ab", dgram::Bytes("cd"), a};
  CHECK(dgram::Buffer::concat(parts).view() == "abcdabc");
  CHECK(dgram::Buffer::concat(std::vector<std::string>{"x", "yz"}, 2).view() ==
        "xy");
}

TEST_CASE("a write out of range or past the end changes nothing", "[buffer]") {
  // What a call threw: "<code> <message>", or "" when it did not.
  auto thrown = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const dgram::Error& err) {
      return err.code() + " " + err.what();
    }
    return "";
  };
  const std::string kValue =
      "ERR_OUT_OF_RANGE The value of \"value\" is out of range. It must be ";
  dgram::Buffer buf = dgram::Buffer::from("\x01\x02\x03");
  CHECK(thrown([&] { buf.writeUInt8(256); }) ==
        kValue + ">= 0 and <= 255. Received 256");
  CHECK(thrown([&] { buf.writeInt8(-129); }) ==
        kValue + ">= -128 and <= 127. Received -129");
  CHECK(thrown([&] { buf.writeUInt16LE(1, 2); }) ==
        "ERR_OUT_OF_RANGE The value of \"offset\" is out of range. It must be "
        ">= 0 and <= 1. Received 2");
  CHECK(thrown([&] { buf.writeBigUInt64BE(1); }) ==
        "ERR_BUFFER_OUT_OF_BOUNDS Attempt to access memory outside buffer "
        "bounds");
  CHECK(buf.view() == "\x01\x02\x03");
  // Any integer type is a value; its range is the check, not its type.
  CHECK(buf.writeUInt8(static_cast<unsigned char>(200)) == 1);
  CHECK(buf.writeInt8(static_cast<long long>(-1), 1) == 2);
  CHECK(buf.readUInt8(1) == 0xff);
  CHECK(buf.readInt8(1) == -1);
  CHECK(thrown([&] { buf.writeUInt16BE(std::uint64_t{1} << 63); }) ==
        kValue + ">= 0 and <= 65535. Received 9223372036854775808");
  CHECK(thrown([&] {
          buf.writeUInt8(std::int64_t{-9223372036854775807 - 1});
        }) == kValue + ">= 0 and <= 255. Received -9223372036854775808");
  CHECK(thrown([&] { buf.writeBigInt64LE(std::uint64_t{1} << 63); }) ==
        kValue +
            ">= -9223372036854775808 and <= 9223372036854775807. Received "
            "9223372036854775808");
}
