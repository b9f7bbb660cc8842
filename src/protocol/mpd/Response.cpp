#include "protocol/mpd/Response.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ctime>

namespace tinyice::protocol::mpd {

std::string iso8601_utc(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    if (gmtime_r(&t, &tm) == nullptr) {
        return "1970-01-01T00:00:00Z";
    }
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool Response::room_for(std::size_t bytes) {
    if (overflowed_ || text_.size() + bytes > max_bytes_) {
        overflowed_ = true;
        return false;
    }
    return true;
}

void Response::add(std::string_view key, std::string_view value) {
    if (!room_for(key.size() + value.size() + 3)) {
        return;
    }
    text_ += key;
    text_ += ": ";
    const std::size_t start = text_.size();
    text_ += value;
    for (std::size_t i = start; i < text_.size(); ++i) {
        const auto c = static_cast<unsigned char>(text_[i]);
        if (c < 0x20 || c == 0x7f) {
            text_[i] = ' ';
        }
    }
    text_ += '\n';
}

void Response::add(std::string_view key, std::uint64_t value) {
    add(key, fmt::format("{}", value));
}

void Response::add(std::string_view key, std::int64_t value) {
    add(key, fmt::format("{}", value));
}

void Response::add_fixed(std::string_view key, double value, int decimals) {
    if (!std::isfinite(value)) {
        value = 0;
    }
    add(key, fmt::format("{:.{}f}", value, decimals));
}

void Response::add_song(const Song& song, TagMask tags, std::optional<std::size_t> position,
                        std::optional<std::uint64_t> id) {
    add("file", song.file);
    if (song.mtime > 0) {
        add("Last-Modified", iso8601_utc(song.mtime));
    }
    if (!song.format.empty()) {
        add("Format", song.format);
    }
    for (std::size_t i = 0; i < tag_count; ++i) {
        const auto tag = static_cast<Tag>(i);
        if ((tags & tag_bit(tag)) == 0) {
            continue;
        }
        const auto value = raw_tag_value(song, tag);
        if (!value.empty()) {
            add(tag_name(tag), value);
        }
    }
    if (song.duration > 0) {
        add("Time", static_cast<std::uint64_t>(std::llround(song.duration)));
        add_fixed("duration", song.duration);
    }
    if (position) {
        add("Pos", static_cast<std::uint64_t>(*position));
    }
    if (id) {
        add("Id", *id);
    }
}

void Response::raw(std::string_view text) {
    text_ += text;
}

void Response::truncate(std::size_t mark) {
    if (mark < text_.size()) {
        text_.resize(mark);
    }
    overflowed_ = false;
}

std::string Response::take() {
    std::string out = std::move(text_);
    text_.clear();
    overflowed_ = false;
    return out;
}

} // namespace tinyice::protocol::mpd
