#pragma once
// Vorbis-comment parsing for Ogg streams (Vorbis, Opus, Theora, FLAC comment packets) and codec
// identification from a logical stream's first packet. Bounds-checked: every length is checked
// against the bytes left before it is used.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyice::codec {

struct OggComments {
    std::string vendor;
    std::vector<std::pair<std::string, std::string>> tags; // keys as given, in packet order

    [[nodiscard]] std::string
    get(std::string_view key) const; // case-insensitive, first match; "" if none
    [[nodiscard]] std::string title() const;
    [[nodiscard]] std::string artist() const;
    [[nodiscard]] std::string display_title() const; // "Artist - Title", or Title, or empty
};

// A comment packet: "\x03vorbis", "OpusTags" or "\x81theora" followed by a Vorbis comment, or an
// Ogg FLAC VORBIS_COMMENT metadata block (type 4, block length == rest of packet). Entries
// without '=' are skipped. nullopt on an unknown prefix or any length running past the packet.
[[nodiscard]] std::optional<OggComments> parse_comment_packet(std::span<const std::uint8_t> packet);

// The bare Vorbis comment structure (vendor length, vendor, count, entries), as Speex carries
// it in its second packet.
[[nodiscard]] std::optional<OggComments> parse_vorbis_comment(std::span<const std::uint8_t> body);

// First packet of a logical stream -> "Vorbis", "Opus", "FLAC", "Theora", "Speex", "Skeleton",
// or "" if unknown.
[[nodiscard]] std::string_view codec_from_first_packet(std::span<const std::uint8_t> packet);

} // namespace tinyice::codec
