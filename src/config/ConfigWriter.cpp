// Config -> JSON text, and the atomic save used for first run and admin edits.

#include "config/Config.hpp"

#include <boost/json.hpp>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace tinyice::config {

namespace json = boost::json;

namespace {

json::object listen_to_json(const ListenAddress& listen) {
    json::object o;
    o["address"] = listen.address;
    o["port"] = listen.port;
    return o;
}

json::object mount_to_json(const MountConfig& mount) {
    json::object o;
    o["name"] = mount.name;
    o["username"] = mount.username;
    o["password"] = mount.password;
    const auto optional = [&o](std::string_view key, const std::optional<std::uint32_t>& value) {
        if (value) {
            o[key] = *value;
        }
    };
    optional("max_listeners", mount.max_listeners);
    optional("burst_size", mount.burst_size);
    optional("queue_size", mount.queue_size);
    optional("flush_interval_ms", mount.flush_interval_ms);
    optional("metaint", mount.metaint);
    o["fallback"] = mount.fallback;
    o["fallback_override"] = mount.fallback_override;
    o["hidden"] = mount.hidden;
    o["stream_name"] = mount.stream_name;
    o["charset"] = mount.charset;
    return o;
}

json::array strings_to_json(const std::vector<std::string>& values) {
    json::array a;
    for (const auto& v : values) {
        a.emplace_back(v);
    }
    return a;
}

json::object hook_to_json(const HookConfig& hook) {
    json::object o;
    o["command"] = strings_to_json(hook.command);
    o["timeout_ms"] = hook.timeout_ms;
    return o;
}

json::object autodj_to_json(const AutoDjConfig& a) {
    json::object o;
    o["name"] = a.name;
    o["mount"] = a.mount;
    o["music_dir"] = a.music_dir;
    o["enabled"] = a.enabled;
    o["format"] = a.format;
    o["bitrate"] = a.bitrate;
    o["sample_rate"] = a.sample_rate;
    o["channels"] = a.channels;
    o["shuffle"] = a.shuffle;
    o["loop"] = a.loop;
    o["crossfade"] = a.crossfade;
    o["normalize"] = a.normalize;
    o["target_lufs"] = a.target_lufs;
    o["volume"] = a.volume;
    o["playlist"] = a.playlist;
    o["analyse_loudness"] = a.analyse_loudness;
    o["next_track"] = hook_to_json(a.next_track);
    o["on_play"] = hook_to_json(a.on_play);
    json::object& mpd = o["mpd"].emplace_object();
    mpd["enabled"] = a.mpd.enabled;
    mpd["address"] = a.mpd.address;
    mpd["port"] = a.mpd.port;
    mpd["password"] = a.mpd.password;
    o["stream_name"] = a.stream_name;
    o["description"] = a.description;
    o["genre"] = a.genre;
    o["url"] = a.url;
    o["public"] = a.is_public;
    return o;
}

json::object transcoder_to_json(const TranscoderConfig& t) {
    json::object o;
    o["name"] = t.name;
    o["input"] = t.input;
    o["output"] = t.output;
    o["format"] = t.format;
    o["bitrate"] = t.bitrate;
    json::array ladder;
    for (auto b : t.ladder) {
        ladder.emplace_back(b);
    }
    o["ladder"] = std::move(ladder);
    o["sample_rate"] = t.sample_rate;
    o["channels"] = t.channels;
    o["enabled"] = t.enabled;
    o["stream_name"] = t.stream_name;
    return o;
}

// boost::json::object keeps insertion order, so building it in struct order is enough.
json::object config_to_json(const Config& cfg) {
    json::object root;
    json::array listen;
    for (const ListenAddress& l : cfg.listen) {
        listen.push_back(listen_to_json(l));
    }
    root["listen"] = std::move(listen);
    root["hostname"] = cfg.hostname;
    root["location"] = cfg.location;
    root["admin_email"] = cfg.admin_email;

    json::object& auth = root["auth"].emplace_object();
    auth["admin_user"] = cfg.auth.admin_user;
    auth["admin_password"] = cfg.auth.admin_password;
    auth["source_password"] = cfg.auth.source_password;

    const LimitsConfig& l = cfg.limits;
    json::object& limits = root["limits"].emplace_object();
    limits["threads"] = l.threads;
    limits["max_clients"] = l.max_clients;
    limits["max_sources"] = l.max_sources;
    limits["max_listeners"] = l.max_listeners;
    limits["max_connections_per_ip"] = l.max_connections_per_ip;
    limits["max_header_bytes"] = l.max_header_bytes;
    limits["header_timeout_ms"] = l.header_timeout_ms;
    limits["source_timeout_ms"] = l.source_timeout_ms;
    limits["queue_size"] = l.queue_size;
    limits["burst_size"] = l.burst_size;
    limits["flush_interval_ms"] = l.flush_interval_ms;
    limits["metaint"] = l.metaint;
    limits["listen_backlog"] = l.listen_backlog;

    json::object& http = root["http"].emplace_object();
    http["cors_allow_origin"] = cfg.http.cors_allow_origin;
    http["server_header"] = cfg.http.server_header;
    http["trusted_proxies"] = strings_to_json(cfg.http.trusted_proxies);
    http["session_idle_minutes"] = cfg.http.session_idle_minutes;
    http["session_max_hours"] = cfg.http.session_max_hours;

    const SecurityConfig& sec = cfg.security;
    json::object& security = root["security"].emplace_object();
    security["login_failures"] = sec.login_failures;
    security["login_window_s"] = sec.login_window_s;
    security["lockout_minutes"] = sec.lockout_minutes;
    security["scan_404s"] = sec.scan_404s;
    security["scan_window_s"] = sec.scan_window_s;
    security["scan_lockout_minutes"] = sec.scan_lockout_minutes;
    security["banned"] = strings_to_json(sec.banned);
    security["allowed"] = strings_to_json(sec.allowed);
    security["allow_only"] = sec.allow_only;

    json::object& logging = root["logging"].emplace_object();
    logging["level"] = cfg.logging.level;
    logging["format"] = cfg.logging.format;
    logging["error_log"] = cfg.logging.error_log;
    logging["access_log"] = cfg.logging.access_log;

    json::array mounts;
    for (const MountConfig& m : cfg.mounts) {
        mounts.push_back(mount_to_json(m));
    }
    root["mounts"] = std::move(mounts);

    json::object& storage = root["storage"].emplace_object();
    storage["database"] = cfg.storage.database;
    storage["history_days"] = cfg.storage.history_days;
    storage["stats_days"] = cfg.storage.stats_days;
    storage["audit_days"] = cfg.storage.audit_days;

    json::array autodj;
    for (const AutoDjConfig& a : cfg.autodj) {
        autodj.push_back(autodj_to_json(a));
    }
    root["autodj"] = std::move(autodj);
    json::array transcoders;
    for (const TranscoderConfig& t : cfg.transcoders) {
        transcoders.push_back(transcoder_to_json(t));
    }
    root["transcoders"] = std::move(transcoders);
    return root;
}

void indent(std::string& out, int depth) {
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
}

// boost::json::serialize only writes compact JSON; the config file is edited by people.
void write_pretty(std::string& out, const json::value& v, int depth) {
    if (v.is_object()) {
        const json::object& o = v.get_object();
        if (o.empty()) {
            out += "{}";
            return;
        }
        out += "{\n";
        bool first = true;
        for (const auto& entry : o) {
            if (!first) {
                out += ",\n";
            }
            first = false;
            indent(out, depth + 1);
            out += json::serialize(json::string_view(entry.key()));
            out += ": ";
            write_pretty(out, entry.value(), depth + 1);
        }
        out += '\n';
        indent(out, depth);
        out += '}';
    } else if (v.is_array()) {
        const json::array& a = v.get_array();
        if (a.empty()) {
            out += "[]";
            return;
        }
        out += "[\n";
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (i != 0) {
                out += ",\n";
            }
            indent(out, depth + 1);
            write_pretty(out, a[i], depth + 1);
        }
        out += '\n';
        indent(out, depth);
        out += ']';
    } else {
        out += json::serialize(v);
    }
}

