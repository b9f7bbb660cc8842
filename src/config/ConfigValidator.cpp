// validate(): the range and cross-field rules. Runs after environment overrides, so everything
// that depends on the final values (password hashes above all) is checked here, not in the loader.

#include "config/Config.hpp"
#include "config/ValueChecks.hpp"
#include "security/PasswordHash.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cstring>
#include <netinet/in.h>
#include <unordered_map>

namespace tinyice::config {

namespace {

constexpr std::uint32_t max_threads = 1024;
constexpr std::uint32_t min_header_bytes = 1024;
constexpr std::uint32_t max_header_bytes = 65536;
constexpr std::uint32_t min_timeout_ms = 100;
constexpr std::uint32_t min_queue_size = 64 * 1024;
constexpr std::uint32_t max_queue_size = 64 * 1024 * 1024;
constexpr std::uint32_t max_flush_interval_ms = 2000;
constexpr std::uint32_t min_metaint = 256;
constexpr std::uint32_t max_metaint = 1024 * 1024;
constexpr std::size_t max_mount_name_bytes = 255;
constexpr std::size_t max_charset_bytes = 40;

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
    throw ConfigError(path + ": " + problem);
}

std::string index_path(std::string_view array, std::size_t i) {
    return std::string(array) + "[" + std::to_string(i) + "]";
}

void check_at_least(const std::string& path, std::uint64_t value, std::uint64_t min) {
    if (value < min) {
        fail(path,
             "must be at least " + std::to_string(min) + " (got " + std::to_string(value) + ")");
    }
}

void check_at_most(const std::string& path, std::uint64_t value, std::uint64_t max) {
    if (value > max) {
        fail(path,
             "must be at most " + std::to_string(max) + " (got " + std::to_string(value) + ")");
    }
}

void check_range(const std::string& path, std::uint64_t value, std::uint64_t min,
                 std::uint64_t max) {
    check_at_least(path, value, min);
    check_at_most(path, value, max);
}

void check(const std::string& path, const std::string& problem) {
    if (!problem.empty()) {
        fail(path, problem);
    }
}

// Strings that end up in HTTP headers, XML/JSON status output, log lines or file names.
void check_no_control_chars(const std::string& path, std::string_view value) {
    if (detail::has_control_char(value)) {
        fail(path, "must not contain control characters such as newlines (got " +
                       detail::quoted(value) + ")");
    }
}

// The stored value is never echoed: if it is not a hash it may well be a real password.
void check_password_hash(const std::string& path, std::string_view value,
                         std::string_view env_var) {
    if (security::looks_like_hash(value)) {
        return;
    }
    const std::string remedies =
        "put a crypt hash such as \"$y$...\" here (e.g. from 'tinyice hash-password' or "
        "'mkpasswd -m yescrypt'), set " +
        std::string(env_var) +
        "=<password> in the environment, or delete the config file to have it regenerated "
        "with new passwords";
    if (value.empty()) {
        fail(path, "is empty; " + remedies);
    }
    fail(path, "is not a crypt hash (plain-text passwords are not accepted); " + remedies);
}

// One listen entry in binary form, to detect binds that the kernel would refuse as overlapping.
struct Bind {
    int family = AF_INET;
    std::array<unsigned char, 16> bytes{};
    std::uint16_t port = 0;

