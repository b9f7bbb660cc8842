#include "protocol/mpd/Arguments.hpp"

#include "protocol/mpd/Ack.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

namespace tinyice::protocol::mpd {

namespace {

[[noreturn]] void fail(std::string_view what, std::string_view value) {
    throw CommandError(Ack::arg, std::string(what) + ": " + std::string(value));
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Digits with at most one '.', and at least one digit ("12", "12.5", ".5", "12.").
bool is_decimal(std::string_view s) {
    bool digit = false;
    bool dot = false;
    for (char c : s) {
        if (c >= '0' && c <= '9') {
            digit = true;
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            return false;
        }
    }
    return digit;
}

} // namespace

std::uint64_t parse_unsigned(std::string_view s, std::uint64_t max) {
    if (!all_digits(s)) {
        fail("Integer expected", s);
    }
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc::result_out_of_range || value > max) {
        fail("Number too large", s);
    }
    if (ec != std::errc{} || end != s.data() + s.size()) {
        fail("Integer expected", s);
    }
    return value;
}

std::int64_t parse_integer(std::string_view s, std::int64_t min, std::int64_t max) {
    bool negative = false;
    std::string_view digits = s;
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
        negative = digits.front() == '-';
        digits.remove_prefix(1);
    }
    if (!all_digits(digits)) {
        fail("Integer expected", s);
    }
    std::uint64_t magnitude = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
    if (ec != std::errc{} || magnitude > std::uint64_t{1} << 62U) {
        fail("Number too large", s);
    }
    const auto value =
        negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
    if (value < min || value > max) {
        fail("Number out of range", s);
    }
    return value;
}

bool parse_bool(std::string_view s) {
    if (s == "0") {
        return false;
    }
    if (s == "1") {
        return true;
    }
    fail("Boolean (0/1) expected", s);
}

double parse_seconds(std::string_view s, double max) {
    if (!is_decimal(s)) {
        fail("Number expected", s);
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(value)) {
        fail("Number expected", s);
    }
    if (value > max) {
        fail("Number too large", s);
    }
    return value;
}

TimeOffset parse_time_offset(std::string_view s) {
    TimeOffset out;
    std::string_view number = s;
    bool negative = false;
    if (!number.empty() && (number.front() == '+' || number.front() == '-')) {
        out.relative = true;
        negative = number.front() == '-';
        number.remove_prefix(1);
    }
    try {
        out.seconds = parse_seconds(number);
    } catch (const CommandError&) {
        fail("Number expected", s);
    }
    if (negative) {
        out.seconds = -out.seconds;
    }
    return out;
}

Range Range::clamped(std::size_t size) const {
    Range r;
    r.start = std::min(start, size);
    r.end = std::clamp(end, r.start, size);
    return r;
}

Range parse_range(std::string_view s) {
    if (s == "-1") {
        return Range{};
    }
    const auto colon = s.find(':');
    if (colon == std::string_view::npos) {
        const auto pos = parse_unsigned(s);
        return Range{static_cast<std::size_t>(pos), static_cast<std::size_t>(pos) + 1};
    }
    Range r;
    r.start = static_cast<std::size_t>(parse_unsigned(s.substr(0, colon)));
    const auto end = s.substr(colon + 1);
    if (!end.empty()) {
        r.end = static_cast<std::size_t>(parse_unsigned(end));
        if (r.end < r.start) {
            fail("Bad range", s);
        }
    }
    return r;
}

} // namespace tinyice::protocol::mpd
