// What every resolver shares: ids, cancellation, deferred delivery, the
// "localhost" shortcut and option checks.
// Layer: common state machine.
#include "common/resolver.hpp"

#include <string>
#include <utility>

#include "common/loop_core.hpp"
#include "common/sys_error.hpp"

namespace dgram::detail {

bool isLocalhost(std::string_view name) noexcept {
  constexpr std::string_view expected = "localhost";
  if (name.size() != expected.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != expected[i]) return false;
  }
  return true;
}

bool isHostText(std::string_view host) noexcept {
  if (host.empty()) return false;
  for (char c : host) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
  }
  return true;
}

LookupId Resolver::resolve(LookupRequest request, ResolveCallback done) {
  LookupId id = nextId_++;
  pending_.emplace(id, std::move(done));
  loop_.addRequest();
  if (!isHostText(request.query)) {
    // Never handed to c-ares, which stops at a NUL (readHost refuses
    // such text before; this keeps the resolver safe on its own).
    finish(id, lookupError("ENOTFOUND", request.hostname), IpAddress{});
  } else if (isLocalhost(request.query)) {
    finish(id, std::nullopt, loopbackAddress(request.family));
  } else {
    start(id, request);
  }
  return id;
}

void Resolver::cancel(LookupId id) {
  if (pending_.erase(id) > 0) loop_.removeRequest();
}

void Resolver::finish(LookupId id, std::optional<Error> error,
                      IpAddress address) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // cancelled
  ResolveCallback done = std::move(it->second);
  pending_.erase(it);
  loop_.removeRequest();
  // The deferred call keeps the loop alive until it has run.
  loop_.defer([done = std::move(done), error = std::move(error), address] {
    done(error, address);
  });
}

Error lookupError(const char* code, std::string_view hostname,
                  std::string_view detail) {
  std::string message =
      "getaddrinfo " + std::string(code) + " " + std::string(hostname);
  if (!detail.empty()) message += " (" + std::string(detail) + ")";
  // Node reports libuv's numbers for the getaddrinfo codes (from the error
  // list) and none for c-ares' own codes (ETIMEOUT).
  Errc known = errcFromName(code);
  int errnum = known == Errc::none ? 0 : sysError(known).errnum;
  return Error::lookup(errnum, code, std::string(hostname), message);
}

namespace {

Error invalidServer(const std::string& server) {
  return Error("ERR_INVALID_IP_ADDRESS", "Invalid IP address: " + server);
}

// "a.b.c.d", "a.b.c.d:port", "v6", "[v6]", "[v6]:port" -> "addr:port".
std::string normaliseServer(const std::string& server) {
  std::string_view text(server);
  std::string_view host = text;
  int port = 53;
  auto parsePort = [&](std::string_view digits) {
    if (digits.empty() || digits.size() > 5) throw invalidServer(server);
    int value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') throw invalidServer(server);
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) throw invalidServer(server);
    port = value;
  };
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) throw invalidServer(server);
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw invalidServer(server);
      parsePort(rest.substr(1));
    }
  } else if (text.find(':') != std::string_view::npos &&
             text.find(':') == text.rfind(':')) {
    // Exactly one colon: IPv4 with a port (IPv6 needs brackets for one).
    host = text.substr(0, text.find(':'));
    parsePort(text.substr(text.find(':') + 1));
  }
  auto ip = parseAnyIp(host, nullptr);
  if (!ip || ip->scopeId != 0) throw invalidServer(server);
  std::string out = ip->family == Family::IPv6 ? "[" + std::string(host) + "]"
                                               : std::string(host);
  return out + ":" + std::to_string(port);
}

}  // namespace

ResolverOptions validateResolverOptions(const ResolverOptions& options) {
  if (options.timeout.count() < 0)
    throw Error("ERR_OUT_OF_RANGE",
                "The value of \"timeout\" is out of range. It must be >= 0. "
                "Received " +
                    std::to_string(options.timeout.count()));
  if (options.tries < 0)
    throw Error("ERR_OUT_OF_RANGE",
                "The value of \"tries\" is out of range. It must be >= 0. "
                "Received " +
                    std::to_string(options.tries));
  ResolverOptions checked = options;
  for (std::string& server : checked.servers)
    server = normaliseServer(server);
  return checked;
}

}  // namespace dgram::detail
