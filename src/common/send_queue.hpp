// The ordered queue of sends a platform socket could not hand to the
// kernel at once, shared by src/posix and src/win32: they differ in how
// they drain it (writability vs one overlapped send at a time), not in
// what it guarantees: sends complete in call order, and a close completes
// every one still queued with ECANCELED before it returns.
//
// It lives in src/common, not src/bsd, because it makes no system call and
// names no system type: it is the platform seam's (platform_socket.hpp)
// own bookkeeping, and src/bsd is the layer that talks BSD sockets.
// Layer: common state machine.
#pragma once

#include <cstddef>
#include <deque>

#include "common/platform_socket.hpp"

namespace dgram::detail {

class SendQueue {
 public:
  explicit SendQueue(SocketEvents& events) noexcept : events_(events) {}
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;

  bool empty() const noexcept { return queue_.empty(); }
  /// Payload bytes and sends queued (Node's sendQueueSize / Count).
  std::size_t bytes() const noexcept { return bytes_; }
  std::size_t count() const noexcept { return queue_.size(); }
  /// The oldest send, the next to go out.
  SendRequest& front() const noexcept { return *queue_.front(); }

  /// Queues `request` behind the others. Its payload is copied once here:
  /// the caller may reuse its buffer as soon as send() returns.
  void push(SendRequest& request) {
    request.own();
    queue_.push_back(&request);
    bytes_ += request.size;
  }

  /// Removes the oldest send and reports it done with `error`. The report
  /// may close the socket, which finds the queue already without it.
  void complete(SysError error) {
    SendRequest* request = queue_.front();
    queue_.pop_front();
    bytes_ -= request->size;
    events_.onSendDone(request, error);
  }

  /// Completes every queued send with `error`, oldest first (ECANCELED
  /// when the socket closes).
  void failAll(SysError error) {
    while (!queue_.empty())
      complete(error);
  }

 private:
  SocketEvents& events_;
  std::deque<SendRequest*> queue_;
  std::size_t bytes_ = 0;
};

}  // namespace dgram::detail