    [[nodiscard]] bool is_any() const {
        return std::all_of(bytes.begin(), bytes.end(), [](unsigned char b) { return b == 0; });
    }
};

Bind to_bind(const ListenAddress& listen) {
    Bind bind;
    bind.port = listen.port;
    if (inet_pton(AF_INET, listen.address.c_str(), bind.bytes.data()) != 1) {
        bind.family = AF_INET6;
        inet_pton(AF_INET6, listen.address.c_str(), bind.bytes.data());
    }
    return bind;
}

// Linux refuses a second listening socket on the same port when either address covers the
// other: "0.0.0.0" covers every IPv4 address and "::" (dual stack) covers everything.
bool overlaps(const Bind& a, const Bind& b) {
    if (a.port != b.port || a.port == 0) {
        return false;
    }
    if (a.family == b.family && a.bytes == b.bytes) {
        return true;
    }
    const auto covers = [](const Bind& wide, const Bind& other) {
        return wide.is_any() && (wide.family == AF_INET6 || other.family == AF_INET);
    };
    return covers(a, b) || covers(b, a);
}

void validate_listen(const std::vector<ListenAddress>& listen) {
    if (listen.empty()) {
        fail("listen", "at least one address is required, e.g. [{\"address\": \"::\", "
                       "\"port\": 8000}]");
    }
    std::vector<Bind> binds;
    for (std::size_t i = 0; i < listen.size(); ++i) {
        const std::string path = index_path("listen", i);
        check(path + ".address", detail::check_ip_address(listen[i].address));
        Bind bind = to_bind(listen[i]);
        for (std::size_t j = 0; j < binds.size(); ++j) {
            if (overlaps(binds[j], bind)) {
                fail(path, "'" + listen[i].address + "' port " + std::to_string(listen[i].port) +
                               " overlaps " + index_path("listen", j) + " ('" + listen[j].address +
                               "' port " + std::to_string(listen[j].port) +
                               "; \"::\" also accepts IPv4 and \"0.0.0.0\" every IPv4 "
                               "address), so the second bind would fail");
            }
        }
        binds.push_back(bind);
    }
}

void validate_limits(const LimitsConfig& limits) {
    check_at_most("limits.threads", limits.threads, max_threads);
    check_at_least("limits.max_clients", limits.max_clients, 1);
    check_at_least("limits.max_sources", limits.max_sources, 1);
    check_range("limits.max_header_bytes", limits.max_header_bytes, min_header_bytes,
                max_header_bytes);
    check_at_least("limits.header_timeout_ms", limits.header_timeout_ms, min_timeout_ms);
    check_at_least("limits.source_timeout_ms", limits.source_timeout_ms, min_timeout_ms);
    check_range("limits.queue_size", limits.queue_size, min_queue_size, max_queue_size);
    if (limits.burst_size >= limits.queue_size) {
        fail("limits.burst_size", "must be less than limits.queue_size (" +
                                      std::to_string(limits.queue_size) + "; got " +
                                      std::to_string(limits.burst_size) + ")");
    }
    check_at_most("limits.flush_interval_ms", limits.flush_interval_ms, max_flush_interval_ms);
    check_range("limits.metaint", limits.metaint, min_metaint, max_metaint);
    check_at_least("limits.listen_backlog", limits.listen_backlog, 1);
}

// Characters that cannot be part of a mount name because they would not survive the trip
// through a URL (query, fragment, percent-decoding) or a header.
std::string check_mount_name(std::string_view name) {
    if (name.empty()) {
        return "is required (e.g. \"/live\")";
    }
    if (name.front() != '/') {
        return "must start with '/' (got " + detail::quoted(name) + ")";
    }
    if (name == "/") {
        return "must name a mount, not just '/'";
    }
    if (name.size() > max_mount_name_bytes) {
        return "must be at most 255 bytes";
    }
    const bool bad_char = std::any_of(name.begin(), name.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7F || c == '?' || c == '#' || c == '%';
    });
    if (bad_char) {
        return "must not contain whitespace, control characters, '?', '#' or '%' (got " +
               detail::quoted(name) + ")";
    }
    return {};
}

