// JSON -> Config. This stage checks syntax, unknown and duplicate keys, JSON types, negative
// numbers, fractions and values too large for their field; ranges and cross-field rules are
// validate()'s job, so environment overrides can be applied in between.

#include "config/Config.hpp"
#include "config/JsonDocument.hpp"
#include "config/ValueChecks.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <concepts>
#include <fcntl.h>
#include <limits>
#include <span>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace tinyice::config {

namespace json = boost::json;

namespace {

// Far above any real config (thousands of mounts fit in a few hundred KiB), low enough that a
// wrong path (a log file, an audio file) fails fast instead of being parsed.
constexpr std::size_t max_config_bytes = std::size_t{4} * 1024 * 1024;

using KeyList = std::span<const std::string_view>;

constexpr std::string_view root_keys[] = {
    "listen", "hostname", "location", "admin_email", "auth",   "limits",     "http",
    "security", "logging", "mounts",  "storage",     "autodj", "transcoders"};
constexpr std::string_view listen_keys[] = {"address", "port"};
constexpr std::string_view auth_keys[] = {"admin_user", "admin_password", "source_password"};
constexpr std::string_view limits_keys[] = {"threads",
                                            "max_clients",
                                            "max_sources",
                                            "max_listeners",
                                            "max_connections_per_ip",
                                            "max_header_bytes",
                                            "header_timeout_ms",
                                            "source_timeout_ms",
                                            "queue_size",
                                            "burst_size",
                                            "flush_interval_ms",
                                            "metaint",
                                            "listen_backlog"};
constexpr std::string_view mount_keys[] = {
    "name",       "username",          "password", "max_listeners", "burst_size",
    "queue_size", "flush_interval_ms", "metaint",  "fallback",      "fallback_override",
    "hidden",     "stream_name",       "charset"};
constexpr std::string_view http_keys[] = {"cors_allow_origin", "server_header", "trusted_proxies",
                                          "session_idle_minutes", "session_max_hours"};
constexpr std::string_view security_keys[] = {
    "login_failures", "login_window_s", "lockout_minutes", "scan_404s", "scan_window_s",
    "scan_lockout_minutes", "banned", "allowed", "allow_only"};
constexpr std::string_view logging_keys[] = {"level", "format", "error_log", "access_log"};
constexpr std::string_view storage_keys[] = {"database", "history_days", "stats_days",
                                             "audit_days"};
constexpr std::string_view hook_keys[] = {"command", "timeout_ms"};
constexpr std::string_view mpd_keys[] = {"enabled", "address", "port", "password"};
constexpr std::string_view autodj_keys[] = {
    "name",        "mount",      "music_dir",   "enabled",     "format",  "bitrate",
    "sample_rate", "channels",   "shuffle",     "loop",        "crossfade", "normalize",
    "target_lufs", "volume",     "playlist",    "analyse_loudness", "next_track", "on_play",
    "mpd",         "stream_name", "description", "genre",      "url",     "public"};
constexpr std::string_view transcoder_keys[] = {
    "name",        "input",    "output",  "format",     "bitrate", "ladder",
    "sample_rate", "channels", "enabled", "stream_name"};

// Sections a misplaced top-level key may belong to, for "did you mean 'limits.queue_size'?".
constexpr std::pair<std::string_view, KeyList> nested_sections[] = {
    {"listen[]", listen_keys}, {"auth", auth_keys},       {"limits", limits_keys},
    {"http", http_keys},       {"logging", logging_keys}, {"mounts[]", mount_keys},
    {"storage", storage_keys}, {"autodj[]", autodj_keys}, {"transcoders[]", transcoder_keys},
    {"security", security_keys}};

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
    throw ConfigError(path.empty() ? problem : path + ": " + problem);
}

std::string child_path(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string describe(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null:
        return "null";
    case json::kind::bool_:
        return v.get_bool() ? "true" : "false";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
        return json::serialize(v);
    case json::kind::string:
        return "the string " + detail::quoted(v.get_string());
    case json::kind::array:
        return "an array";
    case json::kind::object:
        return "an object";
    }
    return "an unknown value";
}

// Keys are compared the way an operator misremembers them: case and '-' vs '_' do not count.
char fold(char c) {
    if (c >= 'A' && c <= 'Z') {
        return static_cast<char>(c - 'A' + 'a');
    }
    return c == '-' ? '_' : c;
}

