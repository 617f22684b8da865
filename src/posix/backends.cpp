// The POSIX backends compiled into this build (DGRAM_BACKENDS chooses them
// at configure time), and the Poller basics they share.
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
#ifdef DGRAM_HAVE_POLL
  names.push_back("poll");
#endif  // DGRAM_HAVE_POLL
  return names;
}

std::unique_ptr<Backend> createPlatformBackend(std::string_view name) {
#ifdef DGRAM_HAVE_EPOLL
  if (name == "epoll") return createEpollPoller();
#endif  // DGRAM_HAVE_EPOLL
#ifdef DGRAM_HAVE_KQUEUE
  if (name == "kqueue") return createKqueuePoller();
#endif  // DGRAM_HAVE_KQUEUE
#ifdef DGRAM_HAVE_POLL
  if (name == "poll") return createPollPoller();
#endif  // DGRAM_HAVE_POLL
  return nullptr;
}

// The tables indexed by descriptor grow to twice their size (see
// posix/descriptor_table.hpp).
void Poller::growWatchers(std::size_t index, Watcher* watcher) {
  watchers_.growFor(index);
  watchers_[index] = watcher;
}

void Poller::growClaimed(std::size_t index) {
  claimed_.growFor(index);
}

}  // namespace dgram::detail
