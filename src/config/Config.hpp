#pragma once
// The typed server configuration: one struct per section, each with its defaults and a defaulted
// operator== so a reload can restart only the sections that changed.
//
// The file format is JSON with // and /* */ comments and trailing commas allowed. Every key is
// optional (missing = the default below) but unknown keys, duplicate keys and wrongly typed
// values are errors, and every error names the key path, e.g.
//   limits.queue_size: must be at least 65536 (got 100)
//   mounts[2].name: must start with '/'
//   unknown key 'limts' (did you mean 'limits'?)
// config/tinyice.example.json documents every field; keep it in step with this header.
//
// Loading order used by the app (so headless deployments can supply credentials through the
// environment instead of the file):
//   Config cfg = load_config_unvalidated(path);   // syntax, types, unknown keys, overflow
//   apply_env_overrides(cfg, std::getenv);        // TINYICE_* variables
//   validate(cfg);                                // ranges, cross-field rules, password hashes
// parse_config / load_config are the same without the environment step.
//
// Only crypt hashes are stored for passwords (see security/PasswordHash.hpp); plain-text
// passwords in the file are rejected rather than silently accepted.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::config {

// The only exception the config layer throws. what() is a one-line message meant for the
// operator: "<key path>: <problem>", prefixed with the file path by load_config.
struct ConfigError : std::runtime_error {
    using runtime_error::runtime_error;
};

struct ListenAddress {
    // An IP literal. "::" means dual stack (IPv4 and IPv6 on one socket); "0.0.0.0" is IPv4
    // only; "127.0.0.1" or "::1" restrict to loopback.
    std::string address = "::";
    std::uint16_t port = 8000; // 0 = any free port (useful in tests)
    bool operator==(const ListenAddress&) const = default;
};

struct AuthConfig {
    std::string admin_user = "admin";
    std::string admin_password;  // crypt hash
    std::string source_password; // crypt hash: the default source password for every mount
    bool operator==(const AuthConfig&) const = default;
};

struct LimitsConfig {
    unsigned threads = 0;                     // 0 = one event loop per CPU core; max 1024
    std::uint32_t max_clients = 25000;        // all connections at once (min 1)
    std::uint32_t max_sources = 64;           // min 1
    std::uint32_t max_listeners = 0;          // server-wide, 0 = unlimited
    std::uint32_t max_connections_per_ip = 0; // 0 = unlimited
    std::uint32_t max_header_bytes = 8192;    // request head limit (1024..65536)
    std::uint32_t header_timeout_ms = 10000;  // slowloris guard (min 100)
    std::uint32_t source_timeout_ms = 10000;  // source idle timeout (min 100)
    std::uint32_t queue_size = 524288;        // per-mount ring bytes (65536..64 MiB)
    std::uint32_t burst_size = 65536;         // must be < queue_size
    std::uint32_t flush_interval_ms = 250;    // listener write batching; 0 = write on arrival
                                              // (low latency); max 2000
    std::uint32_t metaint = 16000;            // ICY metadata interval in bytes (256..1048576)
    std::uint32_t listen_backlog = 4096;      // min 1; the kernel caps it at somaxconn
    bool operator==(const LimitsConfig&) const = default;
};

struct MountConfig {
    // "/live": required, starts with '/', at most 255 bytes, no whitespace, control characters,
    // '?', '#' or '%' (they would not survive URL decoding), and not just "/".
    std::string name;
    std::string username = "source";                // non-empty, no ':' (HTTP Basic auth)
    std::string password;                           // crypt hash; empty = use auth.source_password
    std::optional<std::uint32_t> max_listeners;     // nullopt = unlimited
    std::optional<std::uint32_t> burst_size;        // nullopt = limits.burst_size
    std::optional<std::uint32_t> queue_size;        // nullopt = limits.queue_size
    std::optional<std::uint32_t> flush_interval_ms; // nullopt = limits.flush_interval_ms
    std::optional<std::uint32_t> metaint;           // nullopt = limits.metaint
    std::string fallback;          // mount name or empty; must start with '/' and differ from name
    bool fallback_override = true; // move listeners back when the source returns
    bool hidden = false;           // left out of the public status pages
    std::string stream_name;       // overrides ice-name when non-empty
    std::string charset = "UTF-8"; // charset of ICY metadata sent to listeners
    bool operator==(const MountConfig&) const = default;
};

struct HttpConfig {
    std::string cors_allow_origin = "*"; // empty = no CORS headers
    std::string server_header;           // empty = built-in default
    // Reverse proxies (IPs or CIDRs) whose X-Forwarded-For / X-Real-IP / X-Forwarded-Proto are
    // believed: the client address behind them is used everywhere (bans, lockouts, logs,
    // statistics). Empty = the peer address is the client.
    std::vector<std::string> trusted_proxies;
    std::uint32_t session_idle_minutes = 720; // a login session ends after this long unused
    std::uint32_t session_max_hours = 168;    // ... and at the latest this long after login
    bool operator==(const HttpConfig&) const = default;
};

