// The receive path: datagrams of any size (0 up to 65507 bytes over IPv4,
// 65527 over IPv6) and any content, sent from one loopback socket to
// another, must reach the 'message' listener unchanged: same size, same
// bytes, rinfo naming the sender. The input decodes a few datagrams, each
// either bytes taken from the input or a large generated one, optionally
// sent as a list of parts (one datagram, their concatenation).
#include <vector>

#include "fuzz_support.hpp"

namespace {

using dgram::Type;
using namespace std::chrono_literals;

struct Received {
  std::vector<std::uint8_t> bytes;
  dgram::RemoteInfo info;
};

std::vector<std::uint8_t> payloadFrom(fuzz::Input& in, Type type) {
  std::size_t max = type == Type::udp4 ? 65507 : 65527;
  std::vector<std::uint8_t> out;
  switch (in.pick(4)) {
    case 0:
      break;  // empty (S6)
    case 1: {
      // A size at or near the largest datagram.
      std::size_t size = max - in.byte() % 8;
      out.resize(size);
      std::uint8_t seed = in.byte();
      for (std::size_t i = 0; i < size; ++i)
        out[i] = static_cast<std::uint8_t>((i >> 8) ^ i ^ seed);
      break;
    }
    case 2: {
      std::size_t size = in.integer<std::uint16_t>() % (max + 1);
      out.resize(size);
      std::uint32_t x = in.integer<std::uint32_t>() | 1;
      for (auto& b : out) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;  // xorshift
        b = static_cast<std::uint8_t>(x);
      }
      break;
    }
    default: {
      std::string bytes = in.string();
      out.assign(bytes.begin(), bytes.end());
    }
  }
  return out;
}

void run(fuzz::Input& in) {
  Type type = in.flag() && fuzz::haveIPv6() ? Type::udp6 : Type::udp4;
  const char* loopback = fuzz::loopbackText(type);
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.type = type;
  options.loop = &loop;
  options.recvBufferSize = 1 << 18;  // room for the largest datagram
  std::vector<Received> received;
  auto receiver = dgram::createSocket(
      options, [&](dgram::Bytes msg, const dgram::RemoteInfo& info) {
        received.push_back({msg.vector(), info});
      });
  auto sender = dgram::createSocket(options);
  for (auto& s : {receiver, sender})
    s->on(dgram::error, [](const dgram::Error& e) {
      fuzz::fail(std::string("'error': ") + e.what());
    });
  int listening = 0;
  receiver->bind(0, loopback, [&] { ++listening; });
  sender->bind(0, loopback, [&] { ++listening; });
  for (int i = 0; i < 100 && listening < 2; ++i)
    loop.runOnce(1ms);
  fuzz::check(listening == 2, "sockets never listening");
  int port = receiver->address().port;
  int senderPort = sender->address().port;
  bool connected = in.flag();
  if (connected) {
    sender->connect(port, loopback);
    for (int i = 0; i < 100; ++i) {
      loop.runOnce(1ms);
      if (fuzz::thrownBy([&] { sender->remoteAddress(); }) == std::nullopt)
        break;
    }
  }

  for (int n = 0; n < 4 && !in.empty(); ++n) {
    std::vector<std::uint8_t> payload = payloadFrom(in, type);
    std::vector<std::uint8_t> copy = payload;
    std::size_t cut =
        payload.empty() ? 0 : in.integer<std::uint16_t>() % payload.size();
    std::vector<dgram::Bytes> parts = {
        dgram::Bytes(payload.data(), cut),
        dgram::Bytes(payload.data() + cut, payload.size() - cut)};
    bool asList = in.flag();
    bool sent = false;
    auto cb = [&](const std::optional<dgram::Error>& err, std::size_t bytes) {
      fuzz::check(!err,
                  std::string("send failed: ") + (err ? err->what() : ""));
      fuzz::check(bytes == copy.size(), "send reported the wrong size");
      sent = true;
    };
    bool isConnected = connected && fuzz::thrownBy([&] {
                                      sender->remoteAddress();
                                    }) == std::nullopt;
    if (isConnected && asList)
      sender->send(parts, cb);
    else if (isConnected)
      sender->send(dgram::Bytes(payload), cb);
    else if (asList)
      sender->send(parts, port, loopback, cb);
    else
      sender->send(dgram::Bytes(payload), port, loopback, cb);
    // The caller's buffer is free once send returns.
    std::fill(payload.begin(), payload.end(), 0xee);

    // One datagram at a time, so the receive buffer never overflows.
    std::size_t before = received.size();
    for (int i = 0; i < 2000 && (received.size() == before || !sent); ++i)
      loop.runOnce(1ms);
    fuzz::check(sent && received.size() == before + 1, "datagram not received");
    const Received& got = received.back();
    fuzz::check(got.info.size == copy.size() && got.bytes.size() == copy.size(),
                "size changed: sent " + std::to_string(copy.size()) + ", got " +
                    std::to_string(got.bytes.size()));
    fuzz::check(got.bytes == copy, "content changed");
    fuzz::check(got.info.port == senderPort && got.info.address == loopback,
                "rinfo names another sender");
    fuzz::check(got.info.family == (type == Type::udp4 ? dgram::Family::IPv4
                                                       : dgram::Family::IPv6),
                "rinfo family");
  }
  receiver->close();
  sender->close();
  for (int i = 0; i < 100 && loop.runOnce(1ms); ++i) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::Input in(data, size);
  run(in);
  return 0;
}
