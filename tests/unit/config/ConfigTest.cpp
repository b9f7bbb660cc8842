#include "config/Config.hpp"

#include "security/PasswordHash.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace tinyice::config {
namespace {

namespace fs = std::filesystem;

// Hashes of "change-me" (yescrypt), computed once so the tests stay fast.
constexpr std::string_view hash_a =
    "$y$j9T$UCvj0XuKcYzXSdnl9tFFk.$q8teiqIYQB22mCGar/BkykJC046ekABP6qb1WMQlyNB";
constexpr std::string_view hash_b =
    "$y$j9T$ERFPfgdyQN1lowLvlq5GI0$Ge98bMFPR2FXzbGU.SPjZeVQI7/1t9XtgfuBRz9n7c/";

std::string auth_json() {
    return R"("auth": {"admin_password": ")" + std::string(hash_a) + R"(", "source_password": ")" +
           std::string(hash_b) + R"("})";
}

// A valid config with `body` (comma-separated top-level members, may be empty) added.
std::string with_auth(const std::string& body) {
    return "{" + auth_json() + (body.empty() ? "" : ", " + body) + "}";
}

std::string error_of(const std::string& json_text) {
    try {
        parse_config(json_text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

// A config with every field, including every optional one, set away from its default.
Config full_config() {
    Config cfg;
    cfg.listen = {ListenAddress{.address = "0.0.0.0", .port = 8080},
                  ListenAddress{.address = "::1", .port = 8443}};
    cfg.hostname = "radio.example.org";
    cfg.location = "Köln \"Studio\"";
    cfg.admin_email = "ops@example.org";
    cfg.auth = AuthConfig{.admin_user = "root",
                          .admin_password = std::string(hash_a),
                          .source_password = std::string(hash_b)};
    cfg.limits = LimitsConfig{.threads = 3,
                              .max_clients = 100,
                              .max_sources = 2,
                              .max_listeners = 50,
                              .max_connections_per_ip = 4,
                              .max_header_bytes = 4096,
                              .header_timeout_ms = 500,
                              .source_timeout_ms = 700,
                              .queue_size = 1u << 20,
                              .burst_size = 1000,
                              .flush_interval_ms = 0,
                              .metaint = 8192,
                              .listen_backlog = 16};
    cfg.http = HttpConfig{.cors_allow_origin = "https://example.org",
                          .server_header = "Ice",
                          .trusted_proxies = {"10.0.0.0/8", "::1"},
                          .session_idle_minutes = 30,
                          .session_max_hours = 24};
    cfg.security = SecurityConfig{.login_failures = 3,
                                  .login_window_s = 60,
                                  .lockout_minutes = 5,
                                  .scan_404s = 10,
                                  .scan_window_s = 30,
                                  .scan_lockout_minutes = 60,
                                  .banned = {"203.0.113.0/24"},
                                  .allowed = {"192.0.2.7"},
                                  .allow_only = false};
    cfg.logging = LoggingConfig{
        .level = "debug", .format = "json", .error_log = "/var/log/e", .access_log = "off"};
    cfg.mounts.push_back(MountConfig{.name = "/live",
                                     .username = "dj",
                                     .password = std::string(hash_b),
                                     .max_listeners = 0,
                                     .burst_size = 2000,
                                     .queue_size = 70000,
                                     .flush_interval_ms = 2000,
                                     .metaint = 256,
                                     .fallback = "/auto",
                                     .fallback_override = false,
                                     .hidden = true,
                                     .stream_name = "Live \\ show",
                                     .charset = "ISO-8859-1"});
    cfg.mounts.push_back(MountConfig{.name = "/auto"});
    cfg.storage = StorageConfig{
        .database = "/var/lib/tinyice/x.db", .history_days = 30, .stats_days = 7, .audit_days = 9};
    AutoDjConfig a;
    a.name = "main";
    a.mount = "/auto";
    a.music_dir = "/srv/music";
    a.enabled = false;
    a.format = "opus";
    a.bitrate = 96;
    a.sample_rate = 48000;
    a.channels = 1;
    a.shuffle = true;
    a.loop = false;
    a.crossfade = 2.5;
    a.normalize = false;
    a.target_lufs = -14.5;
    a.volume = 80;
    a.playlist = "rotation.m3u";
    a.analyse_loudness = false;
    a.next_track = HookConfig{.command = {"/usr/bin/next", "--station", "main"}, .timeout_ms = 900};
    a.on_play = HookConfig{.command = {"logger", "played"}, .timeout_ms = 1000};
    a.mpd = MpdConfig{.enabled = true, .address = "::1", .port = 6601, .password = std::string(hash_a)};
    a.stream_name = "Auto";
    a.description = "All day";
    a.genre = "Jazz";
    a.url = "https://example.org";
    a.is_public = true;
    cfg.autodj.push_back(a);
    cfg.transcoders.push_back(TranscoderConfig{.name = "live-mp3",
                                               .input = "/live",
                                               .output = "/live.mp3",
                                               .format = "mp3",
                                               .bitrate = 192,
                                               .ladder = {},
                                               .sample_rate = 44100,
                                               .channels = 2,
                                               .enabled = false,
                                               .stream_name = "Live MP3"});
    cfg.transcoders.push_back(TranscoderConfig{
        .name = "ladder", .input = "/live", .output = "/lo", .format = "aac", .ladder = {32, 64}});
    return cfg;
}

// --- defaults -------------------------------------------------------------------------------

TEST(ConfigDefaults, MatchTheDocumentedValues) {
    const Config cfg;
    ASSERT_EQ(cfg.listen.size(), 1U);
    EXPECT_EQ(cfg.listen[0].address, "::");
    EXPECT_EQ(cfg.listen[0].port, 8000);
    EXPECT_EQ(cfg.hostname, "localhost");
    EXPECT_EQ(cfg.location, "Earth");
    EXPECT_EQ(cfg.admin_email, "admin@localhost");
    EXPECT_EQ(cfg.auth.admin_user, "admin");
    EXPECT_TRUE(cfg.auth.admin_password.empty());
    EXPECT_EQ(cfg.limits.threads, 0U);
    EXPECT_EQ(cfg.limits.max_clients, 25000U);
    EXPECT_EQ(cfg.limits.max_sources, 64U);
    EXPECT_EQ(cfg.limits.max_header_bytes, 8192U);
    EXPECT_EQ(cfg.limits.queue_size, 524288U);
    EXPECT_EQ(cfg.limits.burst_size, 65536U);
    EXPECT_EQ(cfg.limits.flush_interval_ms, 250U);
    EXPECT_EQ(cfg.limits.metaint, 16000U);
    EXPECT_EQ(cfg.limits.listen_backlog, 4096U);
    EXPECT_EQ(cfg.http.cors_allow_origin, "*");
    EXPECT_EQ(cfg.logging.level, "info");
    EXPECT_EQ(cfg.logging.format, "text");
    EXPECT_TRUE(cfg.mounts.empty());
    const MountConfig mount;
    EXPECT_EQ(mount.username, "source");
    EXPECT_FALSE(mount.max_listeners.has_value());
    EXPECT_TRUE(mount.fallback_override);
    EXPECT_FALSE(mount.hidden);
    EXPECT_EQ(mount.charset, "UTF-8");
}

TEST(ConfigDefaults, EmptyObjectParsesToDefaults) {
    EXPECT_EQ(parse_config_unvalidated("{}"), Config{});
}

TEST(ConfigDefaults, DefaultsOnlyLackPasswords) {
    Config cfg;
    cfg.auth.admin_password = hash_a;
    cfg.auth.source_password = hash_b;
    EXPECT_NO_THROW(validate(cfg));
    EXPECT_EQ(parse_config(with_auth("")), cfg);
}

// --- syntax ---------------------------------------------------------------------------------

TEST(ConfigParse, CommentsAndTrailingCommasAreAccepted) {
    const std::string text = "// leading comment\n{\n  /* block */ " + auth_json() +
                             ", // after auth\n"
                             R"(  "listen": [{"address": "127.0.0.1", "port": 9000,},],)"
                             "\n"
                             R"(  "mounts": [{"name": "/a", /* inline */ "hidden": true,},],)"
                             "\n}\n// trailing comment\n";
    const Config cfg = parse_config(text);
    ASSERT_EQ(cfg.listen.size(), 1U);
    EXPECT_EQ(cfg.listen[0].port, 9000);
    ASSERT_EQ(cfg.mounts.size(), 1U);
    EXPECT_TRUE(cfg.mounts[0].hidden);
}

TEST(ConfigParse, ByteOrderMarkIsSkipped) {
    EXPECT_NO_THROW(parse_config("\xEF\xBB\xBF" + with_auth("")));
}

TEST(ConfigParse, NullClearsOptionalMountFields) {
    const Config cfg = parse_config(
        with_auth(R"("mounts": [{"name": "/a", "max_listeners": null, "metaint": 1024}])"));
    EXPECT_FALSE(cfg.mounts[0].max_listeners.has_value());
    EXPECT_EQ(cfg.mounts[0].metaint, 1024U);
}

TEST(ConfigParse, SyntaxErrorsGiveLineAndColumn) {
    const std::string message = error_of("{\n  \"hostname\": \"x\"\n  \"location\": \"y\"\n}");
    EXPECT_NE(message.find("invalid JSON at line 3, column 3"), std::string::npos) << message;
    EXPECT_NE(error_of("").find("invalid JSON"), std::string::npos);
    EXPECT_NE(error_of("{} {}").find("invalid JSON"), std::string::npos);
    EXPECT_NE(error_of("{\"a\": \"\xFF\"}").find("invalid JSON"), std::string::npos);
}

TEST(ConfigParse, TopLevelMustBeAnObject) {
    EXPECT_NE(error_of("[]").find("top level must be a JSON object"), std::string::npos);
    EXPECT_NE(error_of("42").find("top level must be a JSON object"), std::string::npos);
}

TEST(ConfigParse, DuplicateKeysAreRejectedWithTheirPath) {
    EXPECT_EQ(error_of(R"({"hostname": "a", "hostname": "b"})").rfind("hostname: duplicate key", 0),
              0U);
    EXPECT_EQ(error_of(R"({"limits": {"queue_size": 70000, "queue_size": 80000}})")
                  .rfind("limits.queue_size: duplicate key", 0),
              0U);
    EXPECT_EQ(error_of(R"({"mounts": [{"name": "/a"}, {"name": "/b", "name": "/c"}]})")
                  .rfind("mounts[1].name: duplicate key", 0),
              0U);
    // The same key in different objects is fine.
    EXPECT_NO_THROW(parse_config_unvalidated(R"({"mounts": [{"name": "/a"}, {"name": "/b"}]})"));
}

TEST(ConfigParse, OversizedInputIsRejected) {
    const std::string huge = "{\"location\": \"" + std::string(5 * 1024 * 1024, 'x') + "\"}";
    EXPECT_THROW(parse_config_unvalidated(huge), ConfigError);
}

// --- unknown keys ---------------------------------------------------------------------------

TEST(ConfigUnknownKeys, SuggestTheClosestKey) {
    EXPECT_EQ(error_of(with_auth(R"("limts": {})")),
              "unknown key 'limts' (did you mean 'limits'?)");
    EXPECT_EQ(error_of(with_auth(R"("mounts": [{"name": "/a", "pasword": ""}])")),
              "mounts[0]: unknown key 'pasword' (did you mean 'password'?)");
    EXPECT_EQ(error_of(with_auth(R"("limits": {"max-listeners": 3})")),
              "limits: unknown key 'max-listeners' (did you mean 'max_listeners'?)");
    EXPECT_EQ(error_of(with_auth(R"("listen": [{"prot": 1}])")),
              "listen[0]: unknown key 'prot' (did you mean 'port'?)");
}

TEST(ConfigUnknownKeys, MisplacedKeyPointsToItsSection) {
    const std::string message = error_of(with_auth(R"("queue_size": 70000)"));
    EXPECT_NE(message.find("did you mean 'limits.queue_size'?"), std::string::npos) << message;
}

TEST(ConfigUnknownKeys, NoCloseMatchListsValidKeys) {
    const std::string message = error_of(with_auth(R"("http": {"zzzzzzzzzz": 1})"));
    EXPECT_EQ(message, "http: unknown key 'zzzzzzzzzz' (valid keys: cors_allow_origin, "
                       "server_header, trusted_proxies, session_idle_minutes, "
                       "session_max_hours)");
}

// --- every error names its key (table-driven) -----------------------------------------------

struct ErrorCase {
    std::string body;     // top-level members added to a config that is otherwise valid
    std::string expected; // the message must start with this
};

class ConfigErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrors, NameTheKeyAndTheProblem) {
    const std::string message = error_of(with_auth(GetParam().body));
    EXPECT_EQ(message.rfind(GetParam().expected, 0), 0U)
        << "body:     " << GetParam().body << "\nmessage:  " << message
        << "\nexpected: " << GetParam().expected;
}

const ErrorCase error_cases[] = {
    // listen
    {R"("listen": [])", "listen: at least one address is required"},
    {R"("listen": {})", "listen: expected an array (got an object)"},
    {R"("listen": [5])", "listen[0]: expected an object (got 5)"},
    {R"("listen": [{"address": "localhost"}])",
     "listen[0].address: not an IP address: 'localhost'"},
    {R"("listen": [{"address": "[::1]"}])", "listen[0].address: not an IP address"},
    {R"("listen": [{"address": "::"}, {"address": "1.2.3.4.5", "port": 1}])",
     "listen[1].address: not an IP address"},
    {R"("listen": [{"address": 1}])", "listen[0].address: expected a string (got 1)"},
    {R"("listen": [{"port": "8000"}])",
     "listen[0].port: expected an integer (got the string '8000'); write numbers without quotes"},
    {R"("listen": [{"port": 70000}])", "listen[0].port: must be at most 65535 (got 70000)"},
    {R"("listen": [{"port": -1}])", "listen[0].port: must not be negative (got -1)"},
    {R"("listen": [{"port": 80.5}])", "listen[0].port: expected an integer"},
    {R"("listen": [{"port": 8e3}])", "listen[0].port: expected an integer"},
    {R"("listen": [{"port": null}])", "listen[0].port: expected an integer (got null)"},
    {R"("listen": [{"port": true}])", "listen[0].port: expected an integer (got true)"},
    {R"("listen": [{"address": "::", "port": 1}, {"address": "0.0.0.0", "port": 1}])",
     "listen[1]: '0.0.0.0' port 1 overlaps listen[0]"},
    {R"("listen": [{"address": "127.0.0.1", "port": 1}, {"address": "::", "port": 1}])",
     "listen[1]: '::' port 1 overlaps listen[0]"},
    {R"("listen": [{"address": "0.0.0.0", "port": 1}, {"address": "10.0.0.1", "port": 1}])",
     "listen[1]: '10.0.0.1' port 1 overlaps listen[0]"},
    {R"("listen": [{"address": "::1", "port": 1}, {"address": "0:0::1", "port": 1}])",
     "listen[1]: '0:0::1' port 1 overlaps listen[0]"},
    // top-level strings
    {R"("hostname": "")", "hostname: must not be empty"},
    {R"("hostname": "a b")", "hostname: must not contain spaces"},
    {R"("hostname": 5)", "hostname: expected a string (got 5)"},
    {R"("location": "a\nb")", "location: must not contain control characters"},
    {R"("admin_email": ["x"])", "admin_email: expected a string (got an array)"},
    // limits
    {R"("limits": 5)", "limits: expected an object (got 5)"},
    {R"("limits": {"threads": 2000})", "limits.threads: must be at most 1024 (got 2000)"},
    {R"("limits": {"threads": -1})", "limits.threads: must not be negative (got -1)"},
    {R"("limits": {"max_clients": 0})", "limits.max_clients: must be at least 1 (got 0)"},
    {R"("limits": {"max_sources": 0})", "limits.max_sources: must be at least 1 (got 0)"},
    {R"("limits": {"max_listeners": 4294967296})",
     "limits.max_listeners: must be at most 4294967295 (got 4294967296)"},
    {R"("limits": {"max_connections_per_ip": 1e300})",
     "limits.max_connections_per_ip: must be at most 4294967295"},
    {R"("limits": {"max_connections_per_ip": 99999999999999999999999})",
     "limits.max_connections_per_ip: must be at most 4294967295"},
    {R"("limits": {"max_header_bytes": 1000})",
     "limits.max_header_bytes: must be at least 1024 (got 1000)"},
    {R"("limits": {"max_header_bytes": 65537})",
     "limits.max_header_bytes: must be at most 65536 (got 65537)"},
    {R"("limits": {"header_timeout_ms": 99})",
     "limits.header_timeout_ms: must be at least 100 (got 99)"},
    {R"("limits": {"source_timeout_ms": 0})",
     "limits.source_timeout_ms: must be at least 100 (got 0)"},
    {R"("limits": {"queue_size": 100})", "limits.queue_size: must be at least 65536 (got 100)"},
    {R"("limits": {"queue_size": 67108865})",
     "limits.queue_size: must be at most 67108864 (got 67108865)"},
    {R"("limits": {"queue_size": 1.5})", "limits.queue_size: expected an integer"},
    {R"("limits": {"burst_size": 524288})",
     "limits.burst_size: must be less than limits.queue_size (524288; got 524288)"},
    {R"("limits": {"flush_interval_ms": 2001})",
     "limits.flush_interval_ms: must be at most 2000 (got 2001)"},
    {R"("limits": {"metaint": 255})", "limits.metaint: must be at least 256 (got 255)"},
    {R"("limits": {"metaint": 1048577})", "limits.metaint: must be at most 1048576"},
    {R"("limits": {"listen_backlog": 0})", "limits.listen_backlog: must be at least 1 (got 0)"},
    // http, logging
    {R"("http": {"server_header": "x\r\nSet-Cookie: a=b"})",
     "http.server_header: must not contain control characters"},
    {R"("http": {"cors_allow_origin": "a\nb"})",
     "http.cors_allow_origin: must not contain control characters"},
    {R"("logging": {"level": "loud"})",
     "logging.level: must be one of trace, debug, info, warn, error, critical, off (got 'loud')"},
    {R"("logging": {"format": "xml"})", "logging.format: must be text or json (got 'xml')"},
    {R"("logging": {"error_log": "a\u0000b"})",
     "logging.error_log: must not contain control characters"},
    // mounts
    {R"("mounts": {})", "mounts: expected an array (got an object)"},
    {R"("mounts": ["/live"])", "mounts[0]: expected an object (got the string '/live')"},
    {R"("mounts": [{}])", "mounts[0].name: is required"},
    {R"("mounts": [{"name": "live"}])", "mounts[0].name: must start with '/'"},
    {R"("mounts": [{"name": "/a"}, {"name": "/b"}, {"name": "live"}])",
     "mounts[2].name: must start with '/'"},
    {R"("mounts": [{"name": "/"}])", "mounts[0].name: must name a mount"},
    {R"("mounts": [{"name": "/a b"}])", "mounts[0].name: must not contain whitespace"},
    {R"("mounts": [{"name": "/a?b"}])", "mounts[0].name: must not contain whitespace"},
    {R"("mounts": [{"name": "/a#b"}])", "mounts[0].name: must not contain whitespace"},
    {R"("mounts": [{"name": "/a%20b"}])", "mounts[0].name: must not contain whitespace"},
    {R"("mounts": [{"name": "/a\tb"}])", "mounts[0].name: must not contain whitespace"},
    {R"("mounts": [{"name": "/)" + std::string(255, 'a') + R"("}])",
     "mounts[0].name: must be at most 255 bytes"},
    {R"("mounts": [{"name": "/a"}, {"name": "/a"}])",
     "mounts[1].name: duplicate mount '/a' (also mounts[0])"},
    {R"("mounts": [{"name": "/a", "username": ""}])", "mounts[0].username: must not be empty"},
    {R"("mounts": [{"name": "/a", "username": "a:b"}])",
     "mounts[0].username: must not contain ':'"},
    {R"("mounts": [{"name": "/a", "password": "hunter2"}])",
     "mounts[0].password: is not a crypt hash"},
    {R"("mounts": [{"name": "/a", "max_listeners": "5"}])",
     "mounts[0].max_listeners: expected an integer (got the string '5')"},
    {R"("mounts": [{"name": "/a", "max_listeners": -5}])",
     "mounts[0].max_listeners: must not be negative (got -5)"},
    {R"("mounts": [{"name": "/a", "max_listeners": 4294967296}])",
     "mounts[0].max_listeners: must be at most 4294967295"},
    {R"("mounts": [{"name": "/a", "queue_size": 1000}])",
     "mounts[0].queue_size: must be at least 65536 (got 1000)"},
    {R"("mounts": [{"name": "/a", "burst_size": 600000}])",
     "mounts[0].burst_size: must be less than the queue size of /a (524288; got 600000)"},
    {R"("mounts": [{"name": "/a", "queue_size": 65536}])",
     "limits.burst_size: must be less than the queue size of /a (65536; got 65536)"},
    {R"("mounts": [{"name": "/a", "flush_interval_ms": 3000}])",
     "mounts[0].flush_interval_ms: must be at most 2000 (got 3000)"},
    {R"("mounts": [{"name": "/a", "metaint": 100}])",
     "mounts[0].metaint: must be at least 256 (got 100)"},
    {R"("mounts": [{"name": "/a", "fallback": "b"}])",
     "mounts[0].fallback: must be empty or a mount name: must start with '/'"},
    {R"("mounts": [{"name": "/a", "fallback": "/a"}])",
     "mounts[0].fallback: must differ from the mount's own name '/a'"},
    {R"("mounts": [{"name": "/a", "fallback_override": "yes"}])",
     "mounts[0].fallback_override: expected true or false (got the string 'yes')"},
    {R"("mounts": [{"name": "/a", "hidden": 1}])",
     "mounts[0].hidden: expected true or false (got 1)"},
    {R"("mounts": [{"name": "/a", "stream_name": "x\ny"}])",
     "mounts[0].stream_name: must not contain control characters"},
    {R"("mounts": [{"name": "/a", "charset": ""}])", "mounts[0].charset: must be a charset name"},
    {R"("mounts": [{"name": "/a", "charset": "UTF 8"}])",
     "mounts[0].charset: must be a charset name"},
    // fallback cycles
    {R"("mounts": [{"name": "/a", "fallback": "/b"}, {"name": "/b", "fallback": "/a"}])",
     "mounts[0].fallback: fallback cycle /a -> /b -> /a"},
    {R"("mounts": [{"name": "/a", "fallback": "/b"}, {"name": "/b", "fallback": "/c"},
                   {"name": "/c", "fallback": "/b"}])",
     "mounts[1].fallback: fallback cycle /b -> /c -> /b"},
    // http and security
    {R"("http": {"trusted_proxies": ["10.0.0.0/33"]})",
     "http.trusted_proxies[0]: not an IP address or network: '10.0.0.0/33'"},
    {R"("http": {"trusted_proxies": "10.0.0.1"})",
     "http.trusted_proxies: expected an array of strings"},
    {R"("http": {"session_idle_minutes": 0})", "http.session_idle_minutes: must be at least 1"},
    {R"("security": {"banned": ["example.org"]})",
     "security.banned[0]: not an IP address or network: 'example.org'"},
    {R"("security": {"allow_only": true})", "security.allow_only: is true but security.allowed"},
    {R"("security": {"login_window_s": 0})", "security.login_window_s: must be at least 1"},
    {R"("security": {"lockout": 1})",
     "security: unknown key 'lockout'"},
    // storage
    {R"("storage": {"database": ""})", "storage.database: is required"},
    {R"("storage": {"history_days": -1})", "storage.history_days: must not be negative"},
    // autodj
    {R"("autodj": [{"mount": "/a", "music_dir": "/m"}])", "autodj[0].name: must be 1 to 64"},
    {R"("autodj": [{"name": "a b", "mount": "/a", "music_dir": "/m"}])",
     "autodj[0].name: may only contain letters"},
    {R"("autodj": [{"name": "a", "mount": "a", "music_dir": "/m"}])",
     "autodj[0].mount: must start with '/'"},
    {R"("autodj": [{"name": "a", "mount": "/a"}])", "autodj[0].music_dir: is required"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m", "format": "wma"}])",
     "autodj[0].format: must be mp3, opus, vorbis or aac"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m", "bitrate": 100}])",
     "autodj[0].bitrate: must be an MP3 bitrate"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m", "format": "opus",
                    "sample_rate": 44100}])",
     "autodj[0].sample_rate: Opus always runs at 48000 Hz"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m", "sample_rate": 44000}])",
     "autodj[0].sample_rate: must be 0 (automatic) or one of"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m", "channels": 6}])",
     "autodj[0].channels: must be at most 2"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m", "crossfade": 31}])",
     "autodj[0].crossfade: must be 0 to 30 seconds"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m", "crossfade": "2"}])",
     "autodj[0].crossfade: expected a number (got the string '2'); write numbers without quotes"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m", "target_lufs": 0}])",
     "autodj[0].target_lufs: must be -40 to -5 LUFS"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m", "volume": 101}])",
     "autodj[0].volume: must be at most 100"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m",
                    "on_play": {"command": [""]}}])",
     "autodj[0].on_play.command[0]: must name a program"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m",
                    "on_play": {"command": "ls"}}])",
     "autodj[0].on_play.command: expected an array of strings"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m",
                    "next_track": {"command": ["x"], "timeout_ms": 10}}])",
     "autodj[0].next_track.timeout_ms: must be at least 100"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m",
                    "mpd": {"address": "localhost"}}])",
     "autodj[0].mpd.address: not an IP address"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m",
                    "mpd": {"password": "secret"}}])",
     "autodj[0].mpd.password: is not a crypt hash"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m", "mpd": {"prot": 1}}])",
     "autodj[0].mpd: unknown key 'prot' (did you mean 'port'?)"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m"},
                   {"name": "a", "mount": "/b", "music_dir": "/m"}])",
     "autodj[1].name: duplicate AutoDJ name 'a'"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m"},
                   {"name": "b", "mount": "/a", "music_dir": "/m"}])",
     "autodj[1].mount: mount '/a' is already fed by autodj[0]"},
    {R"("autodj": [{"name": "a", "mount": "/a", "music_dir": "/m", "mpd": {"enabled": true}},
                   {"name": "b", "mount": "/b", "music_dir": "/m", "mpd": {"enabled": true}}])",
     "autodj[1].mpd.port: port 6600 is already used by autodj[0].mpd"},
    // transcoders
    {R"("transcoders": [{"name": "t", "input": "/a"}])",
     "transcoders[0].output: must name a mount other than the input '/a'"},
    {R"("transcoders": [{"name": "t", "input": "/a", "output": "/b", "format": "flac"}])",
     "transcoders[0].format: must be mp3, opus, vorbis or aac"},
    {R"("transcoders": [{"name": "t", "input": "/a", "ladder": [64, 64]}])",
     "transcoders[0].ladder[1]: duplicate bitrate 64"},
    {R"("transcoders": [{"name": "t", "input": "/a", "ladder": [65]}])",
     "transcoders[0].ladder[0]: must be an MP3 bitrate"},
    {R"("transcoders": [{"name": "t", "input": "/a", "output": "/b"},
                        {"name": "u", "input": "/c", "output": "/b"}])",
     "transcoders[1].output: mount '/b' is already fed by transcoders[0]"},
    {R"("autodj": [{"name": "a", "mount": "/b", "music_dir": "/m"}],
        "transcoders": [{"name": "t", "input": "/c", "output": "/b"}])",
     "transcoders[0].output: mount '/b' is fed by an AutoDJ"},
    {R"("autodj": [{"name": "t", "mount": "/b", "music_dir": "/m"}],
        "transcoders": [{"name": "t", "input": "/c", "output": "/d"}])",
     "transcoders[0].name: duplicate name 't'"},
};

