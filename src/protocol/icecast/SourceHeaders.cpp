#include "protocol/icecast/SourceHeaders.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace tinyice::protocol::icecast {
namespace {

constexpr std::size_t max_value = 1024;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string clean(std::string_view v) {
    std::string out;
    out.reserve(std::min(v.size(), max_value));
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

std::string first_of(HeaderList headers, std::initializer_list<std::string_view> names) {
    for (auto name : names) {
        for (const auto& [k, v] : headers) {
            if (iequals(k, name) && !v.empty()) {
                return clean(v);
            }
        }
    }
    return {};
}

std::optional<int> to_int(std::string_view s) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || value < 0 || value > 100000) {
        return std::nullopt;
    }
    return value;
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string url_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
            i += 2;
        } else if (s[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return clean(out);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_audio_info(std::string_view audio_info) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!audio_info.empty() && out.size() < 32) {
        auto end = audio_info.find(';');
        auto item = audio_info.substr(0, end);
        audio_info = end == std::string_view::npos ? std::string_view{} : audio_info.substr(end + 1);
        auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            continue;
        }
        auto key = lower(item.substr(0, eq));
        if (key.starts_with("ice-")) {
            key.erase(0, 4);
        }
        out.emplace_back(url_decode(key), url_decode(item.substr(eq + 1)));
    }
    return out;
}

core::SourceInfo parse_source_headers(HeaderList headers, std::string_view content_type) {
    core::SourceInfo info;
    info.content_type = content_type.empty() ? "audio/mpeg" : clean(content_type);
    if (info.content_type == "application/x-ogg") {
        info.content_type = "application/ogg";
    }
    info.name = first_of(headers, {"ice-name", "icy-name", "x-audiocast-name"});
    info.description =
        first_of(headers, {"ice-description", "icy-description", "x-audiocast-description"});
    info.url = first_of(headers, {"ice-url", "icy-url", "x-audiocast-url"});
    info.genre = first_of(headers, {"ice-genre", "icy-genre", "x-audiocast-genre"});
    auto pub = first_of(headers, {"ice-public", "icy-pub", "x-audiocast-public", "icy-public"});
    if (!pub.empty()) {
        info.is_public = pub != "0" && !iequals(pub, "no") && !iequals(pub, "false");
    }
    info.audio_info = first_of(headers, {"ice-audio-info"});
    info.audio_info_pairs = parse_audio_info(info.audio_info);
    auto br = first_of(headers, {"ice-bitrate", "icy-br", "x-audiocast-bitrate"});
    if (auto v = to_int(br); v && *v > 0) {
        info.bitrate = v;
    }
    if (!info.bitrate) {
        for (const auto& [k, v] : info.audio_info_pairs) {
            if (k == "bitrate") {
                if (auto n = to_int(v); n && *n > 0) {
                    info.bitrate = n;
                }
            }
        }
    }
    info.user_agent = first_of(headers, {"user-agent"});

    // Listener headers, in the order Icecast sends them (its parser keeps them sorted).
    std::vector<std::pair<std::string, std::string>> lines;
    for (const auto& [k, v] : headers) {
        auto key = lower(k);
        if (v.empty() || key == "ice-password" || key == "icy-metaint" ||
            key == "ice-audio-info" || key == "icy-metadata") {
            continue;
        }
        std::string out_key;
        if (key == "ice-public") {
            out_key = "icy-pub";
        } else if (key == "ice-bitrate") {
            out_key = "icy-br";
        } else if (key.starts_with("ice-")) {
            out_key = "icy-" + key.substr(4);
        } else if (key.starts_with("icy-")) {
            out_key = key;
        } else {
            continue;
        }
        if (std::none_of(lines.begin(), lines.end(),
                         [&](const auto& l) { return l.first == out_key; })) {
            lines.emplace_back(out_key, clean(v));
        }
    }
    if (info.bitrate && std::none_of(lines.begin(), lines.end(),
                                     [](const auto& l) { return l.first == "icy-br"; })) {
        lines.emplace_back("icy-br", std::to_string(*info.bitrate));
    }
    if (!info.audio_info.empty()) {
        lines.emplace_back("ice-audio-info", info.audio_info);
    }
    std::sort(lines.begin(), lines.end());
    info.listener_headers = std::move(lines);
    return info;
}

}  // namespace tinyice::protocol::icecast
