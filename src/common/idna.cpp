// International host names to ASCII: see idna.hpp.
// Layer: common state machine.
#include "common/idna.hpp"

#include <cstdint>
#include <vector>

namespace dgram::detail {
namespace {

// RFC 3492's parameters for Punycode.
constexpr std::uint32_t kBase = 36;
constexpr std::uint32_t kTMin = 1;
constexpr std::uint32_t kTMax = 26;
constexpr std::uint32_t kSkew = 38;
constexpr std::uint32_t kDamp = 700;
constexpr std::uint32_t kInitialBias = 72;
constexpr std::uint32_t kInitialN = 0x80;

// Threshold of a digit position (RFC 3492, section 6).
std::uint32_t threshold(std::uint32_t k, std::uint32_t bias) {
  if (k <= bias) return kTMin;
  if (k >= bias + kTMax) return kTMax;
  return k - bias;
}

// Value of a Punycode digit in either case, or kBase if it is none.
std::uint32_t digitValue(char c) {
  if (c >= 'a' && c <= 'z') return static_cast<std::uint32_t>(c - 'a');
  if (c >= 'A' && c <= 'Z') return static_cast<std::uint32_t>(c - 'A');
  if (c >= '0' && c <= '9') return static_cast<std::uint32_t>(c - '0') + 26;
  return kBase;
}

char punycodeDigit(std::uint32_t value) {
  return static_cast<char>(value < 26 ? 'a' + value : '0' + (value - 26));
}

// The bias after a code point was written (RFC 3492, section 6.1).
std::uint32_t adaptBias(std::uint32_t delta, std::uint32_t points, bool first) {
  delta = first ? delta / kDamp : delta / 2;
  delta += delta / points;
  std::uint32_t k = 0;
  while (delta > ((kBase - kTMin) * kTMax) / 2) {
    delta /= kBase - kTMin;
    k += kBase;
  }
  return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
}

// One UTF-8 sequence at `at` (advanced past it); false if it is not one
// (truncated, overlong, a surrogate or beyond U+10FFFF).
bool decodeUtf8(std::string_view text, std::size_t& at, char32_t& out) {
  auto byte = [&](std::size_t i) {
    return static_cast<unsigned char>(text[i]);
  };
  unsigned char lead = byte(at);
  std::size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if (lead < 0x80) {
    out = lead;
    ++at;
    return true;
  } else if ((lead & 0xe0) == 0xc0) {
    length = 2;
    value = lead & 0x1f;
    minimum = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3;
    value = lead & 0x0f;
    minimum = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4;
    value = lead & 0x07;
    minimum = 0x10000;
  } else {
    return false;
  }
  if (text.size() - at < length) return false;
  for (std::size_t i = 1; i < length; ++i) {
    unsigned char next = byte(at + i);
    if ((next & 0xc0) != 0x80) return false;
    value = (value << 6) | (next & 0x3f);
  }
  if (value < minimum || value > 0x10ffff ||
      (value >= 0xd800 && value <= 0xdfff))
    return false;
  out = value;
  at += length;
  return true;
}

bool isFullStop(char32_t c) {
  return c == '.' || c == 0x3002 || c == 0xff0e || c == 0xff61;
}

// The code points UTS 46 maps to U+0020.
bool isUnicodeSpace(char32_t c) {
  return c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
         c == 0x202f || c == 0x205f || c == 0x3000;
}

// Appends a label's code points to `out`, as Punycode if any is not ASCII.
bool appendLabel(const std::vector<char32_t>& label, std::string& out) {
  bool ascii = true;
  for (char32_t c : label)
    ascii = ascii && c < 0x80;
  if (ascii) {
    for (char32_t c : label)
      out.push_back(static_cast<char>(c));
    return true;
  }
  out += "xn--";
  return punycodeEncode(label.data(), label.size(), out);
}

}  // namespace

bool punycodeEncode(const char32_t* codePoints, std::size_t count,
                    std::string& out) {
  constexpr std::uint32_t kMax = UINT32_MAX;
  std::uint32_t basic = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (codePoints[i] < 0x80) {
      out.push_back(static_cast<char>(codePoints[i]));
      ++basic;
    }
  }
  if (basic > 0) out.push_back('-');
  std::uint32_t n = kInitialN;
  std::uint32_t delta = 0;
  std::uint32_t bias = kInitialBias;
  for (std::uint32_t handled = basic; handled < count;) {
    // The smallest code point not handled yet.
    std::uint32_t next = kMax;
    for (std::size_t i = 0; i < count; ++i) {
      if (codePoints[i] >= n && codePoints[i] < next) next = codePoints[i];
    }
    if (next - n > (kMax - delta) / (handled + 1)) return false;
    delta += (next - n) * (handled + 1);
    n = next;
    for (std::size_t i = 0; i < count; ++i) {
      std::uint32_t c = codePoints[i];
      if (c < n && ++delta == 0) return false;
      if (c != n) continue;
      // Write delta as a variable-length integer.
      std::uint32_t q = delta;
      for (std::uint32_t k = kBase;; k += kBase) {
        std::uint32_t t = threshold(k, bias);
        if (q < t) break;
        out.push_back(punycodeDigit(t + (q - t) % (kBase - t)));
        q = (q - t) / (kBase - t);
      }
      out.push_back(punycodeDigit(q));
      bias = adaptBias(delta, handled + 1, handled == basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++n;
  }
  return true;
}

bool punycodeDecode(std::string_view text, std::u32string& out) {
  constexpr std::uint32_t kMax = UINT32_MAX;
  out.clear();
  // The basic code points come first, up to the last delimiter.
  std::size_t delimiter = text.rfind('-');
  std::size_t in = 0;
  if (delimiter != std::string_view::npos && delimiter > 0) {
    for (std::size_t j = 0; j < delimiter; ++j) {
      if (static_cast<unsigned char>(text[j]) >= 0x80) return false;
      out.push_back(static_cast<unsigned char>(text[j]));
    }
    in = delimiter + 1;
  }
  std::uint32_t n = kInitialN;
  std::uint32_t i = 0;
  std::uint32_t bias = kInitialBias;
  while (in < text.size()) {
    std::uint32_t oldI = i;
    std::uint32_t w = 1;
    for (std::uint32_t k = kBase;; k += kBase) {
      if (in >= text.size()) return false;
      std::uint32_t digit = digitValue(text[in++]);
      if (digit >= kBase || digit > (kMax - i) / w) return false;
      i += digit * w;
      std::uint32_t t = threshold(k, bias);
      if (digit < t) break;
      if (w > kMax / (kBase - t)) return false;
      w *= kBase - t;
    }
    auto length = static_cast<std::uint32_t>(out.size() + 1);
    bias = adaptBias(i - oldI, length, oldI == 0);
    if (i / length > kMax - n) return false;
    n += i / length;
    i %= length;
    if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return false;
    out.insert(out.begin() + i, static_cast<char32_t>(n));
    ++i;
  }
  return true;
}

bool hasValidAceLabels(std::string_view name) {
  std::u32string decoded;
  while (!name.empty()) {
    std::size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    name = dot == std::string_view::npos ? std::string_view{}
                                         : name.substr(dot + 1);
    bool ace = label.size() >= 4 && (label[0] == 'x' || label[0] == 'X') &&
               (label[1] == 'n' || label[1] == 'N') &&
               label.substr(2, 2) == "--";
    if (!ace) continue;
    if (!punycodeDecode(label.substr(4), decoded) || decoded.empty())
      return false;
  }
  return true;
}

const char* toAsciiHost(std::string_view text, std::string& out) {
  out.clear();
  std::vector<char32_t> label;
  std::size_t at = 0;
  while (at <= text.size()) {
    char32_t c = '.';  // the end of the text ends the last label
    if (at < text.size()) {
      if (!decodeUtf8(text, at, c) || c == 0xfffd) return "EINVAL";
    } else {
      ++at;
    }
    if (isUnicodeSpace(c)) return "ENOTFOUND";
    if (c >= 0xff01 && c <= 0xff5e) c -= 0xfee0;  // fullwidth ASCII
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    if (!isFullStop(c)) {
      label.push_back(c);
      continue;
    }
    if (!appendLabel(label, out)) return "EINVAL";
    label.clear();
    if (at <= text.size()) out.push_back('.');
  }
  return nullptr;
}

}  // namespace dgram::detail
