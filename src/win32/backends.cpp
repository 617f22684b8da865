// The Windows backends compiled into this build: IOCP only.
// Layer: platform (IOCP).
#include <memory>

#include "common/backend.hpp"

namespace dgram::detail {

std::unique_ptr<Backend> createIocpBackend();

std::vector<std::string_view> platformBackends() {
  return {"iocp"};
}

std::unique_ptr<Backend> createPlatformBackend(std::string_view name) {
  if (name == "iocp") return createIocpBackend();
  return nullptr;
}

}  // namespace dgram::detail
