// The resolver of a build without c-ares: "localhost" (handled by the
// Resolver base) and numeric addresses work; any other name fails with
// ENOTSUP and says how to get real name lookup.
// Layer: common state machine.
#include "common/resolver.hpp"

namespace dgram::detail {
namespace {

class BuiltinResolver final : public Resolver {
 public:
  using Resolver::Resolver;

  void configure(const ResolverOptions&) override {}

 protected:
  void start(LookupId id, const LookupRequest& request) override {
    finish(id,
           lookupError("ENOTSUP", request.hostname,
                       "dgram was built without c-ares; configure with "
                       "-DDGRAM_WITH_CARES=ON for name lookup"),
           IpAddress{});
  }
};

}  // namespace

std::unique_ptr<Resolver> createDefaultResolver(LoopCore& loop) {
  return std::make_unique<BuiltinResolver>(loop);
}

}  // namespace dgram::detail
