// validate(): the range and cross-field rules. Runs after environment overrides, so everything
// that depends on the final values (password hashes above all) is checked here, not in the loader.

#include "config/Config.hpp"
#include "config/ValueChecks.hpp"
#include "security/IpNetwork.hpp"
#include "security/PasswordHash.hpp"

#include <fmt/format.h>

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

// A duration in minutes, fractions allowed: 0 (off) or 1 second to a year.
void check_minutes(const std::string& path, double minutes) {
    if (!(minutes == 0 || (minutes >= 1.0 / 60 && minutes <= 525600))) {
        fail(path, "must be 0 or from 0.0167 (one second) to 525600 minutes (got " +
                       fmt::format("{}", minutes) + ")");
    }
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

} // namespace

void validate_mount(const MountConfig& mount, const LimitsConfig& limits,
                    const std::string& prefix) {
    const std::string path = prefix.empty() ? std::string() : prefix + ".";
    check(path + "name", check_mount_name(mount.name));
    check(path + "username", detail::check_user_name(mount.username));
    if (!mount.password.empty() && !security::looks_like_hash(mount.password)) {
        fail(path + "password",
             "is not a crypt hash (plain-text passwords are not accepted); put a hash such as "
             "\"$y$...\" here (e.g. from 'tinyice hash-password' or 'mkpasswd -m yescrypt'), or "
             "leave it empty to use auth.source_password");
    }
    if (mount.queue_size) {
        check_range(path + "queue_size", *mount.queue_size, min_queue_size, max_queue_size);
    }
    const std::uint32_t queue = mount.queue_size.value_or(limits.queue_size);
    const std::uint32_t burst = mount.burst_size.value_or(limits.burst_size);
    if (burst >= queue) {
        // Name whichever key the operator has to change: the mount's own if it set one.
        const std::string key = mount.burst_size ? path + "burst_size" : "limits.burst_size";
        fail(key, "must be less than the queue size of " + mount.name + " (" +
                      std::to_string(queue) + "; got " + std::to_string(burst) + ")");
    }
    if (mount.flush_interval_ms) {
        check_at_most(path + "flush_interval_ms", *mount.flush_interval_ms, max_flush_interval_ms);
    }
    if (mount.metaint) {
        check_range(path + "metaint", *mount.metaint, min_metaint, max_metaint);
    }
    if (!mount.fallback.empty()) {
        const std::string problem = check_mount_name(mount.fallback);
        if (!problem.empty()) {
            fail(path + "fallback", "must be empty or a mount name: " + problem);
        }
        if (mount.fallback == mount.name) {
            fail(path + "fallback",
                 "must differ from the mount's own name " + detail::quoted(mount.name));
        }
    }
    check_no_control_chars(path + "stream_name", mount.stream_name);
    check(path + "charset", check_charset(mount.charset));
}

namespace {

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

// IP addresses or CIDR networks ("10.0.0.0/8", "2001:db8::/32", "::1").
void check_networks(const std::string& path, const std::vector<std::string>& values) {
    if (values.size() > 10000) {
        fail(path, "at most 10000 entries (use wider networks)");
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::string error;
        if (!security::IpNetwork::parse(values[i], &error)) {
            fail(path + "[" + std::to_string(i) + "]",
                 "not an IP address or network: " + detail::quoted(values[i]) +
                     (error.empty() ? "" : " (" + error + ")"));
        }
    }
}

// Station and transcoder names end up in URLs (/api/autodj/<name>), log lines and file names.
std::string check_object_name(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        return "must be 1 to 64 characters (got " + detail::quoted(name) + ")";
    }
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok) {
            return "may only contain letters, digits, '-', '_' and '.' (got " +
                   detail::quoted(name) + ")";
        }
    }
    return {};
}

constexpr std::array<std::uint32_t, 18> mp3_bitrates{8,  16,  24,  32,  40,  48,  56,  64,  80,
                                                     96, 112, 128, 144, 160, 192, 224, 256, 320};
constexpr std::array<std::uint32_t, 9> sample_rates{8000,  11025, 12000, 16000, 22050,
                                                    24000, 32000, 44100, 48000};

std::string check_format(std::string_view format) {
    if (format == "mp3" || format == "opus" || format == "vorbis" || format == "aac") {
        return {};
    }
    return "must be mp3, opus, vorbis or aac (got " + detail::quoted(format) + ")";
}

std::string check_bitrate(std::string_view format, std::uint32_t kbps) {
    const auto range = [kbps](std::uint32_t lo, std::uint32_t hi) -> std::string {
        if (kbps < lo || kbps > hi) {
            return "must be " + std::to_string(lo) + " to " + std::to_string(hi) + " kbps (got " +
                   std::to_string(kbps) + ")";
        }
        return {};
    };
    if (format == "mp3") {
        if (std::find(mp3_bitrates.begin(), mp3_bitrates.end(), kbps) == mp3_bitrates.end()) {
            return "must be an MP3 bitrate: 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, "
                   "144, 160, 192, 224, 256 or 320 (got " +
                   std::to_string(kbps) + ")";
        }
        return {};
    }
    if (format == "aac") {
        return range(16, 320);
    }
    if (format == "opus") {
        return range(6, 510);
    }
    return range(32, 500); // vorbis
}

