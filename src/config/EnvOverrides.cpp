// TINYICE_* environment overrides, for containers and systemd units that keep secrets and
// ports out of the config file.

#include "config/Config.hpp"
#include "config/ValueChecks.hpp"
#include "security/PasswordHash.hpp"

#include <charconv>

namespace tinyice::config {

namespace {

[[noreturn]] void fail(std::string_view variable, const std::string& problem) {
    throw ConfigError(std::string(variable) + ": " + problem);
}

void check(std::string_view variable, const std::string& problem) {
    if (!problem.empty()) {
        fail(variable, problem);
    }
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view space = " \t\r\n";
    const std::size_t first = s.find_first_not_of(space);
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

std::uint16_t parse_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    // from_chars alone would accept "80abc" as 80; a port must be all digits.
    if (ec != std::errc() || end != text.data() + text.size() || value > 65535) {
        fail("TINYICE_PORT",
             "must be a port number from 0 to 65535 (got " + detail::quoted(text) + ")");
    }
    return static_cast<std::uint16_t>(value);
}

// Plain text is hashed here so that only the hash lives in memory past startup; a value that is
// already a hash (e.g. from a secrets store) is taken as is.
std::string password_from_env(std::string_view variable, std::string_view value) {
    if (security::looks_like_hash(value)) {
        return std::string(value);
    }
    try {
        return security::hash_password(value);
    } catch (const std::runtime_error& e) {
        fail(variable, std::string("cannot be hashed: ") + e.what());
    }
}

} // namespace

std::vector<std::string>
apply_env_overrides(Config& cfg, const std::function<const char*(const char*)>& getenv) {
    std::vector<std::string> applied;
    // Work on a copy so that a bad variable leaves the caller's config untouched.
    Config next = cfg;
    const auto value_of = [&](const char* variable) -> std::string_view {
        const char* value = getenv(variable);
        if (value == nullptr || *value == '\0') {
            return {};
        }
        applied.emplace_back(variable);
        return value;
    };

    if (std::string_view user = value_of("TINYICE_ADMIN_USER"); !user.empty()) {
        check("TINYICE_ADMIN_USER", detail::check_user_name(user));
        next.auth.admin_user = user;
    }
    if (std::string_view pw = value_of("TINYICE_ADMIN_PASSWORD"); !pw.empty()) {
        next.auth.admin_password = password_from_env("TINYICE_ADMIN_PASSWORD", pw);
    }
    if (std::string_view pw = value_of("TINYICE_SOURCE_PASSWORD"); !pw.empty()) {
        next.auth.source_password = password_from_env("TINYICE_SOURCE_PASSWORD", pw);
    }
    if (std::string_view port_text = value_of("TINYICE_PORT"); !port_text.empty()) {
        const std::uint16_t port = parse_port(trim(port_text));
        for (ListenAddress& listen : next.listen) {
            listen.port = port;
        }
    }
    if (std::string_view bind = value_of("TINYICE_BIND"); !bind.empty()) {
        const std::uint16_t port =
            next.listen.empty() ? ListenAddress{}.port : next.listen.front().port;
        std::vector<ListenAddress> listen;
        while (true) {
            const std::size_t comma = bind.find(',');
            const std::string_view address = trim(bind.substr(0, comma));
            if (address.empty()) {
                fail("TINYICE_BIND", "empty address in the list (expected e.g. \"::\" or "
                                     "\"0.0.0.0,::1\")");
            }
            check("TINYICE_BIND", detail::check_ip_address(address));
            listen.push_back(ListenAddress{.address = std::string(address), .port = port});
            if (comma == std::string_view::npos) {
                break;
            }
            bind.remove_prefix(comma + 1);
        }
        next.listen = std::move(listen);
    }
    if (std::string_view hostname = value_of("TINYICE_HOSTNAME"); !hostname.empty()) {
        check("TINYICE_HOSTNAME", detail::check_hostname(hostname));
        next.hostname = hostname;
    }
    if (std::string_view level = value_of("TINYICE_LOG_LEVEL"); !level.empty()) {
        check("TINYICE_LOG_LEVEL", detail::check_log_level(level));
        next.logging.level = level;
    }

    cfg = std::move(next);
    return applied;
}

} // namespace tinyice::config