INSTANTIATE_TEST_SUITE_P(Table, ConfigErrors, testing::ValuesIn(error_cases));

TEST(ConfigErrors, AuthErrorsNameKeyExplainRemedyAndHidePlainText) {
    struct Case {
        std::string auth;
        std::string expected;
        std::string env_var;
    };
    const std::string h(hash_a);
    const Case cases[] = {
        {R"({"admin_password": "", "source_password": ")" + h + "\"}",
         "auth.admin_password: is empty", "TINYICE_ADMIN_PASSWORD"},
        {R"({"source_password": ")" + h + "\"}", "auth.admin_password: is empty",
         "TINYICE_ADMIN_PASSWORD"},
        {R"({"admin_password": "s3cret-Plain", "source_password": ")" + h + "\"}",
         "auth.admin_password: is not a crypt hash", "TINYICE_ADMIN_PASSWORD"},
        {R"({"admin_password": ")" + h + "\"}", "auth.source_password: is empty",
         "TINYICE_SOURCE_PASSWORD"},
        {R"({"admin_password": ")" + h + R"(", "source_password": "s3cret-Plain"})",
         "auth.source_password: is not a crypt hash", "TINYICE_SOURCE_PASSWORD"},
        {R"({"admin_user": "", "admin_password": ")" + h + "\"}",
         "auth.admin_user: must not be empty", ""},
        {R"({"admin_user": "a:b"})", "auth.admin_user: must not contain ':'", ""},
    };
    for (const Case& c : cases) {
        const std::string message = error_of(R"({"auth": )" + c.auth + "}");
        EXPECT_EQ(message.rfind(c.expected, 0), 0U) << message;
        EXPECT_EQ(message.find("s3cret-Plain"), std::string::npos) << message;
        if (!c.env_var.empty()) {
            EXPECT_NE(message.find(c.env_var), std::string::npos) << message;
            EXPECT_NE(message.find("delete the config file"), std::string::npos) << message;
        }
    }
}

