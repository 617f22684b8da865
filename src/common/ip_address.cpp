// Platform-free IP address parsing and formatting. The accepted syntax and
// the produced text are those of glibc's inet_pton / inet_ntop (checked by
// the differential tests in test/address_parse_format.cpp); zones are
// resolved through callbacks so that no OS header is needed here.
// Layer: common state machine.

#include "common/ip_address.hpp"

#include <cstring>

namespace dgram::detail {
namespace {

constexpr int kIPv6Words = 8;

bool isDecimalDigit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Value of a hex digit in either case, or -1.
int hexDigitValue(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One IPv6 group: 1..4 hex digits (leading zeros allowed, as in glibc).
bool parseHexGroup(std::string_view token, std::uint16_t& out) noexcept {
  if (token.empty() || token.size() > 4) return false;
  unsigned value = 0;
  for (char c : token) {
    int digit = hexDigitValue(c);
    if (digit < 0) return false;
    value = (value << 4) | static_cast<unsigned>(digit);
  }
  out = static_cast<std::uint16_t>(value);
  return true;
}

// The 16-bit groups found on one side of an IPv6 "::".
struct GroupList {
  std::uint16_t words[kIPv6Words] = {};
  int count = 0;
};

// Appends one group; false when the address would exceed eight groups.
bool pushWord(GroupList& list, std::uint16_t word) noexcept {
  if (list.count >= kIPv6Words) return false;
  list.words[list.count++] = word;
  return true;
}

// The last token of an IPv6 text may be a dotted quad worth two groups.
bool pushDottedQuad(GroupList& list, std::string_view token) noexcept {
  std::uint8_t quad[4];
  if (!parseIPv4(token, quad)) return false;
  return pushWord(list, static_cast<std::uint16_t>((quad[0] << 8) | quad[1])) &&
         pushWord(list, static_cast<std::uint16_t>((quad[2] << 8) | quad[3]));
}

// Parses "h:h:...:h" (empty text = no groups). Every token must be a hex
// group, except that the last one may be a dotted quad when `quadAllowed`
// (only the very end of the whole address may hold one).
bool parseGroupList(std::string_view text, bool quadAllowed,
                    GroupList& out) noexcept {
  if (text.empty()) return true;
  for (;;) {
    std::size_t colon = text.find(':');
    std::string_view token = text.substr(0, colon);
    if (colon == std::string_view::npos) {
      if (quadAllowed && token.find('.') != std::string_view::npos) {
        return pushDottedQuad(out, token);
      }
      std::uint16_t word = 0;
      return parseHexGroup(token, word) && pushWord(out, word);
    }
    std::uint16_t word = 0;
    if (!parseHexGroup(token, word) || !pushWord(out, word)) return false;
    text.remove_prefix(colon + 1);
    // A trailing single ':' leaves an empty token, which is invalid.
    if (text.empty()) return false;
  }
}

// Stores eight groups as 16 network-order bytes.
void wordsToBytes(const std::uint16_t (&words)[kIPv6Words],
                  std::uint8_t out[16]) noexcept {
  for (int i = 0; i < kIPv6Words; ++i) {
    out[2 * i] = static_cast<std::uint8_t>(words[i] >> 8);
    out[2 * i + 1] = static_cast<std::uint8_t>(words[i] & 0xff);
  }
}

// A zone of decimal digits is an interface index; it must fit in 32 bits.
bool parseZoneIndex(std::string_view zone, std::uint32_t& out) noexcept {
  std::uint64_t value = 0;
  for (char c : zone) {
    if (!isDecimalDigit(c)) return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > UINT32_MAX) return false;
  }
  out = static_cast<std::uint32_t>(value);
  return true;
}

bool isAllDecimal(std::string_view text) noexcept {
  for (char c : text) {
    if (!isDecimalDigit(c)) return false;
  }
  return true;
}

// Resolves the text after '%': an index if numeric, else a name through
// the platform callback. Empty, unknown (0) and unresolvable zones fail.
bool resolveZone(std::string_view zone, ZoneToIndex zoneToIndex,
                 std::uint32_t& out) noexcept {
  if (zone.empty()) return false;
  if (isAllDecimal(zone)) return parseZoneIndex(zone, out);
  if (zoneToIndex == nullptr) return false;
  out = zoneToIndex(zone);
  return out != 0;
}

// isIpLiteral checks syntax only: any non-numeric zone name is acceptable.
std::uint32_t acceptAnyZone(std::string_view /*zone*/) noexcept {
  return 1;
}

// Appends text to a fixed buffer whose size the caller has checked.
class TextWriter {
 public:
  explicit TextWriter(char* out) noexcept : out_(out) {}

