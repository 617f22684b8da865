// The built-in resolver without c-ares: "localhost" resolves to the
// loopback address as the hosts file says on every system; any other name
// fails with ENOTSUP, saying how to get real name lookup.
#include "common/resolver.hpp"

#include <string>

#include "common/loop_core.hpp"
#include "common/sys_error.hpp"

namespace dgram::detail {
namespace {

bool isLocalhost(std::string_view name) {
  if (name.size() && name.back() == '.') name.remove_suffix(1);
  if (name.size() != 9) return false;
  const char* expected = "localhost";
  for (std::size_t i = 0; i < 9; ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != expected[i]) return false;
  }
  return true;
}

class BuiltinResolver final : public Resolver {
 public:
  explicit BuiltinResolver(LoopCore& loop) : loop_(loop) {}

  void resolve(std::string_view hostname, Family family,
               ResolveCallback done) override {
    std::optional<Error> error;
    IpAddress address = loopbackAddress(family);
    if (!isLocalhost(hostname)) {
      error = lookupError("ENOTSUP", hostname,
                          "this build of dgram resolves only numeric "
                          "addresses and localhost; build with "
                          "DGRAM_WITH_CARES=ON for name lookup");
    }
    loop_.addRequest();
    loop_.defer([this, done = std::move(done), error, address]() {
      loop_.removeRequest();
      done(error, address);
    });
  }

 private:
  LoopCore& loop_;
};

}  // namespace

std::unique_ptr<Resolver> createDefaultResolver(LoopCore& loop) {
  return std::make_unique<BuiltinResolver>(loop);
}

Error lookupError(const char* code, std::string_view hostname,
                  std::string_view detail) {
  std::string message = "getaddrinfo " + std::string(code) + " " +
                        std::string(hostname);
  if (!detail.empty()) message += " (" + std::string(detail) + ")";
  SysError err = sysErrorFromName(code);
  return Error::system(err.errnum, code, "getaddrinfo", {}, 0, message);
}

}  // namespace dgram::detail