std::filesystem::path directory_of(const std::filesystem::path& target) {
    return target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
}

// Owns the temporary file until it has been renamed into place; removes it on any failure.
class TempFile {
public:
    // mkostemp creates the file with mode 0600 whatever the umask: the config holds hashes.
    explicit TempFile(const std::filesystem::path& target)
        : path_(
              (directory_of(target) / ("." + target.filename().string() + ".tmp-XXXXXX")).string()),
          fd_(mkostemp(path_.data(), O_CLOEXEC)) {
        if (fd_ < 0) {
            fail(target, "cannot create a temporary file in " + directory_of(target).string());
        }
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    TempFile(TempFile&&) = delete;
    TempFile& operator=(TempFile&&) = delete;
    ~TempFile() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        if (!committed_) {
            ::unlink(path_.c_str());
        }
    }

    void write_all(const std::string& text, const std::filesystem::path& target) {
        std::size_t done = 0;
        while (done < text.size()) {
            const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                fail(target, "cannot write " + path_);
            }
            done += static_cast<std::size_t>(n);
        }
        if (::fsync(fd_) != 0) {
            fail(target, "cannot fsync " + path_);
        }
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) {
            fail(target, "cannot close " + path_);
        }
    }

    void rename_to(const std::filesystem::path& target) {
        if (::rename(path_.c_str(), target.c_str()) != 0) {
            fail(target, "cannot rename " + path_ + " into place");
        }
        committed_ = true;
    }

    [[noreturn]] static void fail(const std::filesystem::path& target, const std::string& what) {
        const int err = errno;
        throw ConfigError(target.string() + ": cannot save: " + what + ": " +
                          std::error_code(err, std::generic_category()).message());
    }

private:
    std::string path_;
    int fd_ = -1;
    bool committed_ = false;
};

// Without this the rename itself may be lost on power failure, leaving the old file.
void fsync_directory(const std::filesystem::path& target) {
    const std::filesystem::path dir = directory_of(target);
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        TempFile::fail(target, "cannot open directory " + dir.string());
    }
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
        errno = err;
        TempFile::fail(target, "cannot fsync directory " + dir.string());
    }
}

} // namespace

std::string to_json(const Config& cfg) {
    std::string out;
    write_pretty(out, config_to_json(cfg), 0);
    out += '\n';
    return out;
}

std::string to_json(const AutoDjConfig& a) {
    return json::serialize(autodj_to_json(a));
}

std::string to_json(const TranscoderConfig& t) {
    return json::serialize(transcoder_to_json(t));
}

std::string to_json(const MountConfig& m) {
    return json::serialize(mount_to_json(m));
}

void save_config(const Config& cfg, const std::filesystem::path& path) {
    // Never write a file the next start would refuse to load.
    try {
        validate(cfg);
    } catch (const ConfigError& e) {
        throw ConfigError(path.string() + ": not saved: " + e.what());
    }
    const std::string text = to_json(cfg);
    TempFile temp(path);
    temp.write_all(text, path);
    temp.rename_to(path);
    fsync_directory(path);
}

} // namespace tinyice::config