TEST(ConfigValidate, MistakesAreReportedBeforeMissingPasswords) {
    // A half-written file without credentials should point at the typo first.
    EXPECT_EQ(error_of(R"({"mounts": [{"name": "nolead"}]})").rfind("mounts[0].name:", 0), 0U);
    EXPECT_EQ(error_of(R"({"limits": {"queue_size": 100}})").rfind("limits.queue_size:", 0), 0U);
    EXPECT_EQ(error_of("{}").rfind("auth.admin_password: is empty", 0), 0U);
}

TEST(ConfigValidate, AcceptsBoundaryValues) {
    const std::string body = R"("limits": {"threads": 1024, "max_header_bytes": 1024,
        "header_timeout_ms": 100, "source_timeout_ms": 100, "queue_size": 67108864,
        "burst_size": 67108863, "flush_interval_ms": 2000, "metaint": 1048576,
        "max_listeners": 4294967295},
        "listen": [{"address": "::", "port": 65535}, {"address": "::", "port": 0},
                   {"address": "0.0.0.0", "port": 0}, {"address": "127.0.0.1", "port": 1},
                   {"address": "127.0.0.2", "port": 1}, {"address": "::1", "port": 1}],
        "mounts": [{"name": "/a", "fallback": "/b", "burst_size": 0, "queue_size": 65536,
                    "metaint": 256, "flush_interval_ms": 0},
                   {"name": "/b", "fallback": "/not-configured"},
                   {"name": "/c", "fallback": "/a", "charset": "ISO-8859-1"},
                   {"name": "/)" +
                             std::string(254, 'x') + R"("}])";
    EXPECT_NO_THROW(parse_config(with_auth(body))) << error_of(with_auth(body));
}