  void put(char c) noexcept { out_[size_++] = c; }
  void putHex(std::uint16_t value) noexcept;
  void putDecimal(std::uint32_t value) noexcept;
  void putIPv4(const std::uint8_t* quad) noexcept;
  char* cursor() const noexcept { return out_ + size_; }
  void advance(std::size_t n) noexcept { size_ += n; }
  std::size_t size() const noexcept { return size_; }

 private:
  char* out_;
  std::size_t size_ = 0;
};

// Lower-case hex without leading zeros, like printf("%x").
void TextWriter::putHex(std::uint16_t value) noexcept {
  static constexpr char kHex[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    unsigned digit = (value >> shift) & 0xfu;
    if (digit != 0 || started || shift == 0) {
      put(kHex[digit]);
      started = true;
    }
  }
}

void TextWriter::putDecimal(std::uint32_t value) noexcept {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0)
    put(digits[--n]);
}

void TextWriter::putIPv4(const std::uint8_t* quad) noexcept {
  for (int i = 0; i < 4; ++i) {
    if (i != 0) put('.');
    putDecimal(quad[i]);
  }
}

// The run of zero groups that inet_ntop replaces with "::".
struct ZeroRun {
  int start = -1;  ///< -1 = none
  int length = 0;
};

// Longest run of at least two zero groups; the first one wins a tie.
ZeroRun longestZeroRun(const std::uint16_t (&words)[kIPv6Words]) noexcept {
  ZeroRun best;
  int i = 0;
  while (i < kIPv6Words) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int start = i;
    while (i < kIPv6Words && words[i] == 0)
      ++i;
    if (i - start > best.length) best = {start, i - start};
  }
  if (best.length < 2) return {};
  return best;
}

// glibc prints the last 32 bits as a dotted quad for IPv4-compatible
// (::a.b.c.d, groups 0-5 zero and group 6 not) and IPv4-mapped
// (::ffff:a.b.c.d) addresses. Note ::1 and ::ffff stay hex (run of 7).
bool hasEmbeddedIPv4(const std::uint16_t (&words)[kIPv6Words],
                     ZeroRun run) noexcept {
  if (run.start != 0) return false;
  return run.length == 6 || (run.length == 5 && words[5] == 0xffff);
}