struct SecurityConfig {
    // Brute-force lockout: `login_failures` failed logins from one address within
    // `login_window_s` ban it for `lockout_minutes` (0 failures = no lockout).
    std::uint32_t login_failures = 5;
    std::uint32_t login_window_s = 600;
    double lockout_minutes = 15; // fractions allowed (0.5 = 30 s)
    // 404-scan lockout: `scan_404s` distinct unknown paths within `scan_window_s` ban the
    // address for `scan_lockout_minutes` (0 = off).
    std::uint32_t scan_404s = 25;
    std::uint32_t scan_window_s = 600;
    double scan_lockout_minutes = 15;
    // Addresses (IPs or CIDRs) refused at connect, and addresses never banned or locked out.
    // More can be added at run time (admin API); these from the file always apply.
    std::vector<std::string> banned;
    std::vector<std::string> allowed;
    // Only addresses on the allow list may connect at all (a private station).
    bool allow_only = false;
    bool operator==(const SecurityConfig&) const = default;
};

struct LoggingConfig {
    std::string level = "info";  // trace|debug|info|warn|error|critical|off
    std::string format = "text"; // text|json
    std::string error_log;       // path, empty = stderr
    std::string access_log;      // path, empty = stdout, "off" = disabled
    bool operator==(const LoggingConfig&) const = default;
};

struct StorageConfig {
    // SQLite database (history, library index, AutoDJ state); relative paths are resolved
    // against the data directory.
    std::string database = "tinyice.db";
    std::uint32_t history_days = 365; // plays older than this are deleted daily; 0 = keep all
    std::uint32_t stats_days = 90;    // listener sessions and per-minute counts; 0 = keep all
    std::uint32_t audit_days = 365;   // audit log entries; 0 = keep all
    bool operator==(const StorageConfig&) const = default;
};

// An external command run without a shell: command[0] is the program (searched in PATH when it
// has no '/'), the rest are its arguments. An empty command = no hook.
struct HookConfig {
    std::vector<std::string> command;
    std::uint32_t timeout_ms = 5000; // 100..600000
    bool operator==(const HookConfig&) const = default;
};

struct MpdConfig {
    bool enabled = false;
    std::string address = "127.0.0.1"; // IP literal; loopback by default
    std::uint16_t port = 6600;         // 0 = any free port
    std::string password;              // crypt hash; "" = no password
    bool operator==(const MpdConfig&) const = default;
};

struct AutoDjConfig {
    std::string name;              // unique, [A-Za-z0-9_.-], 1..64 bytes
    std::string mount;             // the mount it feeds ("/autodj"); a mount name
    std::string music_dir;         // library folder; relative = against the data directory
    bool enabled = true;           // started with the server
    std::string format = "mp3";    // mp3 | opus | vorbis | aac
    std::uint32_t bitrate = 128;   // kbps
    std::uint32_t sample_rate = 0; // 0 = 44100 (opus: always 48000)
    std::uint32_t channels = 2;    // 1 or 2
    bool shuffle = false;          // initial modes (the running state is kept in the database)
    bool loop = true;
    double crossfade = 0;         // seconds, 0..30; 0 = gapless
    bool normalize = true;        // loudness normalisation (ReplayGain tags or EBU R128)
    double target_lufs = -16;     // -40..-5
    std::uint32_t volume = 100;   // percent, 0..100
    std::string playlist;         // M3U/PLS loaded at first start; "" = the whole library
    bool analyse_loudness = true; // measure tracks without ReplayGain tags in the background
    HookConfig next_track;        // prints the next file to play
    HookConfig on_play;           // run at every track start
    MpdConfig mpd;
    std::string stream_name; // icy-name; "" = the station name
    std::string description;
    std::string genre;
    std::string url;
    bool is_public = false;
    bool operator==(const AutoDjConfig&) const = default;
};

struct TranscoderConfig {
    std::string name;            // unique, like AutoDJ names
    std::string input;           // the mount to read
    std::string output;          // the mount to feed; with a ladder, the base name ("" = input)
    std::string format = "mp3";  // mp3 | opus | vorbis | aac
    std::uint32_t bitrate = 128; // kbps (ignored when ladder is set)
    // Several outputs from one decoder: one per bitrate, named "<output>-<bitrate>"
    // (e.g. "/live-64", "/live-128").
    std::vector<std::uint32_t> ladder;
    std::uint32_t sample_rate = 0; // 0 = 44100 (opus: always 48000)
    std::uint32_t channels = 2;
    bool enabled = true;
    std::string stream_name; // "" = the input's name
    bool operator==(const TranscoderConfig&) const = default;
    // The mounts this transcoder feeds.
    [[nodiscard]] std::vector<std::string> output_mounts() const;
};