TEST(ConfigValidate, AcceptsOtherCryptSchemes) {
    Config cfg;
    cfg.auth.admin_password = "$2a$05$ZjqHR0b9.pUhypKZKCZieeY7sfZdI1Ff8gRAVFMrlDZLUjFrTjjaO";
    cfg.auth.source_password = "$2y$04$wMdvyRQw2UC.nOhg9cNK3OC3M2VNf3oTSaW/a32ySq23e73ncITu6";
    EXPECT_NO_THROW(validate(cfg));
}

// --- to_json --------------------------------------------------------------------------------

TEST(ConfigJson, RoundTripsEveryField) {
    const Config cfg = full_config();
    ASSERT_NO_THROW(validate(cfg));
    const std::string text = to_json(cfg);
    EXPECT_EQ(parse_config(text), cfg) << text;
    // Stable output: writing what was read gives the same text.
    EXPECT_EQ(to_json(parse_config(text)), text);
}

TEST(ConfigJson, RoundTripsDefaults) {
    Config cfg;
    cfg.auth.admin_password = hash_a;
    cfg.auth.source_password = hash_b;
    EXPECT_EQ(parse_config(to_json(cfg)), cfg);
}

TEST(ConfigJson, PrettyPrintedInStructOrder) {
    const std::string text = to_json(full_config());
    EXPECT_EQ(text.rfind("{\n  \"listen\": [\n    {\n      \"address\": \"0.0.0.0\",\n", 0), 0U)
        << text;
    EXPECT_EQ(text.back(), '\n');
    const std::vector<std::string> order = {"\"listen\"",      "\"hostname\"", "\"location\"",
                                            "\"admin_email\"", "\"auth\"",     "\"admin_user\"",
                                            "\"limits\"",      "\"threads\"",  "\"listen_backlog\"",
                                            "\"http\"",        "\"logging\"",  "\"access_log\"",
                                            "\"mounts\"",      "\"name\"",     "\"max_listeners\"",
                                            "\"metaint\"",     "\"fallback\"", "\"charset\""};
    std::size_t last = 0;
    for (const std::string& key : order) {
        const std::size_t at = text.find(key, last);
        ASSERT_NE(at, std::string::npos) << key << " missing or out of order in\n" << text;
        last = at;
    }
}