// Optimal string alignment distance: Levenshtein plus adjacent transpositions ("lmiits").
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= m; ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = fold(a[i - 1]) == fold(b[j - 1]) ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
                fold(a[i - 2]) == fold(b[j - 1])) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[n][m];
}

// The closest known key, or empty when nothing is close enough to be a plausible typo.
std::string_view closest_key(std::string_view unknown, KeyList keys) {
    constexpr std::size_t max_key_length = 64; // longer input is no typo of ours; skip the work
    if (unknown.size() > max_key_length) {
        return {};
    }
    std::string_view best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (std::string_view key : keys) {
        const std::size_t distance = edit_distance(unknown, key);
        if (distance < best_distance) {
            best = key;
            best_distance = distance;
        }
    }
    const std::size_t allowed = std::max<std::size_t>(2, best.size() / 4);
    return best_distance <= allowed ? best : std::string_view{};
}

std::string unknown_key_message(const std::string& path, std::string_view key, KeyList keys) {
    std::string message = "unknown key " + detail::quoted(key);
    if (std::string_view near = closest_key(key, keys); !near.empty()) {
        return message + " (did you mean '" + std::string(near) + "'?)";
    }
    if (path.empty()) {
        for (const auto& [section, section_keys] : nested_sections) {
            for (std::string_view nested : section_keys) {
                if (edit_distance(key, nested) == 0) {
                    return message + " (did you mean '" + std::string(section) + "." +
                           std::string(nested) + "'? it belongs inside that section)";
                }
            }
        }
    }
    message += " (valid keys: ";
    for (std::size_t i = 0; i < keys.size(); ++i) {
        message += (i == 0 ? "" : ", ");
        message += keys[i];
    }
    return message + ")";
}

std::uint64_t read_unsigned(const json::value& v, const std::string& path, std::uint64_t max) {
    std::uint64_t value = 0;
    if (v.is_uint64()) {
        value = v.get_uint64();
    } else if (v.is_int64()) {
        if (v.get_int64() < 0) {
            fail(path, "must not be negative (got " + std::to_string(v.get_int64()) + ")");
        }
        value = static_cast<std::uint64_t>(v.get_int64());
    } else if (v.is_double()) {
        // Boost reads any number with '.', an exponent, or beyond 64 bits as a double.
        const double d = v.get_double();
        const std::string shown = json::serialize(v);
        if (d < 0) {
            fail(path, "must not be negative (got " + shown + ")");
        }
        if (std::isfinite(d) && d == std::trunc(d) && d >= 0x1p63) {
            fail(path, "must be at most " + std::to_string(max) + " (got " + shown + ")");
        }
        fail(path, "expected an integer without fraction or exponent (got " + shown + ")");
    } else {
        std::string problem = "expected an integer (got " + describe(v) + ")";
        if (v.is_string()) {
            problem += "; write numbers without quotes";
        }
        fail(path, problem);
    }
    if (value > max) {
        fail(path,
             "must be at most " + std::to_string(max) + " (got " + std::to_string(value) + ")");
    }
    return value;
}

