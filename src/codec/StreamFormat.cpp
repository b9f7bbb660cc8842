#include "codec/StreamFormat.hpp"

#include <array>
#include <utility>

namespace tinyice::codec {
namespace {

constexpr char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
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

constexpr std::string_view trim(std::string_view s) {
    constexpr std::string_view space = " \t\r\n";
    const auto first = s.find_first_not_of(space);
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(space);
    return s.substr(first, last - first + 1);
}

constexpr std::array<std::pair<std::string_view, StreamFormat>, 12> content_types{{
    {"audio/mpeg", StreamFormat::mp3},
    {"audio/mp3", StreamFormat::mp3},
    {"audio/aac", StreamFormat::aac},
    {"audio/aacp", StreamFormat::aac},
    {"audio/x-aac", StreamFormat::aac},
    {"audio/ogg", StreamFormat::ogg},
    {"application/ogg", StreamFormat::ogg},
    {"audio/opus", StreamFormat::ogg},
    {"audio/x-ogg", StreamFormat::ogg},
    {"application/x-ogg", StreamFormat::ogg},
    {"video/ogg", StreamFormat::ogg},
    {"audio/vorbis", StreamFormat::ogg},
}};

} // namespace

StreamFormat format_from_content_type(std::string_view content_type) {
    const auto semicolon = content_type.find(';');
    const auto mime = trim(content_type.substr(0, semicolon));
    for (const auto& [name, format] : content_types) {
        if (iequals(mime, name)) {
            return format;
        }
    }
    return StreamFormat::generic;
}

std::string_view to_string(StreamFormat format) {
    switch (format) {
    case StreamFormat::mp3:
        return "mp3";
    case StreamFormat::aac:
        return "aac";
    case StreamFormat::ogg:
        return "ogg";
    case StreamFormat::generic:
        break;
    }
    return "generic";
}

} // namespace tinyice::codec
