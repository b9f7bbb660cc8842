#pragma once
// The audio container a source sends, derived from its Content-Type. Decides which frame-sync
// probe (if any) runs on the ingest path.

#include <string_view>

namespace tinyice::codec {

enum class StreamFormat { mp3, aac, ogg, generic };

// "audio/mpeg", "audio/mp3" -> mp3; "audio/aac", "audio/aacp", "audio/x-aac" -> aac;
// "audio/ogg", "application/ogg", "audio/opus", "audio/x-ogg", "application/x-ogg", "video/ogg",
// "audio/vorbis" -> ogg; anything else -> generic. Case-insensitive; surrounding whitespace and
// parameters after ';' are ignored.
[[nodiscard]] StreamFormat format_from_content_type(std::string_view content_type);

// "mp3", "aac", "ogg", "generic".
[[nodiscard]] std::string_view to_string(StreamFormat format);

} // namespace tinyice::codec
