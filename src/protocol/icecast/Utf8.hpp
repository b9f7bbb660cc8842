#pragma once
// UTF-8 helpers shared by the ICY, XML and JSON builders. Titles reach us as raw bytes (a source
// may send metadata without a charset), but XML and JSON must be valid UTF-8, so everything that
// leaves as a document goes through repair_utf8 first.

#include <cstddef>
#include <string>
#include <string_view>

namespace tinyice::protocol::icecast {

// Length of the well-formed UTF-8 sequence starting at text[pos], or 0 when the bytes there are
// not one (bad lead byte, overlong form, surrogate, > U+10FFFF, truncated sequence).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

bool is_valid_utf8(std::string_view text);

// Copies `text`, replacing each maximal ill-formed subpart with U+FFFD (the Unicode
// "substitution of maximal subparts" practice, the same as WHATWG decoders).
std::string repair_utf8(std::string_view text);

// The largest n <= max_bytes such that text.substr(0, n) does not end in the middle of a
// multi-byte UTF-8 sequence. Bytes that are not UTF-8 (e.g. ISO-8859-1 text) are treated as
// single characters, so legacy-charset text is cut exactly at max_bytes.
std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes);

} // namespace tinyice::protocol::icecast
