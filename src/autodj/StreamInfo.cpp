#include "autodj/StreamInfo.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tinyice::autodj {
namespace {

// As for request headers: no control characters, bounded length.
constexpr std::size_t max_value = 1024;

std::string clean(const std::string& v) {
    std::string out;
    for (unsigned char c : v) {
        if (out.size() >= max_value) {
            break;
        }
        if (c >= 0x20 && c != 0x7f) {
            out.push_back(static_cast<char>(c));
        }
    }
    return out;
}

} // namespace

core::SourceInfo make_source_info(const StationSettings& settings, const std::string& content_type,
                                  int sample_rate) {
    core::SourceInfo info;
    info.content_type = content_type;
    info.name = clean(settings.stream_name.empty() ? settings.name : settings.stream_name);
    info.description = clean(settings.description);
    info.url = clean(settings.url);
    info.genre = clean(settings.genre);
    info.is_public = settings.is_public;
    info.bitrate = settings.encoder.bitrate_kbps;
    info.audio_info = fmt::format("ice-samplerate={};ice-bitrate={};ice-channels={}", sample_rate,
                                  settings.encoder.bitrate_kbps, settings.encoder.channels);
    info.audio_info_pairs = {{"samplerate", std::to_string(sample_rate)},
                             {"bitrate", std::to_string(settings.encoder.bitrate_kbps)},
                             {"channels", std::to_string(settings.encoder.channels)}};
    info.user_agent = "TinyIce AutoDJ";
    info.origin = "autodj";

    // What parse_source_headers() makes of ice-name, ice-description, ice-genre, ice-url,
    // ice-public, ice-bitrate and ice-audio-info: empty values left out, sorted.
    auto& lines = info.listener_headers;
    const auto add = [&lines](const char* key, const std::string& value) {
        if (!value.empty()) {
            lines.emplace_back(key, value);
        }
    };
    add("icy-name", info.name);
    add("icy-description", info.description);
    add("icy-genre", info.genre);
    add("icy-url", info.url);
    add("icy-pub", settings.is_public ? "1" : "0");
    add("icy-br", std::to_string(settings.encoder.bitrate_kbps));
    add("ice-audio-info", info.audio_info);
    std::sort(lines.begin(), lines.end());
    return info;
}

} // namespace tinyice::autodj
