#include "codec/OggComments.hpp"

#include <cstring>

namespace tinyice::codec {
namespace {

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

bool starts_with(std::span<const std::uint8_t> packet, std::string_view prefix) {
    return packet.size() >= prefix.size() &&
           std::memcmp(packet.data(), prefix.data(), prefix.size()) == 0;
}

// Reads little-endian length-prefixed fields, refusing to run past the end.
class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    bool u32(std::uint32_t& out) {
        if (bytes_.size() < 4) {
            return false;
        }
        out = std::uint32_t{bytes_[0]} | (std::uint32_t{bytes_[1]} << 8) |
              (std::uint32_t{bytes_[2]} << 16) | (std::uint32_t{bytes_[3]} << 24);
        bytes_ = bytes_.subspan(4);
        return true;
    }
    bool string(std::string_view& out) {
        std::uint32_t size = 0;
        if (!u32(size) || size > bytes_.size()) {
            return false;
        }
        out = {reinterpret_cast<const char*>(bytes_.data()), size};
        bytes_ = bytes_.subspan(size);
        return true;
    }
    [[nodiscard]] std::size_t left() const { return bytes_.size(); }

private:
    std::span<const std::uint8_t> bytes_;
};

} // namespace

std::string OggComments::get(std::string_view key) const {
    for (const auto& [k, v] : tags) {
        if (iequals(k, key)) {
            return v;
        }
    }
    return {};
}

std::string OggComments::title() const {
    return get("title");
}

std::string OggComments::artist() const {
    return get("artist");
}

std::string OggComments::display_title() const {
    std::string t = title();
    if (t.empty()) {
        return {};
    }
    std::string a = artist();
    if (a.empty()) {
        return t;
    }
    return a + " - " + t;
}

std::optional<OggComments> parse_vorbis_comment(std::span<const std::uint8_t> body) {
    Reader r(body);
    std::string_view vendor;
    std::uint32_t count = 0;
    if (!r.string(vendor) || !r.u32(count)) {
        return std::nullopt;
    }
    // Every entry needs at least its 4-byte length, so a larger count is a lie; checking first
    // keeps a hostile count from driving the reserve().
    if (count > r.left() / 4) {
        return std::nullopt;
    }
    OggComments out;
    out.vendor = vendor;
    out.tags.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        std::string_view entry;
        if (!r.string(entry)) {
            return std::nullopt;
        }
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        out.tags.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
    }
    return out;
}

std::optional<OggComments> parse_comment_packet(std::span<const std::uint8_t> packet) {
    using namespace std::string_view_literals;
    if (starts_with(packet, "\x03vorbis"sv) || starts_with(packet, "\x81theora"sv)) {
        return parse_vorbis_comment(packet.subspan(7));
    }
    if (starts_with(packet, "OpusTags"sv)) {
        return parse_vorbis_comment(packet.subspan(8));
    }
    // Ogg FLAC: one metadata block per packet; 7 bits type (4 = VORBIS_COMMENT), 24-bit length.
    if (packet.size() >= 4 && (packet[0] & 0x7FU) == 4) {
        const std::size_t length =
            (std::size_t{packet[1]} << 16) | (std::size_t{packet[2]} << 8) | std::size_t{packet[3]};
        if (length == packet.size() - 4) {
            return parse_vorbis_comment(packet.subspan(4));
        }
    }
    return std::nullopt;
}

std::string_view codec_from_first_packet(std::span<const std::uint8_t> packet) {
    using namespace std::string_view_literals;
    if (starts_with(packet, "OpusHead"sv)) {
        return "Opus";
    }
    if (starts_with(packet, "\x01vorbis"sv)) {
        return "Vorbis";
    }
    if (starts_with(packet, "\x7F"
                            "FLAC"sv) ||
        starts_with(packet, "fLaC"sv)) {
        return "FLAC";
    }
    if (starts_with(packet, "\x80theora"sv)) {
        return "Theora";
    }
    if (starts_with(packet, "Speex   "sv)) {
        return "Speex";
    }
    if (starts_with(packet, "fishead\0"sv)) {
        return "Skeleton";
    }
    return {};
}

} // namespace tinyice::codec
