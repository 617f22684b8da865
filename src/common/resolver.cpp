// What every resolver shares: ids, cancellation, deferred delivery, the
// "localhost" shortcut and option checks.
// Layer: common state machine.
#include "common/resolver.hpp"

#include <string>
#include <utility>

#include "common/loop_core.hpp"
#include "common/raise.hpp"
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

// "a.b.c.d", "a.b.c.d:port", "v6", "[v6]", "[v6]:port" -> "addr:port";
// nullopt when it is none of these.
std::optional<std::string> normaliseServer(const std::string& server) {
  std::string_view text(server);
  std::string_view host = text;
  int port = 53;
  auto parsePort = [&](std::string_view digits) {
    if (digits.empty() || digits.size() > 5) return false;
    int value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return false;
    port = value;
    return true;
  };
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || !parsePort(rest.substr(1)))
        return std::nullopt;
    }
  } else if (text.find(':') != std::string_view::npos &&
             text.find(':') == text.rfind(':')) {
    // Exactly one colon: IPv4 with a port (IPv6 needs brackets for one).
    host = text.substr(0, text.find(':'));
    if (!parsePort(text.substr(text.find(':') + 1))) return std::nullopt;
  }
  auto ip = parseAnyIp(host, nullptr);
  if (!ip || ip->scopeId != 0) return std::nullopt;
  std::string out = ip->family == Family::IPv6 ? "[" + std::string(host) + "]"
                                               : std::string(host);
  return out + ":" + std::to_string(port);
}

}  // namespace

std::optional<ResolverOptions> validateResolverOptions(
    const ResolverOptions& options, ErrorSink sink) {
  if (options.timeout.count() < 0) {
    fail(sink,
         Error("ERR_OUT_OF_RANGE",
               "The value of \"timeout\" is out of range. It must be >= 0. "
               "Received " +
                   std::to_string(options.timeout.count())));
    return std::nullopt;
  }
  if (options.tries < 0) {
    fail(sink, Error("ERR_OUT_OF_RANGE",
                     "The value of \"tries\" is out of range. It must be >= "
                     "0. Received " +
                         std::to_string(options.tries)));
    return std::nullopt;
  }
  ResolverOptions checked = options;
  for (std::string& server : checked.servers) {
    std::optional<std::string> normalised = normaliseServer(server);
    if (!normalised) {
      fail(sink, invalidServer(server));
      return std::nullopt;
    }
    server = std::move(*normalised);
  }
  return checked;
}

}  // namespace dgram::detail