void check_audio_format(const std::string& path, std::string_view format, std::uint32_t sample_rate,
                        std::uint32_t channels) {
    if (sample_rate != 0 &&
        std::find(sample_rates.begin(), sample_rates.end(), sample_rate) == sample_rates.end()) {
        fail(path + ".sample_rate",
             "must be 0 (automatic) or one of 8000, 11025, 12000, 16000, 22050, 24000, 32000, "
             "44100, 48000 (got " +
                 std::to_string(sample_rate) + ")");
    }
    if (format == "opus" && sample_rate != 0 && sample_rate != 48000) {
        fail(path + ".sample_rate", "Opus always runs at 48000 Hz: use 0 or 48000 (got " +
                                        std::to_string(sample_rate) + ")");
    }
    check_range(path + ".channels", channels, 1, 2);
}

void validate_hook(const HookConfig& hook, const std::string& path) {
    if (hook.command.empty()) {
        return;
    }
    if (hook.command.front().empty()) {
        fail(path + ".command[0]", "must name a program (an empty command list means no hook)");
    }
    if (hook.command.size() > 64) {
        fail(path + ".command", "at most 64 arguments");
    }
    for (std::size_t i = 0; i < hook.command.size(); ++i) {
        if (hook.command[i].find('\0') != std::string::npos || hook.command[i].size() > 4096) {
            fail(path + ".command[" + std::to_string(i) + "]",
                 "must not contain NUL bytes or be longer than 4096 bytes");
        }
    }
    check_range(path + ".timeout_ms", hook.timeout_ms, 100, 600000);
}

std::vector<std::string> ladder_names(const TranscoderConfig& t) {
    std::vector<std::string> out;
    const std::string base = t.output.empty() ? t.input : t.output;
    if (t.ladder.empty()) {
        out.push_back(base);
    } else {
        for (auto b : t.ladder) {
            out.push_back(base + "-" + std::to_string(b));
        }
    }
    return out;
}

void validate_autodjs(const Config& cfg) {
    std::unordered_map<std::string_view, std::size_t> names;
    std::unordered_map<std::string_view, std::size_t> mounts;
    std::unordered_map<std::uint16_t, std::size_t> mpd_ports;
    for (std::size_t i = 0; i < cfg.autodj.size(); ++i) {
        const auto& a = cfg.autodj[i];
        const std::string path = index_path("autodj", i);
        validate_autodj(a, path);
        if (auto [it, ok] = names.emplace(a.name, i); !ok) {
            fail(path + ".name", "duplicate AutoDJ name " + detail::quoted(a.name) + " (also " +
                                     index_path("autodj", it->second) + ")");
        }
        if (auto [it, ok] = mounts.emplace(a.mount, i); !ok) {
            fail(path + ".mount", "mount " + detail::quoted(a.mount) + " is already fed by " +
                                      index_path("autodj", it->second));
        }
        if (a.mpd.enabled && a.mpd.port != 0) {
            if (auto [it, ok] = mpd_ports.emplace(a.mpd.port, i); !ok) {
                fail(path + ".mpd.port", "port " + std::to_string(a.mpd.port) +
                                             " is already used by " +
                                             index_path("autodj", it->second) + ".mpd");
            }
            for (const auto& l : cfg.listen) {
                if (l.port == a.mpd.port) {
                    fail(path + ".mpd.port",
                         "port " + std::to_string(a.mpd.port) + " is the HTTP listen port");
                }
            }
        }
    }
    std::unordered_map<std::string, std::string> outputs;
    for (std::size_t i = 0; i < cfg.transcoders.size(); ++i) {
        const auto& t = cfg.transcoders[i];
        const std::string path = index_path("transcoders", i);
        validate_transcoder(t, path);
        if (auto [it, ok] = names.emplace(t.name, i); !ok) {
            fail(path + ".name", "duplicate name " + detail::quoted(t.name) +
                                     " (AutoDJ stations and transcoders share one namespace)");
        }
        for (const auto& out : ladder_names(t)) {
            if (mounts.count(out) != 0) {
                fail(path + ".output", "mount " + detail::quoted(out) + " is fed by an AutoDJ");
            }
            if (auto [it, ok] = outputs.emplace(out, path); !ok) {
                fail(path + ".output",
                     "mount " + detail::quoted(out) + " is already fed by " + it->second);
            }
        }
    }
}

} // namespace

std::vector<std::string> TranscoderConfig::output_mounts() const {
    return ladder_names(*this);
}