TEST(ConfigJson, OmitsUnsetOptionalsAndWritesEverythingElse) {
    Config cfg;
    cfg.mounts.push_back(MountConfig{.name = "/a"});
    const boost::json::value v = boost::json::parse(to_json(cfg));
    const boost::json::object& mount = v.at("mounts").at(0).as_object();
    for (const char* key :
         {"max_listeners", "burst_size", "queue_size", "flush_interval_ms", "metaint"}) {
        EXPECT_FALSE(mount.contains(key)) << key;
    }
    for (const char* key : {"name", "username", "password", "fallback", "fallback_override",
                            "hidden", "stream_name", "charset"}) {
        EXPECT_TRUE(mount.contains(key)) << key;
    }
    EXPECT_EQ(v.at("limits").as_object().size(), 13U);
    EXPECT_EQ(v.at("auth").as_object().size(), 3U);
    EXPECT_EQ(v.at("http").as_object().size(), 5U);
    EXPECT_EQ(v.at("security").as_object().size(), 9U);
    EXPECT_EQ(v.at("logging").as_object().size(), 4U);
    EXPECT_EQ(v.at("storage").as_object().size(), 4U);
    EXPECT_EQ(v.as_object().size(), 13U);
}

TEST(ConfigJson, EmptyMountsIsAnEmptyArray) {
    EXPECT_NE(to_json(Config{}).find("\"mounts\": [],\n"), std::string::npos);
    EXPECT_NE(to_json(Config{}).find("\"autodj\": [],\n"), std::string::npos);
}

