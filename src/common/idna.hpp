// International host names: the ASCII name Node v20 asks getaddrinfo for
// when host text holds bytes beyond ASCII (Node converts with UTS 46,
// then Punycode: "bücher.example" is looked up as
// "xn--bcher-kva.example").
//
// dgram applies the part of UTS 46 that needs no Unicode tables: the full
// stops U+3002, U+FF0E and U+FF61 separate labels like '.', fullwidth
// ASCII (U+FF01..U+FF5E) is read as ASCII ("１２７.0.0.1" is 127.0.0.1),
// ASCII letters are lower-cased, and Unicode spaces are spaces. Every
// label with a code point beyond ASCII becomes "xn--" and its Punycode
// (RFC 3492). Deliberately not done (it would take Unicode's mapping and
// normalization tables): lower-casing beyond ASCII ("BÜCHER"), other
// compatibility mappings, normalization, and refusing the code points
// UTS 46 disallows ("a\u200Db", which Node refuses with EINVAL). Such text
// is looked up under a name Node would not use; docs/errors.md says so.
// Layer: common state machine.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dgram::detail {

/// Converts UTF-8 host text to the ASCII name to look up, into `out`.
/// Returns nullptr, or the lookup error Node reports instead: "EINVAL"
/// for text that is not UTF-8 (or holds U+FFFD, what broken text turns
/// into), "ENOTFOUND" for a Unicode space.
const char* toAsciiHost(std::string_view text, std::string& out);

/// RFC 3492 decoding of one label's Punycode (no "xn--") into `out`;
/// false if it is not Punycode.
bool punycodeDecode(std::string_view text, std::u32string& out);

/// Whether every "xn--" label of an ASCII name (any case) is Punycode of
/// at least one code point, as Node requires (it refuses "xn--zz" and
/// "xn--" with EINVAL). Whether the code points it stands for are ones
/// UTS 46 allows is not checked (see above).
bool hasValidAceLabels(std::string_view name);

/// RFC 3492 Punycode of one label's code points (no "xn--"); false if a
/// count would overflow.
bool punycodeEncode(const char32_t* codePoints, std::size_t count,
                    std::string& out);

}  // namespace dgram::detail
