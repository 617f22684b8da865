// The ordered queue of sends a platform socket has not handed to the
// kernel yet, shared by src/posix and src/win32: they differ in how they
// drain it (batches at the end of a loop turn or at writability, vs one
// overlapped send at a time), not in what it guarantees: sends complete in
// call order, and a close completes every one still queued with ECANCELED
// before it returns.
//
// It is an intrusive list (through SendRequest::next), so queueing never
// allocates, and an empty queue costs four words.
//
// It lives in src/common, not src/bsd, because it makes no system call and
// names no system type: it is the platform seam's (platform_socket.hpp)
// own bookkeeping, and src/bsd is the layer that talks BSD sockets.
// Layer: common state machine.
#pragma once

#include <cstddef>

#include "common/platform_socket.hpp"

namespace dgram::detail {

class SendQueue {
 public:
  SendQueue() noexcept = default;
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;

  bool empty() const noexcept { return head_ == nullptr; }
  /// Payload bytes and sends queued (Node's sendQueueSize / Count).
  std::size_t bytes() const noexcept { return bytes_; }
  std::size_t count() const noexcept { return count_; }
  /// The oldest send, the next to go out; the ones after it follow
  /// `next` (nullptr after the newest).
  SendRequest& front() const noexcept { return *head_; }

  /// Queues `request` behind the others. Its payload is copied once here:
  /// the caller may reuse its buffer as soon as send() returns.
  void push(SendRequest& request) {
    request.own();
    request.next = nullptr;
    if (tail_)
      tail_->next = &request;
    else
      head_ = &request;
    tail_ = &request;
    ++count_;
    bytes_ += request.size;
  }

  /// Removes the oldest send and reports it to `events` as done with
  /// `error`. The report may close the socket, which finds the queue
  /// already without it.
  void complete(SocketEvents& events, SysError error) {
    SendRequest* request = head_;
    head_ = request->next;
    if (!head_) tail_ = nullptr;
    request->next = nullptr;
    --count_;
    bytes_ -= request->size;
    events.onSendDone(request, error);
  }

  /// Removes the `taken` oldest sends, which the kernel took, and reports
  /// them to `events` as sent, in one call for the whole run (a sendmmsg
  /// batch), oldest first through `next`.
  void completeSent(SocketEvents& events, std::size_t taken) {
    SendRequest* first = head_;
    SendRequest* last = first;
    std::size_t bytes = last->size;
    for (std::size_t i = 1; i < taken; ++i) {
      last = last->next;
      bytes += last->size;
    }
    head_ = last->next;
    if (!head_) tail_ = nullptr;
    last->next = nullptr;
    count_ -= taken;
    bytes_ -= bytes;
    events.onSent(first, last);
  }

  /// Completes every queued send with `error`, oldest first (ECANCELED
  /// when the socket closes).
  void failAll(SocketEvents& events, SysError error) {
    while (!empty())
      complete(events, error);
  }

 private:
  SendRequest* head_ = nullptr;
  SendRequest* tail_ = nullptr;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace dgram::detail