TEST(ConfigSections, AutoDjAndTranscoderRoundTripOnTheirOwn) {
    const Config cfg = full_config();
    EXPECT_EQ(parse_autodj(to_json(cfg.autodj[0])), cfg.autodj[0]);
    EXPECT_EQ(parse_transcoder(to_json(cfg.transcoders[0])), cfg.transcoders[0]);
    EXPECT_NO_THROW(validate_autodj(cfg.autodj[0], ""));
    // A partial definition takes the defaults.
    const AutoDjConfig minimal =
        parse_autodj(R"({"name": "x", "mount": "/x", "music_dir": "/srv/m"})");
    EXPECT_EQ(minimal.format, "mp3");
    EXPECT_EQ(minimal.bitrate, 128U);
    EXPECT_TRUE(minimal.loop);
    EXPECT_THROW(parse_autodj(R"({"name": "x", "bitrat": 1})"), ConfigError);
    try {
        validate_autodj(parse_autodj(R"({"name": "x", "mount": "/x"})"), "");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("music_dir: is required", 0), 0U) << e.what();
    }
}

TEST(ConfigSections, LadderNamesItsOutputs) {
    const Config cfg = full_config();
    EXPECT_EQ(cfg.transcoders[1].output_mounts(), (std::vector<std::string>{"/lo-32", "/lo-64"}));
    EXPECT_EQ(cfg.transcoders[0].output_mounts(), (std::vector<std::string>{"/live.mp3"}));
    TranscoderConfig t{.name = "t", .input = "/in", .ladder = {128}};
    EXPECT_EQ(t.output_mounts(), (std::vector<std::string>{"/in-128"}));
}

// --- find_mount -----------------------------------------------------------------------------

TEST(ConfigFindMount, FindsByExactName) {
    const Config cfg = full_config();
    ASSERT_NE(cfg.find_mount("/auto"), nullptr);
    EXPECT_EQ(cfg.find_mount("/auto")->name, "/auto");
    EXPECT_EQ(cfg.find_mount("/live"), &cfg.mounts[0]);
    EXPECT_EQ(cfg.find_mount("/LIVE"), nullptr);
    EXPECT_EQ(cfg.find_mount(""), nullptr);
}

// --- environment overrides ------------------------------------------------------------------

using Vars = std::map<std::string, std::string>;

class FakeEnv {
public:
    explicit FakeEnv(Vars vars) : vars_(std::move(vars)) {}
    [[nodiscard]] std::function<const char*(const char*)> getenv() const {
        return [this](const char* name) -> const char* {
            const auto it = vars_.find(name);
            return it == vars_.end() ? nullptr : it->second.c_str();
        };
    }

private:
    Vars vars_;
};

TEST(ConfigEnv, NothingSetChangesNothing) {
    Config cfg = full_config();
    const FakeEnv env(Vars{});
    EXPECT_TRUE(apply_env_overrides(cfg, env.getenv()).empty());
    EXPECT_EQ(cfg, full_config());
}

