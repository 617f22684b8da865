// The POSIX backends compiled into this build, and the Poller basics they
// share.
// Layer: platform (readiness backends).
#include <memory>

#include "posix/poller.hpp"

namespace dgram::detail {

std::unique_ptr<Poller> createEpollPoller();
std::unique_ptr<Poller> createKqueuePoller();
std::unique_ptr<Poller> createPollPoller();

std::vector<std::string_view> platformBackends() {
  std::vector<std::string_view> names;
#ifdef DGRAM_HAVE_EPOLL
  names.push_back("epoll");
#endif  // DGRAM_HAVE_EPOLL
#ifdef DGRAM_HAVE_KQUEUE
  names.push_back("kqueue");
#endif  // DGRAM_HAVE_KQUEUE
  names.push_back("poll");
  return names;
}

std::unique_ptr<Backend> createPlatformBackend(std::string_view name) {
#ifdef DGRAM_HAVE_EPOLL
  if (name == "epoll") return createEpollPoller();
#endif  // DGRAM_HAVE_EPOLL
#ifdef DGRAM_HAVE_KQUEUE
  if (name == "kqueue") return createKqueuePoller();
#endif  // DGRAM_HAVE_KQUEUE
  if (name == "poll") return createPollPoller();
  return nullptr;
}

void Poller::setWatcher(int fd, Watcher* watcher) {
  if (static_cast<std::size_t>(fd) >= watchers_.size()) {
    if (watcher == nullptr) return;
    watchers_.resize(static_cast<std::size_t>(fd) + 1, nullptr);
  }
  watchers_[fd] = watcher;
}

bool Poller::claim(int fd) {
  auto index = static_cast<std::size_t>(fd);
  if (index >= claimed_.size()) claimed_.resize(index + 1, false);
  if (claimed_[index]) return false;
  claimed_[index] = true;
  return true;
}

void Poller::release(int fd) {
  auto index = static_cast<std::size_t>(fd);
  if (index < claimed_.size()) claimed_[index] = false;
}

}  // namespace dgram::detail