void validate_autodj(const AutoDjConfig& a, const std::string& path) {
    const std::string p = path.empty() ? std::string() : path + ".";
    check(p + "name", check_object_name(a.name));
    check(p + "mount", check_mount_name(a.mount));
    if (a.music_dir.empty()) {
        fail(p + "music_dir", "is required: the folder with the music to play");
    }
    check_no_control_chars(p + "music_dir", a.music_dir);
    check(p + "format", check_format(a.format));
    check(p + "bitrate", check_bitrate(a.format, a.bitrate));
    check_audio_format(p.empty() ? "autodj" : path, a.format, a.sample_rate, a.channels);
    if (!(a.crossfade >= 0 && a.crossfade <= 30)) {
        fail(p + "crossfade", "must be 0 to 30 seconds (got " + std::to_string(a.crossfade) + ")");
    }
    if (!(a.target_lufs >= -40 && a.target_lufs <= -5)) {
        fail(p + "target_lufs",
             "must be -40 to -5 LUFS (got " + std::to_string(a.target_lufs) + ")");
    }
    check_at_most(p + "volume", a.volume, 100);
    check_no_control_chars(p + "playlist", a.playlist);
    validate_hook(a.next_track, p + "next_track");
    validate_hook(a.on_play, p + "on_play");
    check(p + "mpd.address", detail::check_ip_address(a.mpd.address));
    if (!a.mpd.password.empty() && !security::looks_like_hash(a.mpd.password)) {
        fail(p + "mpd.password",
             "is not a crypt hash (plain-text passwords are not accepted); use 'tinyice "
             "hash-password' to make one");
    }
    check_no_control_chars(p + "stream_name", a.stream_name);
    check_no_control_chars(p + "description", a.description);
    check_no_control_chars(p + "genre", a.genre);
    check_no_control_chars(p + "url", a.url);
}

void validate_transcoder(const TranscoderConfig& t, const std::string& path) {
    const std::string p = path.empty() ? std::string() : path + ".";
    check(p + "name", check_object_name(t.name));
    check(p + "input", check_mount_name(t.input));
    if (!t.output.empty()) {
        check(p + "output", check_mount_name(t.output));
    }
    check(p + "format", check_format(t.format));
    if (t.ladder.empty()) {
        check(p + "bitrate", check_bitrate(t.format, t.bitrate));
        if (t.output.empty() || t.output == t.input) {
            fail(p + "output", "must name a mount other than the input " + detail::quoted(t.input) +
                                   " (or use a ladder)");
        }
    } else {
        if (t.ladder.size() > 8) {
            fail(p + "ladder", "at most 8 bitrates");
        }
        for (std::size_t i = 0; i < t.ladder.size(); ++i) {
            check(p + "ladder[" + std::to_string(i) + "]", check_bitrate(t.format, t.ladder[i]));
            for (std::size_t j = 0; j < i; ++j) {
                if (t.ladder[j] == t.ladder[i]) {
                    fail(p + "ladder[" + std::to_string(i) + "]",
                         "duplicate bitrate " + std::to_string(t.ladder[i]));
                }
            }
        }
        for (const auto& out : ladder_names(t)) {
            check(p + "output", check_mount_name(out));
        }
    }
    check_audio_format(p.empty() ? "transcoder" : path, t.format, t.sample_rate, t.channels);
    check_no_control_chars(p + "stream_name", t.stream_name);
}

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
    check_networks("http.trusted_proxies", cfg.http.trusted_proxies);
    check_range("http.session_idle_minutes", cfg.http.session_idle_minutes, 1, 525600);
    check_range("http.session_max_hours", cfg.http.session_max_hours, 1, 8760);

    const SecurityConfig& sec = cfg.security;
    check_at_most("security.login_failures", sec.login_failures, 1000);
    check_range("security.login_window_s", sec.login_window_s, 1, 86400);
    check_minutes("security.lockout_minutes", sec.lockout_minutes);
    check_at_most("security.scan_404s", sec.scan_404s, 1000);
    check_range("security.scan_window_s", sec.scan_window_s, 1, 86400);
    check_minutes("security.scan_lockout_minutes", sec.scan_lockout_minutes);
    check_networks("security.banned", sec.banned);
    check_networks("security.allowed", sec.allowed);
    if (sec.allow_only && sec.allowed.empty()) {
        fail("security.allow_only",
             "is true but security.allowed is empty: nobody could connect (add at least your "
             "own address, e.g. \"127.0.0.1\")");
    }

    check("logging.level", detail::check_log_level(cfg.logging.level));
    if (std::find(detail::log_formats.begin(), detail::log_formats.end(), cfg.logging.format) ==
        detail::log_formats.end()) {
        fail("logging.format",
             "must be text or json (got " + detail::quoted(cfg.logging.format) + ")");
    }
    check_no_control_chars("logging.error_log", cfg.logging.error_log);
    check_no_control_chars("logging.access_log", cfg.logging.access_log);

    validate_mounts(cfg.mounts, cfg.limits);

    check_no_control_chars("storage.database", cfg.storage.database);
    if (cfg.storage.database.empty()) {
        fail("storage.database", "is required (a file name such as \"tinyice.db\")");
    }
    validate_autodjs(cfg);

    // Last, so that a file with a typo and no passwords yet (the usual state while writing one)
    // reports the typo first rather than asking for credentials.
    check_password_hash("auth.admin_password", cfg.auth.admin_password, "TINYICE_ADMIN_PASSWORD");
    check_password_hash("auth.source_password", cfg.auth.source_password,
                        "TINYICE_SOURCE_PASSWORD");
}

} // namespace tinyice::config