TEST(ConfigEnv, PlainPasswordsAreHashedAndHashesKept) {
    // The usual headless flow: no passwords in the file, both from the environment.
    Config cfg = parse_config_unvalidated("{}");
    const FakeEnv env(Vars{{"TINYICE_ADMIN_PASSWORD", "admin-pw"},
                           {"TINYICE_SOURCE_PASSWORD", std::string(hash_b)}});
    const auto applied = apply_env_overrides(cfg, env.getenv());
    EXPECT_EQ(applied,
              (std::vector<std::string>{"TINYICE_ADMIN_PASSWORD", "TINYICE_SOURCE_PASSWORD"}));
    EXPECT_TRUE(cfg.auth.admin_password.starts_with("$y$"));
    EXPECT_TRUE(security::verify_password("admin-pw", cfg.auth.admin_password));
    EXPECT_EQ(cfg.auth.source_password, hash_b);
    EXPECT_NO_THROW(validate(cfg));
}

TEST(ConfigEnv, AllVariables) {
    Config cfg = full_config();
    const FakeEnv env(Vars{{"TINYICE_ADMIN_USER", "boss"},
                           {"TINYICE_PORT", "9001"},
                           {"TINYICE_BIND", " 127.0.0.1 , ::1"},
                           {"TINYICE_HOSTNAME", "stream.example.net"},
                           {"TINYICE_LOG_LEVEL", "warn"},
                           {"UNRELATED", "x"}});
    const auto applied = apply_env_overrides(cfg, env.getenv());
    EXPECT_EQ(applied,
              (std::vector<std::string>{"TINYICE_ADMIN_USER", "TINYICE_PORT", "TINYICE_BIND",
                                        "TINYICE_HOSTNAME", "TINYICE_LOG_LEVEL"}));
    EXPECT_EQ(cfg.auth.admin_user, "boss");
    EXPECT_EQ(cfg.listen, (std::vector<ListenAddress>{{"127.0.0.1", 9001}, {"::1", 9001}}));
    EXPECT_EQ(cfg.hostname, "stream.example.net");
    EXPECT_EQ(cfg.logging.level, "warn");
    EXPECT_NO_THROW(validate(cfg));
}

TEST(ConfigEnv, PortReplacesEveryListenPort) {
    Config cfg = full_config();
    const FakeEnv env(Vars{{"TINYICE_PORT", "0"}});
    apply_env_overrides(cfg, env.getenv());
    ASSERT_EQ(cfg.listen.size(), 2U);
    EXPECT_EQ(cfg.listen[0], (ListenAddress{"0.0.0.0", 0}));
    EXPECT_EQ(cfg.listen[1], (ListenAddress{"::1", 0}));
}

TEST(ConfigEnv, BindWithoutPortKeepsTheFirstPort) {
    Config cfg = full_config(); // first listen port is 8080
    const FakeEnv env(Vars{{"TINYICE_BIND", "::"}});
    apply_env_overrides(cfg, env.getenv());
    EXPECT_EQ(cfg.listen, (std::vector<ListenAddress>{{"::", 8080}}));
}

TEST(ConfigEnv, EmptyValuesCountAsUnset) {
    Config cfg = full_config();
    const FakeEnv env(
        Vars{{"TINYICE_PORT", ""}, {"TINYICE_ADMIN_PASSWORD", ""}, {"TINYICE_BIND", ""}});
    EXPECT_TRUE(apply_env_overrides(cfg, env.getenv()).empty());
    EXPECT_EQ(cfg, full_config());
}

TEST(ConfigEnv, InvalidValuesNameTheVariableAndLeaveConfigUnchanged) {
    const std::pair<Vars, std::string> cases[] = {
        {{{"TINYICE_PORT", "http"}}, "TINYICE_PORT: must be a port number"},
        {{{"TINYICE_PORT", "65536"}}, "TINYICE_PORT: must be a port number"},
        {{{"TINYICE_PORT", "-1"}}, "TINYICE_PORT: must be a port number"},
        {{{"TINYICE_PORT", "80x"}}, "TINYICE_PORT: must be a port number"},
        {{{"TINYICE_BIND", "localhost"}}, "TINYICE_BIND: not an IP address: 'localhost'"},
        {{{"TINYICE_BIND", "::,"}}, "TINYICE_BIND: empty address"},
        {{{"TINYICE_BIND", "::1,,127.0.0.1"}}, "TINYICE_BIND: empty address"},
        {{{"TINYICE_HOSTNAME", "a b"}}, "TINYICE_HOSTNAME: must not contain spaces"},
        {{{"TINYICE_LOG_LEVEL", "verbose"}}, "TINYICE_LOG_LEVEL: must be one of"},
        {{{"TINYICE_ADMIN_USER", "a:b"}}, "TINYICE_ADMIN_USER: must not contain ':'"},
        // A valid variable applied before the bad one must not stick either.
        {{{"TINYICE_ADMIN_USER", "boss"}, {"TINYICE_LOG_LEVEL", "x"}}, "TINYICE_LOG_LEVEL"},
        {{{"TINYICE_ADMIN_PASSWORD", std::string(600, 'p')}},
         "TINYICE_ADMIN_PASSWORD: cannot be hashed"},
    };
    for (const auto& [vars, expected] : cases) {
        Config cfg = full_config();
        const FakeEnv env(vars);
        try {
            apply_env_overrides(cfg, env.getenv());
            ADD_FAILURE() << "no error for " << expected;
        } catch (const ConfigError& e) {
            const std::string message = e.what();
            EXPECT_EQ(message.rfind(expected, 0), 0U) << message;
            EXPECT_EQ(message.find("ppppp"), std::string::npos) << "password echoed";
        }
        EXPECT_EQ(cfg, full_config()) << expected;
    }
}

// --- files ----------------------------------------------------------------------------------

class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "tinyice-config-test-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = tmpl;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    [[nodiscard]] const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

unsigned file_mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 07777U;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(ConfigFile, SaveThenLoad) {
    const TempDir dir;
    const fs::path file = dir.path() / "tinyice.json";
    const Config cfg = full_config();
    save_config(cfg, file);
    EXPECT_EQ(load_config(file), cfg);
    EXPECT_EQ(file_mode(file), 0600U);
    EXPECT_EQ(read_text(file), to_json(cfg));
    // Only the target is left behind: the temporary file was renamed, not copied.
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 1);
}

