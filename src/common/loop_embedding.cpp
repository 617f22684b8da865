// Driving a loop from another event loop (Loop::backendFd,
// pollDescriptors, backendTimeout): what the backend offers a host to
// wait on, and how long it may wait.
// Layer: public API.
#include "common/backend.hpp"
#include "common/loop_core.hpp"
#include "dgram/loop.hpp"

namespace dgram {

std::intptr_t Loop::backendFd() const noexcept {
  return core_->backend().backendFd();
}

bool Loop::pollDescriptors(std::vector<PollDescriptor>& out) const {
  out.clear();
  return core_->backend().pollDescriptors(out);
}

int Loop::backendTimeout() const {
  return core_->backendTimeout();
}

}  // namespace dgram
