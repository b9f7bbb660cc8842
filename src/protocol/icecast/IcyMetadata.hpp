#pragma once
// ICY in-band metadata blocks (docs/icecast-protocol.md §2.3) and the charset conversions that
// /admin/metadata?charset= and legacy-charset mounts need. Pure functions; no I/O.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyice::protocol::icecast {

// Largest text a block can carry: the length byte counts 16-byte units, at most 255 of them.
constexpr std::size_t max_icy_block = std::size_t{255} * 16;

// Renders a complete block: one length byte L, then 16*L bytes holding
// "StreamTitle='<title>';" followed by "StreamUrl='<url>';" when `url` is non-empty, NUL padded.
//
// Byte layout matches Icecast 2.4: the text is always followed by at least one NUL, so
// L = text_size / 16 + 1 (an empty title gives "\x01StreamTitle='';\0") and the text is at most
// max_icy_block - 1 bytes. Some players copy the block as a C string; the NUL keeps them safe.
//
// Values are sanitised:
//   * control characters (< 0x20 and 0x7f) are dropped;
//   * "';" inside a value would end the field early in every player (ffmpeg, VLC and mpv all
//     stop at the first "';"), so a space is inserted: "Rock';Roll" becomes "Rock' ;Roll".
//     The space keeps every character visible and the rule is charset-neutral (a curly quote
//     would be wrong in an ISO-8859-1 block);
//   * when the text would not fit, the url is dropped first, then the title is cut so the block
//     fits, never inside a multi-byte UTF-8 sequence.
// The bytes are otherwise passed through: convert to the mount's charset (from_utf8) first.
std::string render_icy_block(std::string_view title, std::string_view url = {});

// Parses the text of a block (without the length byte; trailing NUL padding allowed) into
// key/value pairs in order: StreamTitle, StreamUrl and any other Key='value'.
//
// Other servers do not escape apostrophes, so a value ends at the first "';" that is followed by
// the end of the text or by another Key=' field; failing that at the first "';"; failing that at
// the end of the text (a missing final ';' and a missing closing quote are both tolerated).
// Text after the last parsable field is ignored. nullopt when the text does not start with a
// Key=' field (keys are letters, digits, '_', '-' and '.').
std::optional<std::vector<std::pair<std::string, std::string>>>
parse_icy_text(std::string_view text);

// Converts `text` from `charset` to UTF-8 with glibc iconv. Invalid or truncated input sequences
// become U+FFFD. "UTF-8"/"utf8" (any case, with or without the dash) take a fast path that only
// validates and repairs. nullopt for an unknown or malformed charset name (names are limited to
// 64 characters of [A-Za-z0-9._:()+-]; iconv suffixes like "//IGNORE" are refused).
std::optional<std::string> to_utf8(std::string_view text, std::string_view charset);

// Converts UTF-8 to `charset` for mounts whose listeners want a legacy charset (e.g.
// "ISO-8859-1"). Characters the charset lacks are transliterated where iconv can (//TRANSLIT)
// and become '?' otherwise; invalid UTF-8 input bytes become '?'. An unknown charset returns the
// input unchanged (config validation should reject it with charset_supported first).
std::string from_utf8(std::string_view utf8, std::string_view charset);

// True when to_utf8/from_utf8 can convert between `charset` and UTF-8.
bool charset_supported(std::string_view charset);

} // namespace tinyice::protocol::icecast
