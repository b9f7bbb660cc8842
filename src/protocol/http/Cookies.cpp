#include "protocol/http/Cookies.hpp"

#include "protocol/http/Ascii.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace tinyice::protocol::http {

namespace {

struct CookieView {
    std::string_view name;
    std::string_view value;
};

// Returns nullopt for a piece that is not a valid pair.
std::optional<CookieView> parse_pair(std::string_view piece) {
    const auto eq = piece.find('=');
    if (eq == std::string_view::npos) {
        return std::nullopt;
    }
    const auto name = trim_ows(piece.substr(0, eq));
    auto value = trim_ows(piece.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
    }
    if (!is_token(name) || name.size() > max_cookie_bytes || value.size() > max_cookie_bytes ||
        std::any_of(value.begin(), value.end(), is_ctl)) {
        return std::nullopt;
    }
    return CookieView{name, value};
}

// Calls visit(CookieView) for each valid pair, at most max_cookies times, until it returns true.
template <typename Visit>
void for_each_cookie(std::string_view header, Visit visit) {
    std::size_t found = 0;
    while (found < max_cookies) {
        const auto semi = header.find(';');
        const auto piece = header.substr(0, semi);
        if (const auto cookie = parse_pair(piece)) {
            ++found;
            if (visit(*cookie)) {
                return;
            }
        }
        if (semi == std::string_view::npos) {
            return;
        }
        header.remove_prefix(semi + 1);
    }
}

// RFC 6265 4.1.1 cookie-octet: visible ASCII except DQUOTE, ',', ';' and '\'.
constexpr bool is_cookie_octet(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

} // namespace

std::vector<std::pair<std::string, std::string>> parse_cookies(std::string_view header) {
    std::vector<std::pair<std::string, std::string>> out;
    for_each_cookie(header, [&](const CookieView& c) {
        out.emplace_back(std::string(c.name), std::string(c.value));
        return false;
    });
    return out;
}

std::optional<std::string> find_cookie(std::string_view header, std::string_view name) {
    std::optional<std::string> out;
    for_each_cookie(header, [&](const CookieView& c) {
        if (c.name != name) {
            return false;
        }
        out.emplace(c.value);
        return true;
    });
    return out;
}

std::string format_set_cookie(const SetCookie& c) {
    if (!is_token(c.name) || c.name.size() > max_cookie_bytes) {
        throw std::invalid_argument("Set-Cookie: the cookie name must be a non-empty token");
    }
    if (c.value.size() > max_cookie_bytes ||
        !std::all_of(c.value.begin(), c.value.end(), is_cookie_octet)) {
        throw std::invalid_argument(fmt::format(
            "Set-Cookie: the value of cookie '{}' holds characters a cookie cannot carry", c.name));
    }
    if (!c.path.empty() && (c.path.front() != '/' || c.path.find(';') != std::string::npos ||
                            std::any_of(c.path.begin(), c.path.end(), is_ctl))) {
        throw std::invalid_argument(fmt::format(
            "Set-Cookie: the path of cookie '{}' must start with '/' and hold no ';' or "
            "control characters",
            c.name));
    }
    std::string_view same_site;
    if (iequals(c.same_site, "Strict")) {
        same_site = "Strict";
    } else if (iequals(c.same_site, "Lax")) {
        same_site = "Lax";
    } else if (iequals(c.same_site, "None")) {
        same_site = "None";
    } else if (!c.same_site.empty()) {
        throw std::invalid_argument(fmt::format(
            "Set-Cookie: SameSite of cookie '{}' must be Strict, Lax, None or empty", c.name));
    }
    if (same_site == "None" && !c.secure) {
        throw std::invalid_argument(fmt::format(
            "Set-Cookie: cookie '{}' has SameSite=None, which browsers accept only with Secure",
            c.name));
    }
    // RFC 6265bis 4.1.3: browsers refuse prefixed cookies that break the prefix's promise.
    if ((starts_with_ci(c.name, "__Secure-") || starts_with_ci(c.name, "__Host-")) && !c.secure) {
        throw std::invalid_argument(
            fmt::format("Set-Cookie: cookie '{}' needs Secure because of its name prefix", c.name));
    }
    if (starts_with_ci(c.name, "__Host-") && c.path != "/") {
        throw std::invalid_argument(fmt::format(
            "Set-Cookie: cookie '{}' needs Path=/ because of its __Host- prefix", c.name));
    }

    std::string out = c.name;
    out += '=';
    out += c.value;
    if (!c.path.empty()) {
        out += "; Path=";
        out += c.path;
    }
    if (c.max_age) {
        fmt::format_to(std::back_inserter(out), "; Max-Age={}",
                       std::max<std::int64_t>(*c.max_age, 0));
    }
    if (c.secure) {
        out += "; Secure";
    }
    if (c.http_only) {
        out += "; HttpOnly";
    }
    if (!same_site.empty()) {
        out += "; SameSite=";
        out += same_site;
    }
    return out;
}

} // namespace tinyice::protocol::http