void writeIPv6(const std::uint8_t* bytes, TextWriter& w) noexcept {
  std::uint16_t words[kIPv6Words];
  for (int i = 0; i < kIPv6Words; ++i) {
    words[i] =
        static_cast<std::uint16_t>((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  }
  ZeroRun run = longestZeroRun(words);
  bool embedded = hasEmbeddedIPv4(words, run);
  int hexEnd = embedded ? 6 : kIPv6Words;
  for (int i = 0; i < hexEnd; ++i) {
    if (run.start >= 0 && i >= run.start && i < run.start + run.length) {
      // The whole run becomes one ':' plus the separator of its neighbour.
      if (i == run.start) w.put(':');
      continue;
    }
    if (i != 0) w.put(':');
    w.putHex(words[i]);
  }
  if (embedded) {
    w.put(':');
    w.putIPv4(bytes + 12);
  } else if (run.start >= 0 && run.start + run.length == kIPv6Words) {
    // A run at the end still needs its closing ':' ("1::").
    w.put(':');
  }
}

// Writes "%zone": the callback's name if it has one, else the index.
void writeZone(std::uint32_t scopeId, IndexToZone indexToZone,
               TextWriter& w) noexcept {
  w.put('%');
  // Room left for the zone, keeping one byte for the terminating NUL.
  std::size_t room = kMaxIpText - 1 - w.size();
  std::size_t n = 0;
  if (indexToZone != nullptr) n = indexToZone(scopeId, w.cursor(), room);
  if (n > room) n = room;
  if (n != 0) {
    w.advance(n);
  } else {
    w.putDecimal(scopeId);
  }
}

}  // namespace

IpAddress anyAddress(Family family) noexcept {
  IpAddress ip;
  ip.family = family;
  return ip;
}

IpAddress loopbackAddress(Family family) noexcept {
  IpAddress ip;
  ip.family = family;
  if (family == Family::IPv4) {
    ip.bytes[0] = 127;
    ip.bytes[3] = 1;
  } else {
    ip.bytes[15] = 1;
  }
  return ip;
}

bool parseIPv4(std::string_view text, std::uint8_t out[4]) noexcept {
  // One pass over the text (binding a socket parses its address): four
  // parts separated by single dots, each "0" or 1..3 decimal digits
  // without a leading zero, at most 255 (inet_pton rejects octal-looking
  // "01" and "00").
  std::uint8_t quad[4];
  std::size_t at = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (at == text.size() || text[at] != '.') return false;
      ++at;
    }
    const std::size_t start = at;
    unsigned value = 0;
    while (at < text.size() && at - start < 3 && isDecimalDigit(text[at])) {
      value = value * 10 + static_cast<unsigned>(text[at] - '0');
      ++at;
    }
    const std::size_t digits = at - start;
    if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0'))
      return false;
    quad[i] = static_cast<std::uint8_t>(value);
  }
  if (at != text.size()) return false;
  std::memcpy(out, quad, 4);
  return true;
}

bool parseInetAton(std::string_view text, std::uint8_t out[4]) noexcept {
  // The largest value of the last part, by the number of parts before it.
  static constexpr std::uint32_t kLastMax[4] = {0xffffffffu, 0xffffffu, 0xffffu,
                                                0xffu};
  std::uint32_t leading[3] = {};
  int count = 0;  // parts before the current one
  std::size_t at = 0;
  for (;;) {
    // Each part starts with a decimal digit: no sign, space or empty part.
    if (at == text.size() || !isDecimalDigit(text[at])) return false;
    unsigned base = 10;
    if (text[at] == '0') {
      base = 8;
      ++at;
      if (at < text.size() && (text[at] == 'x' || text[at] == 'X')) {
        // "0x" needs a hex digit after it, or it is a lone 0 followed by
        // an 'x' (which no address allows).
        if (at + 1 < text.size() && hexDigitValue(text[at + 1]) >= 0) {
          base = 16;
          ++at;
        }
      }
    }
    std::uint64_t value = 0;
    for (; at < text.size(); ++at) {
      int digit = hexDigitValue(text[at]);
      if (digit < 0 || static_cast<unsigned>(digit) >= base) break;
      value = value * base + static_cast<unsigned>(digit);
      if (value > 0xffffffffu) return false;
    }
    if (at < text.size() && text[at] == '.') {
      if (count == 3 || value > 0xff) return false;
      leading[count++] = static_cast<std::uint32_t>(value);
      ++at;
      continue;
    }
    if (at != text.size() || value > kLastMax[count]) return false;
    std::uint32_t address = static_cast<std::uint32_t>(value);
    for (int i = 0; i < count; ++i)
      address |= leading[i] << (24 - 8 * i);
    for (int i = 0; i < 4; ++i)
      out[i] = static_cast<std::uint8_t>(address >> (24 - 8 * i));
    return true;
  }
}