// Walks one JSON object: rejects unknown keys up front, then reads each known key into its
// typed field, leaving the default in place when the key is absent.
class ObjectReader {
public:
    ObjectReader(const json::value& v, std::string path, KeyList keys) : path_(std::move(path)) {
        if (!v.is_object()) {
            fail(path_, "expected an object (got " + describe(v) + ")");
        }
        object_ = &v.get_object();
        for (const auto& entry : *object_) {
            const std::string_view key = entry.key();
            if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
                fail(path_, unknown_key_message(path_, key, keys));
            }
        }
    }

    [[nodiscard]] const json::value* find(std::string_view key) const {
        return object_->if_contains(key);
    }
    [[nodiscard]] std::string path_of(std::string_view key) const { return child_path(path_, key); }

    void read(std::string_view key, std::string& out) const {
        if (const json::value* v = find(key)) {
            if (!v->is_string()) {
                fail(path_of(key), "expected a string (got " + describe(*v) + ")");
            }
            out.assign(v->get_string().data(), v->get_string().size());
        }
    }

    void read(std::string_view key, bool& out) const {
        if (const json::value* v = find(key)) {
            if (!v->is_bool()) {
                std::string problem = "expected true or false (got " + describe(*v) + ")";
                if (v->is_string()) {
                    problem += "; write booleans without quotes";
                }
                fail(path_of(key), problem);
            }
            out = v->get_bool();
        }
    }

    template <std::unsigned_integral T>
    void read(std::string_view key, T& out) const {
        if (const json::value* v = find(key)) {
            out = static_cast<T>(read_unsigned(*v, path_of(key), std::numeric_limits<T>::max()));
        }
    }

    void read(std::string_view key, double& out) const {
        if (const json::value* v = find(key)) {
            if (!v->is_number()) {
                std::string problem = "expected a number (got " + describe(*v) + ")";
                if (v->is_string()) {
                    problem += "; write numbers without quotes";
                }
                fail(path_of(key), problem);
            }
            out = v->to_number<double>();
            if (!std::isfinite(out)) {
                fail(path_of(key), "must be a finite number");
            }
        }
    }

    void read(std::string_view key, std::vector<std::string>& out) const {
        if (const json::value* v = find(key)) {
            if (!v->is_array()) {
                fail(path_of(key), "expected an array of strings (got " + describe(*v) + ")");
            }
            out.clear();
            const auto& array = v->get_array();
            for (std::size_t i = 0; i < array.size(); ++i) {
                if (!array[i].is_string()) {
                    fail(path_of(key) + "[" + std::to_string(i) + "]",
                         "expected a string (got " + describe(array[i]) + ")");
                }
                out.emplace_back(array[i].get_string().data(), array[i].get_string().size());
            }
        }
    }

    template <std::unsigned_integral T>
    void read(std::string_view key, std::vector<T>& out) const {
        if (const json::value* v = find(key)) {
            if (!v->is_array()) {
                fail(path_of(key), "expected an array of integers (got " + describe(*v) + ")");
            }
            out.clear();
            const auto& array = v->get_array();
            for (std::size_t i = 0; i < array.size(); ++i) {
                out.push_back(static_cast<T>(
                    read_unsigned(array[i], path_of(key) + "[" + std::to_string(i) + "]",
                                  std::numeric_limits<T>::max())));
            }
        }
    }

    // null or absent = nullopt, so an operator can switch an override off explicitly.
    template <std::unsigned_integral T>
    void read(std::string_view key, std::optional<T>& out) const {
        if (const json::value* v = find(key)) {
            if (v->is_null()) {
                out.reset();
            } else {
                out =
                    static_cast<T>(read_unsigned(*v, path_of(key), std::numeric_limits<T>::max()));
            }
        }
    }

private:
    const json::object* object_ = nullptr;
    std::string path_;
};

// Reads an array of objects; each element is built from a default T by read_element.
template <typename T, typename ReadElement>
std::vector<T> read_array(const ObjectReader& parent, std::string_view key, std::vector<T> fallback,
                          ReadElement read_element) {
    const json::value* v = parent.find(key);
    if (v == nullptr) {
        return fallback;
    }
    const std::string path = parent.path_of(key);
    if (!v->is_array()) {
        fail(path, "expected an array (got " + describe(*v) + ")");
    }
    std::vector<T> out;
    out.reserve(v->get_array().size());
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
        T element{};
        read_element(v->get_array()[i], path + "[" + std::to_string(i) + "]", element);
        out.push_back(std::move(element));
    }
    return out;
}

void read_listen(const json::value& v, const std::string& path, ListenAddress& out) {
    const ObjectReader r(v, path, listen_keys);
    r.read("address", out.address);
    r.read("port", out.port);
}

void read_mount(const json::value& v, const std::string& path, MountConfig& out) {
    const ObjectReader r(v, path, mount_keys);
    r.read("name", out.name);
    r.read("username", out.username);
    r.read("password", out.password);
    r.read("max_listeners", out.max_listeners);
    r.read("burst_size", out.burst_size);
    r.read("queue_size", out.queue_size);
    r.read("flush_interval_ms", out.flush_interval_ms);
    r.read("metaint", out.metaint);
    r.read("fallback", out.fallback);
    r.read("fallback_override", out.fallback_override);
    r.read("hidden", out.hidden);
    r.read("stream_name", out.stream_name);
    r.read("charset", out.charset);
}

void read_auth(const ObjectReader& root, AuthConfig& out) {
    const json::value* v = root.find("auth");
    if (v == nullptr) {
        return;
    }
    const ObjectReader r(*v, "auth", auth_keys);
    r.read("admin_user", out.admin_user);
    r.read("admin_password", out.admin_password);
    r.read("source_password", out.source_password);
}

