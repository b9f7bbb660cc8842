#include "autodj/PlaylistFiles.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>

namespace tinyice::autodj {
namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
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

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// Calls on_line(line) for each line; "\n", "\r\n" and "\r" all end a line. on_line returns
// false to stop.
template <class F>
void for_each_line(std::string_view text, F&& on_line) {
    std::size_t at = 0;
    while (at < text.size()) {
        const auto end = text.find_first_of("\r\n", at);
        const auto line = text.substr(at, end == std::string_view::npos ? end : end - at);
        if (!on_line(line)) {
            return;
        }
        if (end == std::string_view::npos) {
            return;
        }
        at = end + 1;
        if (text[end] == '\r' && at < text.size() && text[at] == '\n') {
            ++at;
        }
    }
}

// A duration in seconds from the start of `s` ("215", "215.5", "-1"); -1 when there is none.
double parse_duration(std::string_view s) {
    double value = -1;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || !std::isfinite(value) || value < 0) {
        return -1;
    }
    return value;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// "%20" -> " "; malformed escapes and "%00" stay as written.
std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            const int hi = hex_value(s[i + 1]);
            const int lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

// file:///a%20b.mp3, file://localhost/a.mp3 and file:/a.mp3 become "/a b.mp3" etc.; anything
// else (including file URLs naming another host) is kept as written.
std::string decode_location(std::string_view s) {
    if (!istarts_with(s, "file:")) {
        return std::string(s);
    }
    std::string_view rest = s.substr(5);
    if (rest.starts_with("//")) {
        rest.remove_prefix(2);
        const auto slash = rest.find('/');
        if (slash == std::string_view::npos) {
            return std::string(s);
        }
        const auto host = rest.substr(0, slash);
        if (!host.empty() && !iequals(host, "localhost")) {
            return std::string(s);
        }
        rest.remove_prefix(slash);
    } else if (!rest.starts_with('/')) {
        return std::string(s);
    }
    return percent_decode(rest);
}

// "#EXTINF:215 tvg-name="a,b",Artist - Title": the duration before the first space or comma and
// the title after the first comma outside quotes.
void parse_extinf(std::string_view info, PlaylistItem& item) {
    item.duration = parse_duration(trim(info));
    bool quoted = false;
    for (std::size_t i = 0; i < info.size(); ++i) {
        if (info[i] == '"') {
            quoted = !quoted;
        } else if (info[i] == ',' && !quoted) {
            item.title = std::string(trim(info.substr(i + 1)));
            return;
        }
    }
}

std::vector<PlaylistItem> parse_m3u(std::string_view text, bool& truncated) {
    std::vector<PlaylistItem> items;
    PlaylistItem pending; // what the last #EXTINF said about the next location
    for_each_line(text, [&](std::string_view raw) {
        const auto line = trim(raw);
        if (line.empty()) {
            return true;
        }
        if (line.front() == '#') {
            if (istarts_with(line, "#EXTINF:")) {
                pending = PlaylistItem{};
                parse_extinf(line.substr(8), pending);
            }
            return true; // #EXTM3U, #EXTGRP, #PLAYLIST, comments
        }
        if (items.size() >= max_playlist_entries) {
            truncated = true;
            return false;
        }
        pending.location = decode_location(line);
        items.push_back(std::move(pending));
        pending = PlaylistItem{};
        return true;
    });
    return items;
}

// "File12" -> ("file", 12); nullopt for keys that are not one of the numbered ones.
struct NumberedKey {
    enum Kind { file, title, length } kind;
    std::uint64_t n;
};

std::optional<NumberedKey> numbered_key(std::string_view key) {
    static constexpr std::pair<std::string_view, NumberedKey::Kind> kinds[] = {
        {"file", NumberedKey::file},
        {"title", NumberedKey::title},
        {"length", NumberedKey::length}};
    for (const auto& [prefix, kind] : kinds) {
        if (key.size() > prefix.size() && istarts_with(key, prefix)) {
            const auto digits = key.substr(prefix.size());
            std::uint64_t n = 0;
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
            if (ec == std::errc() && end == digits.data() + digits.size()) {
                return NumberedKey{kind, n};
            }
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::vector<PlaylistItem> parse_pls(std::string_view text, bool& truncated) {
    std::map<std::uint64_t, PlaylistItem> by_number;
    bool in_playlist = false;
    for_each_line(text, [&](std::string_view raw) {
        const auto line = trim(raw);
        if (line.empty() || line.front() == ';' || line.front() == '#') {
            return true;
        }
        if (line.front() == '[') {
            in_playlist = iequals(line, "[playlist]");
            return true;
        }
        const auto eq = line.find('=');
        if (!in_playlist || eq == std::string_view::npos) {
            return true;
        }
        const auto key = numbered_key(trim(line.substr(0, eq)));
        if (!key) {
            return true; // NumberOfEntries, Version: the entries themselves are what counts
        }
        auto it = by_number.find(key->n);
        if (it == by_number.end()) {
            if (by_number.size() >= max_playlist_entries) {
                truncated = true;
                return true; // later lines may still fill in entries we have
            }
            it = by_number.emplace(key->n, PlaylistItem{}).first;
        }
        const auto value = trim(line.substr(eq + 1));
        switch (key->kind) {
        case NumberedKey::file:
            it->second.location = decode_location(value);
            break;
        case NumberedKey::title:
            it->second.title = std::string(value);
            break;
        case NumberedKey::length:
            it->second.duration = parse_duration(value);
            break;
        }
        return true;
    });
    std::vector<PlaylistItem> items;
    items.reserve(by_number.size());
    for (auto& [n, item] : by_number) {
        if (!item.location.empty()) {
            items.push_back(std::move(item));
        }
    }
    return items;
}

bool is_pls(std::string_view text) {
    bool pls = false;
    for_each_line(text, [&](std::string_view raw) {
        const auto line = trim(raw);
        if (line.empty()) {
            return true;
        }
        pls = iequals(line, "[playlist]");
        return false;
    });
    return pls;
}

bool writable_location(std::string_view location) {
    return !location.empty() && location.find_first_of("\r\n") == std::string_view::npos;
}

// A relative location that would read back as a comment or lose its leading space gets "./".
std::string written_location(const std::string& location) {
    if (location.front() == '#' || location.front() == ' ' || location.front() == '\t') {
        return "./" + location;
    }
    return location;
}

std::string one_line(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c == '\r' || c == '\n') {
            c = ' ';
        }
    }
    return out;
}

long whole_seconds(double duration) {
    return std::isfinite(duration) && duration >= 0 ? std::lround(duration) : -1;
}

} // namespace

std::vector<PlaylistItem> parse_playlist(std::string_view text, bool& truncated) {
    truncated = false;
    if (text.starts_with(utf8_bom)) {
        text.remove_prefix(utf8_bom.size());
    }
    if (text.size() > max_playlist_bytes) {
        truncated = true;
        text = text.substr(0, max_playlist_bytes);
        // Drop the line the cut went through: it would be half a path.
        const auto last_break = text.find_last_of("\r\n");
        text = text.substr(0, last_break == std::string_view::npos ? 0 : last_break);
    }
    return is_pls(text) ? parse_pls(text, truncated) : parse_m3u(text, truncated);
}

std::vector<PlaylistItem> parse_playlist(std::string_view text) {
    bool truncated = false;
    return parse_playlist(text, truncated);
}

std::string write_m3u(const std::vector<PlaylistItem>& items) {
    std::string out = "#EXTM3U\n";
    for (const auto& item : items) {
        if (!writable_location(item.location)) {
            continue;
        }
        if (!item.title.empty() || whole_seconds(item.duration) >= 0) {
            out += "#EXTINF:" + std::to_string(whole_seconds(item.duration)) + "," +
                   one_line(item.title) + "\n";
        }
        out += written_location(item.location) + "\n";
    }
    return out;
}

std::string write_pls(const std::vector<PlaylistItem>& items) {
    std::string out = "[playlist]\n";
    std::size_t n = 0;
    for (const auto& item : items) {
        if (!writable_location(item.location)) {
            continue;
        }
        const auto number = std::to_string(++n);
        out += "File" + number + "=" + written_location(item.location) + "\n";
        if (!item.title.empty()) {
            out += "Title" + number + "=" + one_line(item.title) + "\n";
        }
        out += "Length" + number + "=" + std::to_string(whole_seconds(item.duration)) + "\n";
    }
    out += "NumberOfEntries=" + std::to_string(n) + "\nVersion=2\n";
    return out;
}

} // namespace tinyice::autodj
