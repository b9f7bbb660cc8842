#include "protocol/mpd/Idle.hpp"

#include <array>

namespace tinyice::protocol::mpd {

namespace {

constexpr std::array<std::string_view, 14> names = {
    "database",  "stored_playlist", "playlist", "player",       "mixer",   "output",   "options",
    "partition", "sticker",         "update",   "subscription", "message", "neighbor", "mount",
};

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c != b[i]) {
            return false;
        }
    }
    return true;
}

} // namespace

std::optional<Idle> parse_idle_subsystem(std::string_view name) {
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (equals_ignore_case(name, names[i])) {
            return static_cast<Idle>(1U << i);
        }
    }
    return std::nullopt;
}

std::vector<std::string_view> idle_names(unsigned mask) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if ((mask & (1U << i)) != 0) {
            out.push_back(names[i]);
        }
    }
    return out;
}

std::string format_idle_changes(unsigned mask) {
    std::string out;
    for (auto name : idle_names(mask)) {
        out += "changed: ";
        out += name;
        out += '\n';
    }
    return out;
}

} // namespace tinyice::protocol::mpd
