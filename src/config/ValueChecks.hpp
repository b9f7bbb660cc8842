#pragma once
// Internal to src/config: value checks shared by validate() and the environment overrides, so a
// bad value gets the same explanation whether it came from the file or from a variable.
// Each returns an empty string when the value is fine, else the problem (without the key name).

#include <array>
#include <string>
#include <string_view>

namespace tinyice::config::detail {

inline constexpr std::array<std::string_view, 7> log_levels{"trace", "debug",    "info", "warn",
                                                            "error", "critical", "off"};
inline constexpr std::array<std::string_view, 2> log_formats{"text", "json"};

// An IPv4 or IPv6 literal as inet_pton reads it (no brackets, no zone id, no host names).
std::string check_ip_address(std::string_view address);
std::string check_hostname(std::string_view hostname);
// A name used in HTTP Basic auth: non-empty, no ':' and no control characters.
std::string check_user_name(std::string_view user);
std::string check_log_level(std::string_view level);

// True for bytes below 0x20 and DEL: they must never reach an HTTP header, a log line or a
// C string.
bool has_control_char(std::string_view s);

// `value` quoted for an error message, cut short so one bad value cannot flood the log.
std::string quoted(std::string_view value);

} // namespace tinyice::config::detail
