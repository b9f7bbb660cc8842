#include "codec/ReplayGain.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace tinyice::codec {
namespace {

constexpr std::string_view unicode_minus = "\xE2\x88\x92"; // U+2212 MINUS SIGN

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\0')) {
        s.remove_suffix(1);
    }
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) {
            return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// A decimal number at the start of `s` (sign already removed), '.' or ',' as the separator;
// `rest` gets what follows it. std::from_chars is locale-independent, unlike strtod.
std::optional<double> leading_number(std::string_view s, std::string_view& rest) {
    std::array<char, 32> buf{};
    std::size_t n = 0;
    while (n < s.size() && n < buf.size() &&
           ((s[n] >= '0' && s[n] <= '9') || s[n] == '.' || s[n] == ',')) {
        buf[n] = s[n] == ',' ? '.' : s[n];
        ++n;
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(buf.data(), buf.data() + n, value);
    if (ec != std::errc() || end != buf.data() + n || n == 0 || !std::isfinite(value)) {
        return std::nullopt;
    }
    rest = s.substr(n);
    return value;
}

} // namespace

std::optional<double> parse_replaygain_gain(std::string_view text) {
    std::string_view s = trim(text);
    bool negative = false;
    if (s.starts_with(unicode_minus)) {
        negative = true;
        s.remove_prefix(unicode_minus.size());
    } else if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    std::string_view rest;
    const auto value = leading_number(trim(s), rest);
    if (!value) {
        return std::nullopt;
    }
    rest = trim(rest);
    if (!rest.empty() && !iequals(rest, "dB") && !iequals(rest, "LU")) {
        return std::nullopt;
    }
    const double gain = negative ? -*value : *value;
    if (std::fabs(gain) > 60) {
        return std::nullopt;
    }
    return gain;
}

std::optional<double> parse_replaygain_peak(std::string_view text) {
    std::string_view rest;
    const auto value = leading_number(trim(text), rest);
    if (!value || !trim(rest).empty() || *value > 100) {
        return std::nullopt;
    }
    return *value;
}

std::optional<double> parse_r128_gain(std::string_view text) {
    std::string_view s = trim(text);
    if (s.starts_with('+')) {
        s.remove_prefix(1);
    }
    int q78 = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), q78);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty() || q78 < -32768 ||
        q78 > 32767) {
        return std::nullopt;
    }
    return q78 / 256.0 + 5.0;
}

} // namespace tinyice::codec
