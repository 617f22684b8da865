// Name resolution behind one interface: the built-in resolver answers
// "localhost" (and, with c-ares, every name); a socket's custom `lookup`
// option replaces it. Numeric addresses never reach a resolver.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "common/ip_address.hpp"
#include "dgram/error.hpp"

namespace dgram::detail {

class LoopCore;

/// The answer of a lookup: an error, or an address.
using ResolveCallback =
    std::function<void(const std::optional<Error>& error, const IpAddress&)>;

class Resolver {
 public:
  virtual ~Resolver() = default;
  /// Looks up `hostname` for `family`. `done` runs on a later turn of the
  /// loop, exactly once. The lookup counts as a ref'd request meanwhile.
  virtual void resolve(std::string_view hostname, Family family,
                       ResolveCallback done) = 0;
};

/// The resolver a loop uses by default.
std::unique_ptr<Resolver> createDefaultResolver(LoopCore& loop);

/// Node's lookup error: "getaddrinfo <code> <hostname>".
Error lookupError(const char* code, std::string_view hostname,
                  std::string_view detail = {});

}  // namespace dgram::detail
