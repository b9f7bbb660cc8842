#pragma once
// Checks and encodings of text columns shared by the stores. Private to src/storage.
//
// Values the server itself produces (user names, token hashes, rule networks) are checked and a
// bad one is refused with a StorageError: it is a caller's bug, and storing a cut version would
// silently make a different value. Values a client controls and that are only displayed (user
// agents, audit details) are clipped instead, so a long header cannot make a write fail.

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::storage::detail {

// Mount paths are at most this long everywhere (protocol/http max_mount_path).
inline constexpr std::size_t max_mount_bytes = 255;

// Throws StorageError "<what> is empty" (when `required`) or "<what> is longer than <max>
// bytes".
void check_length(std::string_view what, std::string_view value, std::size_t max_bytes,
                  bool required = true);

// Throws StorageError "<what> contains a control character" for bytes below 0x20 and 0x7f.
void check_printable(std::string_view what, std::string_view value);

// Throws StorageError "<what> "<value>" is not one of a, b, c" unless value is in `allowed`.
void check_one_of(std::string_view what, std::string_view value,
                  std::initializer_list<std::string_view> allowed);

// Cuts `text` to at most `max_bytes`, never inside a UTF-8 sequence.
void clip_utf8(std::string& text, std::size_t max_bytes);

// A JSON array of strings, e.g. mount names or file paths. Paths on Linux may hold newlines,
// quotes and any byte but NUL, which rules out a separator-joined list; bytes that are not UTF-8
// are written through unchanged.
std::string encode_string_array(const std::vector<std::string>& values);
// nullopt when the text is not a JSON array of strings.
std::optional<std::vector<std::string>> decode_string_array(std::string_view text);

} // namespace tinyice::storage::detail