bool parseIPv6(std::string_view text, std::uint8_t out[16]) noexcept {
  std::size_t gap = text.find("::");
  GroupList head;
  if (gap == std::string_view::npos) {
    // No "::": exactly eight groups.
    if (!parseGroupList(text, true, head) || head.count != kIPv6Words) {
      return false;
    }
    wordsToBytes(head.words, out);
    return true;
  }
  std::string_view tailText = text.substr(gap + 2);
  // Only one "::" (this also rejects ":::").
  if (tailText.find("::") != std::string_view::npos) return false;
  if (!tailText.empty() && tailText.front() == ':') return false;
  GroupList tail;
  if (!parseGroupList(text.substr(0, gap), false, head) ||
      !parseGroupList(tailText, true, tail)) {
    return false;
  }
  // "::" must stand for at least one zero group.
  if (head.count + tail.count >= kIPv6Words) return false;
  std::uint16_t words[kIPv6Words] = {};
  for (int i = 0; i < head.count; ++i)
    words[i] = head.words[i];
  int tailStart = kIPv6Words - tail.count;
  for (int i = 0; i < tail.count; ++i)
    words[tailStart + i] = tail.words[i];
  wordsToBytes(words, out);
  return true;
}

std::optional<IpAddress> parseIp(std::string_view text, Family family,
                                 ZoneToIndex zoneToIndex) noexcept {
  // Nothing longer than formatIp can write is a valid address.
  if (text.size() >= kMaxIpText) return std::nullopt;
  IpAddress ip;
  ip.family = family;
  if (family == Family::IPv4) {
    if (!parseIPv4(text, ip.bytes.data())) return std::nullopt;
    return ip;
  }
  std::size_t percent = text.find('%');
  if (!parseIPv6(text.substr(0, percent), ip.bytes.data())) {
    return std::nullopt;
  }
  if (percent != std::string_view::npos &&
      !resolveZone(text.substr(percent + 1), zoneToIndex, ip.scopeId)) {
    return std::nullopt;
  }
  return ip;
}

bool isLinkLocalUnicast(const IpAddress& ip) noexcept {
  return ip.family == Family::IPv6 && ip.bytes[0] == 0xfe &&
         (ip.bytes[1] & 0xc0) == 0x80;
}

IpAddress mapToIPv6(const IpAddress& ipv4) noexcept {
  IpAddress out;
  out.family = Family::IPv6;
  out.bytes[10] = 0xff;
  out.bytes[11] = 0xff;
  for (int i = 0; i < 4; ++i)
    out.bytes[12 + i] = ipv4.bytes[i];
  return out;
}

bool isIPv4Mapped(const IpAddress& ip) noexcept {
  static constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0,    0,
                                               0, 0, 0, 0, 0xff, 0xff};
  return ip.family == Family::IPv6 &&
         std::memcmp(ip.bytes.data(), kPrefix, sizeof kPrefix) == 0;
}

IpAddress unmapIPv4(const IpAddress& mapped) noexcept {
  IpAddress out;
  out.family = Family::IPv4;
  for (int i = 0; i < 4; ++i)
    out.bytes[i] = mapped.bytes[12 + i];
  return out;
}

std::optional<IpAddress> parseAnyIp(std::string_view text,
                                    ZoneToIndex zoneToIndex) noexcept {
  if (auto ip = parseIp(text, Family::IPv4, zoneToIndex)) return ip;
  return parseIp(text, Family::IPv6, zoneToIndex);
}

bool isIpLiteral(std::string_view text) noexcept {
  return parseAnyIp(text, &acceptAnyZone).has_value();
}

std::size_t formatIp(const IpAddress& ip, char* out,
                     IndexToZone indexToZone) noexcept {
  TextWriter w(out);
  if (ip.family == Family::IPv4) {
    w.putIPv4(ip.bytes.data());
  } else {
    writeIPv6(ip.bytes.data(), w);
    if (ip.scopeId != 0) writeZone(ip.scopeId, indexToZone, w);
  }
  out[w.size()] = '\0';
  return w.size();
}

IpString toIpString(const IpAddress& ip, IndexToZone indexToZone) noexcept {
  char text[kMaxIpText];
  std::size_t n = formatIp(ip, text, indexToZone);
  return IpString(std::string_view(text, n));
}

}  // namespace dgram::detail