void read_limits(const ObjectReader& root, LimitsConfig& out) {
    const json::value* v = root.find("limits");
    if (v == nullptr) {
        return;
    }
    const ObjectReader r(*v, "limits", limits_keys);
    r.read("threads", out.threads);
    r.read("max_clients", out.max_clients);
    r.read("max_sources", out.max_sources);
    r.read("max_listeners", out.max_listeners);
    r.read("max_connections_per_ip", out.max_connections_per_ip);
    r.read("max_header_bytes", out.max_header_bytes);
    r.read("header_timeout_ms", out.header_timeout_ms);
    r.read("source_timeout_ms", out.source_timeout_ms);
    r.read("queue_size", out.queue_size);
    r.read("burst_size", out.burst_size);
    r.read("flush_interval_ms", out.flush_interval_ms);
    r.read("metaint", out.metaint);
    r.read("listen_backlog", out.listen_backlog);
}

void read_http(const ObjectReader& root, HttpConfig& out) {
    const json::value* v = root.find("http");
    if (v == nullptr) {
        return;
    }
    const ObjectReader r(*v, "http", http_keys);
    r.read("cors_allow_origin", out.cors_allow_origin);
    r.read("server_header", out.server_header);
    r.read("trusted_proxies", out.trusted_proxies);
    r.read("session_idle_minutes", out.session_idle_minutes);
    r.read("session_max_hours", out.session_max_hours);
}

void read_security(const ObjectReader& root, SecurityConfig& out) {
    const json::value* v = root.find("security");
    if (v == nullptr) {
        return;
    }
    const ObjectReader r(*v, "security", security_keys);
    r.read("login_failures", out.login_failures);
    r.read("login_window_s", out.login_window_s);
    r.read("lockout_minutes", out.lockout_minutes);
    r.read("scan_404s", out.scan_404s);
    r.read("scan_window_s", out.scan_window_s);
    r.read("scan_lockout_minutes", out.scan_lockout_minutes);
    r.read("banned", out.banned);
    r.read("allowed", out.allowed);
    r.read("allow_only", out.allow_only);
}

void read_logging(const ObjectReader& root, LoggingConfig& out) {
    const json::value* v = root.find("logging");
    if (v == nullptr) {
        return;
    }
    const ObjectReader r(*v, "logging", logging_keys);
    r.read("level", out.level);
    r.read("format", out.format);
    r.read("error_log", out.error_log);
    r.read("access_log", out.access_log);
}

void read_storage(const ObjectReader& root, StorageConfig& out) {
    const json::value* v = root.find("storage");
    if (v == nullptr) {
        return;
    }
    const ObjectReader r(*v, "storage", storage_keys);
    r.read("database", out.database);
    r.read("history_days", out.history_days);
    r.read("stats_days", out.stats_days);
    r.read("audit_days", out.audit_days);
}

void read_hook(const ObjectReader& parent, std::string_view key, HookConfig& out) {
    const json::value* v = parent.find(key);
    if (v == nullptr || v->is_null()) {
        return;
    }
    const ObjectReader r(*v, parent.path_of(key), hook_keys);
    r.read("command", out.command);
    r.read("timeout_ms", out.timeout_ms);
}

void read_mpd(const ObjectReader& parent, MpdConfig& out) {
    const json::value* v = parent.find("mpd");
    if (v == nullptr || v->is_null()) {
        return;
    }
    const ObjectReader r(*v, parent.path_of("mpd"), mpd_keys);
    r.read("enabled", out.enabled);
    r.read("address", out.address);
    r.read("port", out.port);
    r.read("password", out.password);
}

void read_autodj(const json::value& v, const std::string& path, AutoDjConfig& out) {
    const ObjectReader r(v, path, autodj_keys);
    r.read("name", out.name);
    r.read("mount", out.mount);
    r.read("music_dir", out.music_dir);
    r.read("enabled", out.enabled);
    r.read("format", out.format);
    r.read("bitrate", out.bitrate);
    r.read("sample_rate", out.sample_rate);
    r.read("channels", out.channels);
    r.read("shuffle", out.shuffle);
    r.read("loop", out.loop);
    r.read("crossfade", out.crossfade);
    r.read("normalize", out.normalize);
    r.read("target_lufs", out.target_lufs);
    r.read("volume", out.volume);
    r.read("playlist", out.playlist);
    r.read("analyse_loudness", out.analyse_loudness);
    read_hook(r, "next_track", out.next_track);
    read_hook(r, "on_play", out.on_play);
    read_mpd(r, out.mpd);
    r.read("stream_name", out.stream_name);
    r.read("description", out.description);
    r.read("genre", out.genre);
    r.read("url", out.url);
    r.read("public", out.is_public);
}