struct Config {
    std::vector<ListenAddress> listen{ListenAddress{}}; // at least one, no overlapping binds
    std::string hostname = "localhost";                 // used in listen URLs and status pages
    std::string location = "Earth";
    std::string admin_email = "admin@localhost";
    AuthConfig auth;
    LimitsConfig limits;
    HttpConfig http;
    SecurityConfig security;
    LoggingConfig logging;
    std::vector<MountConfig> mounts; // names unique; fallbacks must not form cycles (a->b->a)
    StorageConfig storage;
    std::vector<AutoDjConfig> autodj;
    std::vector<TranscoderConfig> transcoders;

    // nullptr when no mount of that exact name is configured.
    [[nodiscard]] const MountConfig* find_mount(std::string_view name) const;

    bool operator==(const Config&) const = default;
};

// Validation of one AutoDJ or transcoder section on its own (used for definitions made through
// the admin API, which do not live in the file). `path` prefixes error messages.
void validate_autodj(const AutoDjConfig& a, const std::string& path);
void validate_transcoder(const TranscoderConfig& t, const std::string& path);
// One mount on its own, with the rules of the file's `mounts` entries (name, user name, password
// hash, ranges, burst below the queue size of `limits` when not set, fallback other than
// itself). Not checked here: duplicate names and fallback cycles, which need the other mounts.
// `path` prefixes error messages ("" = just the key, e.g. "burst_size: ...").
void validate_mount(const MountConfig& mount, const LimitsConfig& limits, const std::string& path);
// JSON of one section (the shape used in the file) and back; parse throws ConfigError.
std::string to_json(const AutoDjConfig& a);
std::string to_json(const TranscoderConfig& t);
std::string to_json(const MountConfig& m);
AutoDjConfig parse_autodj(std::string_view json_text);
TranscoderConfig parse_transcoder(std::string_view json_text);
MountConfig parse_mount(std::string_view json_text);

// Parses and validates. Throws ConfigError naming the key.
Config parse_config(std::string_view json_text);

// Parses without validate(): catches syntax errors, unknown or duplicate keys, wrong types,
// negative numbers, fractions and values that overflow their field. Use this when environment
// overrides are still to be applied, then call validate().
Config parse_config_unvalidated(std::string_view json_text);

// Reads and parses `path` (at most 4 MiB). Every ConfigError message starts with the path;
// a missing or unreadable file is a ConfigError too.
Config load_config(const std::filesystem::path& path);
Config load_config_unvalidated(const std::filesystem::path& path);

// Pretty-printed JSON (2-space indent, trailing newline), keys in struct order, every field
// written; optional mount fields are omitted when nullopt.
// parse_config_unvalidated(to_json(c)) == c for every c (the fuzz target checks it).
std::string to_json(const Config& cfg);

// Validates, then writes atomically: a temporary file (mode 0600, it holds password hashes) in
// the same directory, fsync, rename over `path`, fsync the directory. Readers see either the old
// or the new file, never a torn one. Throws ConfigError (with the path) on failure.
void save_config(const Config& cfg, const std::filesystem::path& path);

// Environment overrides for headless deployments. `getenv` is injected for testability.
//   TINYICE_ADMIN_USER       auth.admin_user
//   TINYICE_ADMIN_PASSWORD   auth.admin_password: plain text is hashed (hash_password) unless it
//   TINYICE_SOURCE_PASSWORD  auth.source_password   already looks like a crypt hash
//   TINYICE_PORT             replaces the port of every listen entry
//   TINYICE_BIND             comma-separated IP literals replacing the listen list, each with the
//                            resulting port (TINYICE_PORT if set, else the first entry's port)
//   TINYICE_HOSTNAME         hostname
//   TINYICE_LOG_LEVEL        logging.level
// A variable that is unset or set to the empty string is ignored (container templates often
// pass empty values for "not configured"). An invalid value throws ConfigError naming the
// variable, and then `cfg` is left unchanged. Plain-text passwords never appear in errors.
// Returns the names of the variables that were applied, in the order above.
std::vector<std::string> apply_env_overrides(Config& cfg,
                                             const std::function<const char*(const char*)>& getenv);

// All range and cross-field checks; throws ConfigError naming the first bad key.
// parse_config and load_config call it.
void validate(const Config& cfg);

struct FirstRunSecrets {
    std::string admin_password;
    std::string source_password;
    std::string live_password;
};

// The config written on first run: defaults, a generated admin password, a generated default
// source password and a "/live" mount with its own generated password. Only hashes go into the
// Config; the plain passwords are returned in `out` to be shown to the operator once.
// Hashing takes ~100 ms: call it off the I/O threads.
Config make_first_run_config(FirstRunSecrets& out);

} // namespace tinyice::config
