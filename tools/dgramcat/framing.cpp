#include "dgramcat/framing.hpp"

#include <algorithm>

namespace dgramcat {

Framer::Framer(Input mode, std::size_t blockSize, std::uint64_t limit)
    : mode_(mode), blockSize_(blockSize), limit_(limit) {}

void Framer::emit(std::string datagram, std::vector<std::string>& out) {
  if (full()) return;
  out.push_back(std::move(datagram));
  ++produced_;
}

bool Framer::feed(std::string_view bytes, std::vector<std::string>& out) {
  if (full() || !error_.empty()) return false;
  switch (mode_) {
    case Input::whole:
      if (partial_.size() + bytes.size() > kMaxDatagram) {
        error_ = "stdin holds more than one datagram can carry (" +
                 std::to_string(kMaxDatagram) +
                 " bytes): use --block N to send it in pieces";
        return false;
      }
      partial_.append(bytes);
      return true;
    case Input::block:
      while (!bytes.empty() && !full()) {
        const std::size_t take =
            std::min(bytes.size(), blockSize_ - partial_.size());
        partial_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (partial_.size() == blockSize_) {
          emit(std::move(partial_), out);
          partial_.clear();
        }
      }
      return !full();
    case Input::lines:
      while (!bytes.empty() && !full()) {
        const auto newline = bytes.find('\n');
        if (newline == std::string_view::npos) {
          partial_.append(bytes);
          break;
        }
        partial_.append(bytes.substr(0, newline));
        bytes.remove_prefix(newline + 1);
        if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
        emit(std::move(partial_), out);
        partial_.clear();
      }
      return !full();
  }
  return false;
}

void Framer::finish(std::vector<std::string>& out) {
  if (!error_.empty()) return;
  // Whole: even an empty stdin is one (empty) datagram.
  if (mode_ == Input::whole || !partial_.empty())
    emit(std::move(partial_), out);
  partial_.clear();
}

}  // namespace dgramcat
