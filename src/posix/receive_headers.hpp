// The message headers recvmmsg reads a batch of datagrams through, kept
// by the loop's poller from one call to the next: building 64 headers
// costs more than the call's own work when it returns one datagram (a
// ping-pong), so they are built once, and after each call only what the
// kernel wrote into them (the address and control lengths of the
// messages it filled) is set back.
// Layer: platform (readiness backends).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bsd/sockaddr.hpp"
#include "common/platform_socket.hpp"
#include "posix/udp_metadata.hpp"
#include "posix/udp_offload.hpp"

namespace dgram::detail {

/// Datagrams read per recvmmsg call, and the arena slot each lands in: the
/// largest UDP payload plus one byte, so truncation is detectable. The
/// arena's 64 slots of 64 KiB are address space: only the pages datagrams
/// land in are ever touched.
constexpr std::size_t kReceiveBatch = 64;
static_assert(kReceiveBatch >= 2, "ReceiveHeaders::prepare sets two back");
constexpr unsigned kReceiveSlotShift = kRunSlotShift;  // DatagramRun's slots
constexpr std::size_t kReceiveSlot = std::size_t{1} << kReceiveSlotShift;
/// Control message room per datagram: a GRO segment size, where it
/// arrived and its TOS byte.
constexpr std::size_t kReceiveControlSpace =
    offload::kControlSpace + metadata::kReceiveSpace;

/// A sender's key (Arrival::senderKey) as a plain datagram's address
/// `name` gives it: for IPv4, the first 8 bytes of its sockaddr_in (the
/// family, the port and the address), which no sender of another family
/// matches. (IPv6 senders get none: their address is longer.)
inline std::uint64_t senderKey(const void* name) noexcept {
  static_assert(sizeof(sockaddr_in) >= 8 &&
                    offsetof(sockaddr_in, sin_addr) + sizeof(in_addr) <= 8,
                "family, port and address fit in a key");
  std::uint64_t key;
  std::memcpy(&key, name, sizeof key);
  return key;
}

#ifdef DGRAM_HAVE_RECVMMSG
class ReceiveHeaders {
 public:
  /// Headers for a recvmmsg of kReceiveBatch datagrams into `arena`
  /// (kReceiveBatch slots of kReceiveSlot bytes), with room for control
  /// messages or without (the kernel then has nowhere to put any), for a
  /// socket of `family`.
  mmsghdr* prepare(std::uint8_t* arena, bool withControl,
                   Family family) noexcept {
    if (arena != arena_ || withControl != withControl_) {
      build(arena, withControl);
      namesOf_ = family;
    } else if (withControl) {
      for (int i = 0; i < dirty_; ++i)
        reset(static_cast<std::size_t>(i));
      dirty_ = 0;
      namesOf_ = family;
    } else if (family != namesOf_) {
      // No control room: its length stays 0, only the address's is set
      // back (the usual socket). The kernel leaves the address length of
      // each message it fills at its socket's family's size, which a
      // socket of that family needs no more than (so the usual socket,
      // the only family on its loop, sets none back): one of the other
      // family sets back every message read into since the last time.
      // (Unrolled: under a flood of both families this runs per read.)
#pragma GCC unroll 4
      for (int i = 0; i < dirty_; ++i)
        messages_[i].msg_hdr.msg_namelen = sizeof from_[i];
      dirty_ = 0;
      namesOf_ = family;
    }
    return messages_;
  }

  /// What a plain datagram (a socket without control messages) says
  /// besides its bytes: its sender (`name`, as the kernel wrote it) and
  /// whether it was cut. Null for a sender of another family than IPv4
  /// and IPv6. Valid until the next call. One Arrival is kept here and
  /// only these two are written into it: the rest (metadata, never asked
  /// for) keeps its defaults, so a datagram's description is not built
  /// from zero each time.
  const Arrival* describePlain(const void* name, bool truncated) noexcept {
    if (!fromSockaddr(name, plain_.from)) return nullptr;
    plain_.truncated = truncated;
    plain_.senderKey = truncated || plain_.from.ip.family != Family::IPv4
                           ? 0
                           : senderKey(name);
    return &plain_;
  }

  /// The first `count` datagrams of the batch `prepare` made headers for,
  /// as SocketEvents::onDatagramsFromLast reads them: in the arena's slots,
  /// their sizes and senders in these headers.
  /// (Kept built, with the arena: only the count changes per batch.)
  const DatagramRun& run(int count) noexcept {
    run_.count = count;
    return run_;
  }

  /// The last recvmmsg filled `count` messages (or failed: -1). The kernel
  /// writes nothing into a message it did not fill; one more is set back
  /// all the same, in case a failing one was touched. (Those of reads
  /// before it that prepare did not set back yet stay counted.)
  void used(int count) noexcept {
    constexpr int kAll = static_cast<int>(kReceiveBatch);
    const int touched = count >= kAll ? kAll : count < 0 ? 1 : count + 1;
    if (touched > dirty_) dirty_ = touched;
  }

 private:
  void build(std::uint8_t* arena, bool withControl) noexcept {
    arena_ = arena;
    dirty_ = 0;
    withControl_ = withControl;
    run_ = DatagramRun{
        arena, reinterpret_cast<const std::uint8_t*>(&messages_[0].msg_len),
        static_cast<std::ptrdiff_t>(
            reinterpret_cast<std::uintptr_t>(&from_[0]) -
            reinterpret_cast<std::uintptr_t>(&messages_[0].msg_len)),
        sizeof messages_[0], 0};
    for (std::size_t i = 0; i < kReceiveBatch; ++i) {
      iov_[i] = iovec{arena + i * kReceiveSlot, kReceiveSlot};
      messages_[i] = mmsghdr{};
      messages_[i].msg_hdr.msg_name = &from_[i];
      messages_[i].msg_hdr.msg_iov = &iov_[i];
      messages_[i].msg_hdr.msg_iovlen = 1;
      if (withControl) messages_[i].msg_hdr.msg_control = control_[i];
      reset(i);
    }
  }

  void reset(std::size_t i) noexcept {
    msghdr& header = messages_[i].msg_hdr;
    header.msg_namelen = sizeof from_[i];
    header.msg_controllen = withControl_ ? sizeof control_[i] : 0;
  }

  /// A sender's address, in room as long as a message header: the run's
  /// sizes (in the headers) and keys (here) then share one stride
  /// (DatagramRun::stride). A datagram socket's senders are IPv4 or IPv6.
  union Name {
    sockaddr_in v4;
    sockaddr_in6 v6;
    unsigned char room[sizeof(mmsghdr)];
  };
  static_assert(sizeof(Name) == sizeof(mmsghdr),
                "sizes and keys share one stride");

  mmsghdr messages_[kReceiveBatch];
  iovec iov_[kReceiveBatch];
  Name from_[kReceiveBatch];
  alignas(cmsghdr) unsigned char control_[kReceiveBatch][kReceiveControlSpace];
  Arrival plain_;                  ///< see describePlain
  DatagramRun run_{};              ///< see run
  std::uint8_t* arena_ = nullptr;  ///< not built yet while null
  int dirty_ = 0;                  ///< messages to set back before a call
  Family namesOf_ = Family::IPv4;  ///< the family their address lengths fit
  bool withControl_ = false;
};
#endif  // DGRAM_HAVE_RECVMMSG

}  // namespace dgram::detail