std::string check_charset(std::string_view charset) {
    const bool token = !charset.empty() && charset.size() <= max_charset_bytes &&
                       std::all_of(charset.begin(), charset.end(), [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                  (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                                  c == ':';
                       });
    return token ? std::string()
                 : "must be a charset name such as \"UTF-8\" or \"ISO-8859-1\" (got " +
                       detail::quoted(charset) + ")";
}

void validate_mount(const MountConfig& mount, const LimitsConfig& limits, const std::string& path) {
    check(path + ".name", check_mount_name(mount.name));
    check(path + ".username", detail::check_user_name(mount.username));
    if (!mount.password.empty() && !security::looks_like_hash(mount.password)) {
        fail(path + ".password",
             "is not a crypt hash (plain-text passwords are not accepted); put a hash such as "
             "\"$y$...\" here (e.g. from 'tinyice hash-password' or 'mkpasswd -m yescrypt'), or "
             "leave it empty to use auth.source_password");
    }
    if (mount.queue_size) {
        check_range(path + ".queue_size", *mount.queue_size, min_queue_size, max_queue_size);
    }
    const std::uint32_t queue = mount.queue_size.value_or(limits.queue_size);
    const std::uint32_t burst = mount.burst_size.value_or(limits.burst_size);
    if (burst >= queue) {
        // Name whichever key the operator has to change: the mount's own if it set one.
        const std::string key = mount.burst_size ? path + ".burst_size" : "limits.burst_size";
        fail(key, "must be less than the queue size of " + mount.name + " (" +
                      std::to_string(queue) + "; got " + std::to_string(burst) + ")");
    }
    if (mount.flush_interval_ms) {
        check_at_most(path + ".flush_interval_ms", *mount.flush_interval_ms, max_flush_interval_ms);
    }
    if (mount.metaint) {
        check_range(path + ".metaint", *mount.metaint, min_metaint, max_metaint);
    }
    if (!mount.fallback.empty()) {
        const std::string problem = check_mount_name(mount.fallback);
        if (!problem.empty()) {
            fail(path + ".fallback", "must be empty or a mount name: " + problem);
        }
        if (mount.fallback == mount.name) {
            fail(path + ".fallback",
                 "must differ from the mount's own name " + detail::quoted(mount.name));
        }
    }
    check_no_control_chars(path + ".stream_name", mount.stream_name);
    check(path + ".charset", check_charset(mount.charset));
}

// Fallbacks form a graph where every mount has at most one outgoing edge, so a walk from each
// unvisited mount finds any cycle in linear time overall.
void validate_fallback_cycles(const std::vector<MountConfig>& mounts,
                              const std::unordered_map<std::string_view, std::size_t>& by_name) {
    enum class State { unvisited, on_walk, done };
    std::vector<State> state(mounts.size(), State::unvisited);
    std::vector<std::size_t> walk;
    for (std::size_t start = 0; start < mounts.size(); ++start) {
        walk.clear();
        std::size_t current = start;
        while (state[current] == State::unvisited) {
            state[current] = State::on_walk;
            walk.push_back(current);
            const auto next = by_name.find(mounts[current].fallback);
            if (mounts[current].fallback.empty() || next == by_name.end()) {
                break;
            }
            current = next->second;
            if (state[current] == State::on_walk) {
                const auto cycle_start = std::find(walk.begin(), walk.end(), current);
                std::string chain;
                for (auto it = cycle_start; it != walk.end(); ++it) {
                    chain += mounts[*it].name + " -> ";
                }
                chain += mounts[current].name;
                fail(index_path("mounts", current) + ".fallback",
                     "fallback cycle " + chain + " (listeners would be moved around it forever)");
            }
        }
        for (std::size_t i : walk) {
            state[i] = State::done;
        }
    }
}

void validate_mounts(const std::vector<MountConfig>& mounts, const LimitsConfig& limits) {
    std::unordered_map<std::string_view, std::size_t> by_name;
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        const std::string path = index_path("mounts", i);
        validate_mount(mounts[i], limits, path);
        const auto [it, inserted] = by_name.emplace(mounts[i].name, i);
        if (!inserted) {
            fail(path + ".name", "duplicate mount " + detail::quoted(mounts[i].name) + " (also " +
                                     index_path("mounts", it->second) + ")");
        }
    }
    validate_fallback_cycles(mounts, by_name);
}

} // namespace

void validate(const Config& cfg) {
    validate_listen(cfg.listen);
    check("hostname", detail::check_hostname(cfg.hostname));
    check_no_control_chars("location", cfg.location);
    check_no_control_chars("admin_email", cfg.admin_email);

    check("auth.admin_user", detail::check_user_name(cfg.auth.admin_user));

    validate_limits(cfg.limits);

    // Both are sent as HTTP header values: a newline would let the config inject headers.
    check_no_control_chars("http.cors_allow_origin", cfg.http.cors_allow_origin);
    check_no_control_chars("http.server_header", cfg.http.server_header);

    check("logging.level", detail::check_log_level(cfg.logging.level));
    if (std::find(detail::log_formats.begin(), detail::log_formats.end(), cfg.logging.format) ==
        detail::log_formats.end()) {
        fail("logging.format",
             "must be text or json (got " + detail::quoted(cfg.logging.format) + ")");
    }
    check_no_control_chars("logging.error_log", cfg.logging.error_log);
    check_no_control_chars("logging.access_log", cfg.logging.access_log);

    validate_mounts(cfg.mounts, cfg.limits);

    // Last, so that a file with a typo and no passwords yet (the usual state while writing one)
    // reports the typo first rather than asking for credentials.
    check_password_hash("auth.admin_password", cfg.auth.admin_password, "TINYICE_ADMIN_PASSWORD");
    check_password_hash("auth.source_password", cfg.auth.source_password,
                        "TINYICE_SOURCE_PASSWORD");
}

} // namespace tinyice::config
