#pragma once
// Cookie request headers in, Set-Cookie header values out (RFC 6265). Pure functions.
//
// Reading is lenient because browsers are: whatever a script managed to store comes back. The
// session cookie TinyIce reads is one it wrote itself with format_set_cookie, which is strict so
// that nothing a caller passes can break out of the header.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyice::protocol::http {

inline constexpr std::size_t max_cookies = 64;        // later cookies are ignored
inline constexpr std::size_t max_cookie_bytes = 4096; // longer names or values are skipped

// Cookie request header (RFC 6265 5.4, lenient): "a=1; b=2". Values may be quoted; invalid
// pairs skipped; at most 64 cookies, names/values capped at 4096 bytes.
// In detail: pairs are split at ';', spaces and tabs around names and values are dropped, one
// pair of surrounding double quotes is removed from a value. A pair is skipped when it has no
// '=', its name is not an RFC 9110 token, its value holds a control character, or either is
// longer than max_cookie_bytes (a cut-off session id would be a wrong one, not a shorter one).
// Values are otherwise taken as sent (spaces, commas, UTF-8). Duplicates are kept in order.
std::vector<std::pair<std::string, std::string>> parse_cookies(std::string_view header);

// The value of the first valid cookie called `name` (case-sensitive), judged as parse_cookies
// does (so it finds nothing past the first max_cookies valid pairs).
std::optional<std::string> find_cookie(std::string_view header, std::string_view name);

struct SetCookie {
    std::string name, value, path = "/";
    std::optional<std::int64_t> max_age; // seconds; 0 (or negative) deletes the cookie
    bool http_only = true, secure = false;
    std::string same_site = "Strict"; // "Strict", "Lax", "None" (any case), or "" to omit
};

// The Set-Cookie header value, e.g. "sid=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict".
// Throws std::invalid_argument (a programming error, not bad client input) when the name is
// not a token, the value holds anything but RFC 6265 cookie-octets (no spaces, quotes, commas,
// ';' or '\'), either exceeds max_cookie_bytes, the path is not empty or "/..." without control
// characters and ';', same_site is unknown, SameSite=None lacks Secure (browsers drop such a
// cookie), or a "__Secure-" / "__Host-" name breaks its prefix's rules (Secure; and Path=/).
std::string format_set_cookie(const SetCookie& c); // the Set-Cookie header value

} // namespace tinyice::protocol::http