void read_transcoder(const json::value& v, const std::string& path, TranscoderConfig& out) {
    const ObjectReader r(v, path, transcoder_keys);
    r.read("name", out.name);
    r.read("input", out.input);
    r.read("output", out.output);
    r.read("format", out.format);
    r.read("bitrate", out.bitrate);
    r.read("ladder", out.ladder);
    r.read("sample_rate", out.sample_rate);
    r.read("channels", out.channels);
    r.read("enabled", out.enabled);
    r.read("stream_name", out.stream_name);
}

std::string error_text(int err) {
    return std::error_code(err, std::generic_category()).message(); // strerror is not thread-safe
}

std::string read_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw ConfigError(path.string() + ": cannot open: " + error_text(errno));
    }
    struct FdCloser {
        explicit FdCloser(int f) : fd(f) {}
        FdCloser(const FdCloser&) = delete;
        FdCloser& operator=(const FdCloser&) = delete;
        FdCloser(FdCloser&&) = delete;
        FdCloser& operator=(FdCloser&&) = delete;
        ~FdCloser() { ::close(fd); }
        int fd;
    } closer(fd);

    constexpr std::size_t chunk = std::size_t{64} * 1024;
    std::string text;
    while (true) {
        const std::size_t old_size = text.size();
        text.resize(old_size + chunk);
        const ssize_t n = ::read(fd, text.data() + old_size, chunk);
        if (n < 0 && errno == EINTR) {
            text.resize(old_size);
            continue;
        }
        if (n < 0) {
            throw ConfigError(path.string() + ": cannot read: " + error_text(errno));
        }
        text.resize(old_size + static_cast<std::size_t>(n));
        if (n == 0) {
            return text;
        }
        if (text.size() > max_config_bytes) {
            throw ConfigError(path.string() + ": larger than 4 MiB; is this really the config?");
        }
    }
}

} // namespace

Config parse_config_unvalidated(std::string_view json_text) {
    if (json_text.size() > max_config_bytes) {
        throw ConfigError("config is larger than 4 MiB");
    }
    const json::value document = detail::parse_json_document(json_text);
    if (!document.is_object()) {
        throw ConfigError("the top level must be a JSON object {...} (got " + describe(document) +
                          ")");
    }
    Config cfg;
    const ObjectReader root(document, "", root_keys);
    cfg.listen = read_array(root, "listen", std::move(cfg.listen), read_listen);
    root.read("hostname", cfg.hostname);
    root.read("location", cfg.location);
    root.read("admin_email", cfg.admin_email);
    read_auth(root, cfg.auth);
    read_limits(root, cfg.limits);
    read_http(root, cfg.http);
    read_security(root, cfg.security);
    read_logging(root, cfg.logging);
    cfg.mounts = read_array(root, "mounts", std::move(cfg.mounts), read_mount);
    read_storage(root, cfg.storage);
    cfg.autodj = read_array(root, "autodj", std::move(cfg.autodj), read_autodj);
    cfg.transcoders = read_array(root, "transcoders", std::move(cfg.transcoders), read_transcoder);
    return cfg;
}

namespace {
json::value parse_section(std::string_view json_text) {
    if (json_text.size() > max_config_bytes) {
        throw ConfigError("definition is larger than 4 MiB");
    }
    return detail::parse_json_document(json_text);
}
} // namespace

AutoDjConfig parse_autodj(std::string_view json_text) {
    AutoDjConfig out;
    read_autodj(parse_section(json_text), "", out);
    return out;
}

TranscoderConfig parse_transcoder(std::string_view json_text) {
    TranscoderConfig out;
    read_transcoder(parse_section(json_text), "", out);
    return out;
}

MountConfig parse_mount(std::string_view json_text) {
    MountConfig out;
    read_mount(parse_section(json_text), "", out);
    return out;
}

Config parse_config(std::string_view json_text) {
    Config cfg = parse_config_unvalidated(json_text);
    validate(cfg);
    return cfg;
}

Config load_config_unvalidated(const std::filesystem::path& path) {
    const std::string text = read_file(path);
    try {
        return parse_config_unvalidated(text);
    } catch (const ConfigError& e) {
        throw ConfigError(path.string() + ": " + e.what());
    }
}

Config load_config(const std::filesystem::path& path) {
    Config cfg = load_config_unvalidated(path);
    try {
        validate(cfg);
    } catch (const ConfigError& e) {
        throw ConfigError(path.string() + ": " + e.what());
    }
    return cfg;
}

} // namespace tinyice::config
