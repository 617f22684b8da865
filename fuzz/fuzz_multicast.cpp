// Multicast interface and membership strings on a bound loopback socket:
// setMulticastInterface, add/dropMembership and add/dropSourceSpecific-
// Membership with fuzzed texts. Whether a text is an address is decided
// by the OS oracle (inet_pton + if_nametoindex); the argument checks must
// give Node's codes (reference O4-O6) and the kernel's answers must be
// plain system errors.
//
// Joining happens on lo only: an interface argument that would let the
// kernel pick another interface (empty, or an address/zone of another
// one) is replaced by lo's, so no membership report leaves the host.
#include <set>

#include "fuzz_support.hpp"

namespace {

using dgram::Family;
using dgram::Type;
using namespace std::chrono_literals;

// What the kernel may answer to a well-formed request.
const std::set<std::string> kKernelErrors = {
    "EINVAL",       "EADDRNOTAVAIL", "EADDRINUSE",  "ENODEV",
    "ENOBUFS",      "ENXIO",         "ENOPROTOOPT", "EPROTONOSUPPORT",
    "EAFNOSUPPORT", "EOPNOTSUPP",    "EPERM"};

std::uint32_t loIndex() {
  static const std::uint32_t index = ::if_nametoindex("lo");
  return index;
}

// Keeps `iface` if it names lo (or is not an address at all, which the
// library must reject); otherwise uses lo's own form.
std::string loInterface(const std::string& iface, Type type) {
  Family family = type == Type::udp4 ? Family::IPv4 : Family::IPv6;
  auto ip = fuzz::osParseIp(iface, family);
  if (!iface.empty() && !ip) return iface;  // rejected before any syscall
  if (ip && family == Family::IPv4 && ip->bytes[0] == 127) return iface;
  if (ip && family == Family::IPv6 && ip->scopeId == loIndex()) return iface;
  return type == Type::udp4 ? "127.0.0.1" : "::%lo";
}

// Text from the input, or one of a few forms worth having often.
std::string textFrom(fuzz::Input& in, Type type) {
  bool v4 = type == Type::udp4;
  switch (in.pick(6)) {
    case 0:
      return {};
    case 1:
      return v4 ? "224.0.0.114" : "ff02::114";
    case 2:
      return v4 ? "232.1.1.1" : "ff3e::8000:1";
    case 3:
      return v4 ? "127.0.0.1" : "::1";
    default:
      return in.string();
  }
}

void checkKernelOutcome(const std::optional<dgram::Error>& thrown,
                        const std::string& call) {
  if (!thrown) return;
  fuzz::check(kKernelErrors.count(thrown->code()) == 1 &&
                  thrown->syscall() == call && thrown->errnum() < 0,
              call + " threw " + thrown->code() + ": " + thrown->what());
}

void setInterface(dgram::Socket& socket, fuzz::Input& in, Type type) {
  std::string iface = textFrom(in, type);
  Family family = type == Type::udp4 ? Family::IPv4 : Family::IPv6;
  std::string text = iface;
  if (family == Family::IPv6 && !text.empty() && text[0] == '%')
    text = "::" + text;  // the "%eth1" form (O4)
  std::string expected;
  if (!fuzz::osParseIp(text, family))
    expected = family == Family::IPv6 && fuzz::osIsLiteral(text)
                   ? "EADDRNOTAVAIL"  // well-formed, but no such interface
                   : "EINVAL";
  auto thrown = fuzz::thrownBy([&] { socket.setMulticastInterface(iface); });
  if (!expected.empty())
    fuzz::expectOutcome(thrown, expected, "setMulticastInterface");
  else
    checkKernelOutcome(thrown, "setMulticastInterface");
}

void membership(dgram::Socket& socket, fuzz::Input& in, Type type) {
  Family family = type == Type::udp4 ? Family::IPv4 : Family::IPv6;
  bool join = in.flag();
  bool sourceSpecific = in.flag();
  std::string source = sourceSpecific ? textFrom(in, type) : std::string();
  std::string group = textFrom(in, type);
  std::string iface = loInterface(textFrom(in, type), type);
  std::string call = sourceSpecific
                         ? (join ? "addSourceSpecificMembership"
                                 : "dropSourceSpecificMembership")
                         : (join ? "addMembership" : "dropMembership");
  std::string expected;
  // Node only requires strings for the source-specific calls: an empty
  // source or group is not "missing" there but fails to parse (EINVAL).
  if (!sourceSpecific && group.empty())
    expected = "ERR_MISSING_ARGS";
  else if ((sourceSpecific && !fuzz::osParseIp(source, family)) ||
           !fuzz::osParseIp(group, family) ||
           (!iface.empty() && !fuzz::osParseIp(iface, family)))
    expected = "EINVAL";
  auto thrown = fuzz::thrownBy([&] {
    if (!sourceSpecific && join) socket.addMembership(group, iface);
    if (!sourceSpecific && !join) socket.dropMembership(group, iface);
    if (sourceSpecific && join)
      socket.addSourceSpecificMembership(source, group, iface);
    if (sourceSpecific && !join)
      socket.dropSourceSpecificMembership(source, group, iface);
  });
  if (!expected.empty())
    fuzz::expectOutcome(thrown, expected, call);
  else
    checkKernelOutcome(thrown, call);
}

void run(fuzz::Input& in) {
  Type type = in.flag() && fuzz::haveIPv6() ? Type::udp6 : Type::udp4;
  dgram::Loop loop;
  dgram::SocketOptions options;
  options.type = type;
  options.loop = &loop;
  options.reuseAddr = true;
  auto socket = dgram::createSocket(options);
  socket->on(dgram::error, [](const dgram::Error& e) {
    fuzz::fail(std::string("unexpected 'error': ") + e.what());
  });
  bool listening = false;
  // Membership calls name lo explicitly (loInterface): that is where the
  // groups are joined.
  socket->bind(0, fuzz::loopbackText(type), [&] { listening = true; });
  for (int i = 0; i < 100 && !listening; ++i)
    loop.runOnce(1ms);
  fuzz::check(listening, "never listening");

  for (int steps = 0; steps < 16 && !in.empty(); ++steps) {
    switch (in.pick(5)) {
      case 0:
        setInterface(*socket, in, type);
        break;
      case 1: {
        int ttl = in.flag() ? in.byte() : in.integer<std::int32_t>();
        auto thrown = fuzz::thrownBy([&] { socket->setMulticastTTL(ttl); });
        fuzz::expectOutcome(thrown, ttl < 0 || ttl > 255 ? "EINVAL" : "",
                            "setMulticastTTL");
        break;
      }
      case 2: {
        bool flag = in.flag();
        bool got = !flag;
        auto thrown =
            fuzz::thrownBy([&] { got = socket->setMulticastLoopback(flag); });
        fuzz::expectOutcome(thrown, "", "setMulticastLoopback");
        fuzz::check(got == flag, "setMulticastLoopback's result");
        break;
      }
      default:
        membership(*socket, in, type);
        break;
    }
  }
  socket->close();
  for (int i = 0; i < 100 && loop.runOnce(1ms); ++i) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  int fds = fuzz::openFdCount();
  {
    fuzz::Input in(data, size);
    run(in);
  }
  fuzz::check(fuzz::openFdCount() == fds, "file descriptor leak");
  return 0;
}