TEST(ConfigFile, SaveReplacesAnExistingFileAndTightensItsMode) {
    const TempDir dir;
    const fs::path file = dir.path() / "tinyice.json";
    { std::ofstream(file) << "old"; }
    fs::permissions(file, fs::perms(0644));
    const mode_t old_umask = ::umask(0); // a lax umask must not widen the mode either
    save_config(full_config(), file);
    ::umask(old_umask);
    EXPECT_EQ(file_mode(file), 0600U);
    EXPECT_EQ(load_config(file), full_config());
}

TEST(ConfigFile, SaveRefusesAnInvalidConfigAndKeepsTheOldFile) {
    const TempDir dir;
    const fs::path file = dir.path() / "tinyice.json";
    save_config(full_config(), file);
    Config bad = full_config();
    bad.limits.queue_size = 5;
    try {
        save_config(bad, file);
        ADD_FAILURE() << "saved an invalid config";
    } catch (const ConfigError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(file.string()), std::string::npos) << message;
        EXPECT_NE(message.find("limits.queue_size"), std::string::npos) << message;
    }
    EXPECT_EQ(load_config(file), full_config());
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 1);
}

TEST(ConfigFile, SaveIntoMissingDirectoryFails) {
    const TempDir dir;
    const fs::path file = dir.path() / "missing" / "tinyice.json";
    try {
        save_config(full_config(), file);
        ADD_FAILURE() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(file.string() + ": cannot save", 0), 0U) << e.what();
    }
}

TEST(ConfigFile, LoadErrorsStartWithThePath) {
    const TempDir dir;
    const fs::path missing = dir.path() / "nope.json";
    try {
        load_config(missing);
        ADD_FAILURE() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()),
                  missing.string() + ": cannot open: No such file or directory");
    }
    const fs::path bad = dir.path() / "bad.json";
    { std::ofstream(bad) << with_auth(R"("limits": {"queue_size": 100})"); }
    try {
        load_config(bad);
        ADD_FAILURE() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()),
                  bad.string() + ": limits.queue_size: must be at least 65536 (got 100)");
    }
    EXPECT_NO_THROW(load_config_unvalidated(bad));
    EXPECT_THROW(load_config(dir.path()), ConfigError); // a directory, not a file
}

// --- first run ------------------------------------------------------------------------------

TEST(ConfigFirstRun, ValidatesAndThePasswordsMatchTheHashes) {
    FirstRunSecrets secrets;
    const Config cfg = make_first_run_config(secrets);
    EXPECT_NO_THROW(validate(cfg));
    EXPECT_EQ(secrets.admin_password.size(), 20U);
    EXPECT_NE(secrets.admin_password, secrets.source_password);
    EXPECT_NE(secrets.source_password, secrets.live_password);
    EXPECT_TRUE(security::verify_password(secrets.admin_password, cfg.auth.admin_password));
    EXPECT_TRUE(security::verify_password(secrets.source_password, cfg.auth.source_password));
    const MountConfig* live = cfg.find_mount("/live");
    ASSERT_NE(live, nullptr);
    EXPECT_TRUE(security::verify_password(secrets.live_password, live->password));
    EXPECT_FALSE(security::verify_password(secrets.source_password, live->password));
    // Only hashes are stored.
    const std::string text = to_json(cfg);
    for (const std::string* pw :
         {&secrets.admin_password, &secrets.source_password, &secrets.live_password}) {
        EXPECT_EQ(text.find(*pw), std::string::npos);
    }
    EXPECT_EQ(parse_config(text), cfg);
}

// --- the commented example config -----------------------------------------------------------

fs::path example_config_path() {
    // Found relative to this source file, so the test needs no help from the build system.
    for (fs::path dir = fs::path(__FILE__).parent_path(); !dir.empty(); dir = dir.parent_path()) {
        const fs::path candidate = dir / "config" / "tinyice.example.json";
        if (fs::exists(candidate)) {
            return candidate;
        }
        if (dir == dir.parent_path()) {
            break;
        }
    }
    return {};
}

// Key paths present in a JSON document, with array indices dropped ("mounts[].name").
void collect_keys(const boost::json::value& v, const std::string& prefix,
                  std::set<std::string>& out) {
    if (v.is_object()) {
        for (const auto& entry : v.get_object()) {
            const std::string path =
                prefix.empty() ? std::string(entry.key()) : prefix + "." + std::string(entry.key());
            out.insert(path);
            collect_keys(entry.value(), path, out);
        }
    } else if (v.is_array()) {
        for (const auto& element : v.get_array()) {
            collect_keys(element, prefix + "[]", out);
        }
    }
}

TEST(ConfigExample, LoadsAndValidates) {
    const fs::path path = example_config_path();
    ASSERT_FALSE(path.empty()) << "config/tinyice.example.json not found above " << __FILE__;
    Config cfg = load_config_unvalidated(path);
    const FakeEnv env(Vars{});
    apply_env_overrides(cfg, env.getenv());
    EXPECT_NO_THROW(validate(cfg));
    EXPECT_EQ(load_config(path), cfg);

    // The documented example password really is "change-me".
    EXPECT_TRUE(security::verify_password("change-me", cfg.auth.admin_password));
    EXPECT_TRUE(security::verify_password("change-me", cfg.auth.source_password));
    for (const MountConfig& m : cfg.mounts) {
        EXPECT_TRUE(m.password.empty() || security::verify_password("change-me", m.password));
    }
    // It shows a mount with a fallback and a hidden mount with a listener cap.
    EXPECT_TRUE(std::any_of(cfg.mounts.begin(), cfg.mounts.end(),
                            [](const MountConfig& m) { return !m.fallback.empty(); }));
    EXPECT_TRUE(std::any_of(cfg.mounts.begin(), cfg.mounts.end(), [](const MountConfig& m) {
        return m.hidden && m.max_listeners.has_value();
    }));
}

TEST(ConfigExample, DocumentsEveryField) {
    const fs::path path = example_config_path();
    ASSERT_FALSE(path.empty());
    boost::json::parse_options options;
    options.allow_comments = true;
    options.allow_trailing_commas = true;
    std::set<std::string> documented;
    collect_keys(boost::json::parse(read_text(path), {}, options), "", documented);
    std::set<std::string> all_fields;
    collect_keys(boost::json::parse(to_json(full_config())), "", all_fields);
    for (const std::string& key : all_fields) {
        EXPECT_TRUE(documented.count(key) == 1) << "example config lacks " << key;
    }
}

} // namespace
} // namespace tinyice::config
