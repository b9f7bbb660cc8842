#include "codec/AudioTypes.hpp"

#include <array>
#include <utility>

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

constexpr std::array<std::pair<OutputCodec, std::string_view>, 4> codec_names = {{
    {OutputCodec::mp3, "mp3"},
    {OutputCodec::opus, "opus"},
    {OutputCodec::vorbis, "vorbis"},
    {OutputCodec::aac, "aac"},
}};

} // namespace

std::string TrackTags::display_title() const {
    if (!artist.empty() && !title.empty()) {
        return artist + " - " + title;
    }
    return title.empty() ? artist : title;
}

std::string_view to_string(OutputCodec codec) {
    for (const auto& [value, name] : codec_names) {
        if (value == codec) {
            return name;
        }
    }
    return "unknown";
}

std::optional<OutputCodec> output_codec_from_string(std::string_view name) {
    for (const auto& [value, known] : codec_names) {
        if (iequals(name, known)) {
            return value;
        }
    }
    return std::nullopt;
}

} // namespace tinyice::codec
