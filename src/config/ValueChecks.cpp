#include "config/ValueChecks.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <netinet/in.h>

namespace tinyice::config::detail {

bool has_control_char(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7F;
    });
}

std::string quoted(std::string_view value) {
    constexpr std::size_t max_shown = 64;
    std::string out = "'";
    for (char c : value.substr(0, max_shown)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) {
            out += '?'; // never echo raw control bytes into a terminal or log
        } else {
            out += c;
        }
    }
    if (value.size() > max_shown) {
        out += "...";
    }
    out += '\'';
    return out;
}

std::string check_ip_address(std::string_view address) {
    const std::string copy(address); // inet_pton needs a NUL-terminated string
    in_addr v4{};
    in6_addr v6{};
    if (copy.find('\0') == std::string::npos && (inet_pton(AF_INET, copy.c_str(), &v4) == 1 ||
                                                 inet_pton(AF_INET6, copy.c_str(), &v6) == 1)) {
        return {};
    }
    return "not an IP address: " + quoted(address) +
           " (use \"::\" for all interfaces, \"0.0.0.0\" for IPv4 only, or a literal such as "
           "\"127.0.0.1\" or \"::1\"; host names and [brackets] are not accepted)";
}

std::string check_hostname(std::string_view hostname) {
    if (hostname.empty()) {
        return "must not be empty";
    }
    if (hostname.size() > 255) {
        return "must be at most 255 bytes";
    }
    if (has_control_char(hostname) || hostname.find(' ') != std::string_view::npos) {
        return "must not contain spaces or control characters (got " + quoted(hostname) + ")";
    }
    return {};
}

std::string check_user_name(std::string_view user) {
    if (user.empty()) {
        return "must not be empty";
    }
    if (user.size() > 255) {
        return "must be at most 255 bytes";
    }
    if (user.find(':') != std::string_view::npos) {
        return "must not contain ':' (HTTP Basic auth separates user and password with it)";
    }
    if (has_control_char(user)) {
        return "must not contain control characters";
    }
    return {};
}

std::string check_log_level(std::string_view level) {
    if (std::find(log_levels.begin(), log_levels.end(), level) != log_levels.end()) {
        return {};
    }
    std::string all;
    for (std::string_view l : log_levels) {
        all += (all.empty() ? "" : ", ");
        all += l;
    }
    return "must be one of " + all + " (got " + quoted(level) + ")";
}

} // namespace tinyice::config::detail
