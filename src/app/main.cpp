// Composition root: command line, config (first run, environment overrides), logging, the
// server, and signals. The only place that names every concrete component.

#include "app/Maintenance.hpp"
#include "app/MpdServers.hpp"
#include "app/ServerBridges.hpp"
#include "app/StatsBridges.hpp"
#include "autodj/LevelMeters.hpp"
#include "autodj/StationManager.hpp"
#include "autodj/TranscoderManager.hpp"
#include "codec/FileDecoder.hpp"
#include "config/Config.hpp"
#include "security/PasswordHash.hpp"
#include "server/AccessControl.hpp"
#include "server/Accounts.hpp"
#include "server/MetricsRoute.hpp"
#include "server/MountDefinitions.hpp"
#include "server/Server.hpp"
#include "server/SettingsApi.hpp"
#include "server/StatsApi.hpp"
#include "server/StatsSampler.hpp"
#include "server/WebUi.hpp"
#include "storage/AuditStore.hpp"
#include "storage/AutoDjStore.hpp"
#include "storage/Database.hpp"
#include "storage/DefinitionStore.hpp"
#include "storage/HistoryStore.hpp"
#include "storage/IpRuleStore.hpp"
#include "storage/ListenerStatsStore.hpp"
#include "storage/SessionStore.hpp"
#include "storage/TokenStore.hpp"
#include "storage/UserStore.hpp"
#include "util/Log.hpp"

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <signal.h>

#ifndef TINYICE_VERSION
#define TINYICE_VERSION "0.0.0"
#endif

namespace fs = std::filesystem;
using namespace tinyice;

namespace {

struct Options {
    fs::path config_path = "tinyice.json";
    fs::path data_dir;
};

std::string resolve(const fs::path& base, const std::string& p) {
    if (p.empty() || p == "off" || fs::path(p).is_absolute()) {
        return p;
    }
    return (base / p).string();
}

config::Config load_or_create(const Options& opts) {
    auto getenv = [](const char* name) -> const char* {
        return std::getenv(name);
    };
    if (!fs::exists(opts.config_path)) {
        config::FirstRunSecrets secrets;
        auto cfg = config::make_first_run_config(secrets);
        if (opts.config_path.has_parent_path()) {
            fs::create_directories(opts.config_path.parent_path());
        }
        config::save_config(cfg, opts.config_path);
        auto applied = config::apply_env_overrides(cfg, getenv);
        auto overridden = [&](std::string_view name) {
            return std::find(applied.begin(), applied.end(), name) != applied.end();
        };
        std::cout << "TinyIce first run: wrote " << fs::absolute(opts.config_path).string()
                  << "\n\n  admin user:       " << cfg.auth.admin_user << "\n  admin password:   "
                  << (overridden("TINYICE_ADMIN_PASSWORD") ? "(from TINYICE_ADMIN_PASSWORD)"
                                                           : secrets.admin_password)
                  << "\n  source password:  "
                  << (overridden("TINYICE_SOURCE_PASSWORD") ? "(from TINYICE_SOURCE_PASSWORD)"
                                                            : secrets.source_password)
                  << "   (default for every mount)"
                  << "\n  /live password:   " << secrets.live_password
                  << "   (mount /live, user 'source')"
                  << "\n\nThese passwords are shown once; the config stores only their hashes.\n"
                  << "Web studio: http://localhost:"
                  << (cfg.listen.empty() ? 8000 : cfg.listen.front().port)
                  << "/admin (sign in as the admin user).\n"
                  << std::endl;
        config::validate(cfg);
        return cfg;
    }
    std::ifstream in(opts.config_path, std::ios::binary);
    if (!in) {
        throw config::ConfigError(
            fmt::format("{}: cannot read the config file", opts.config_path.string()));
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    config::Config cfg;
    try {
        cfg = config::parse_config_unvalidated(text);
        config::apply_env_overrides(cfg, getenv);
        config::validate(cfg);
    } catch (const config::ConfigError& e) {
        throw config::ConfigError(fmt::format("{}: {}", opts.config_path.string(), e.what()));
    }
    return cfg;
}

// Periodic housekeeping: retention of plays, statistics and audit entries, expired sessions
// and bans, and the per-minute listener counts behind the statistics charts.
void add_maintenance(app::Maintenance& m, const config::Config& cfg, storage::HistoryStore& history,
                     storage::AuditStore& audit, storage::ListenerStatsStore& stats,
                     server::Accounts& accounts, server::AccessControl& access,
                     server::Server& srv) {
    using namespace std::chrono_literals;
    auto days_ago = [](std::uint32_t days) {
        return storage::unix_ms_now() - std::int64_t{days} * 24 * 3600 * 1000;
    };
    auto log = util::logger("storage");
    m.add("history retention", 6h, [&history, days = cfg.storage.history_days, days_ago, log] {
        if (days > 0) {
            if (auto n = history.prune(days_ago(days)); n > 0) {
                log->info("deleted {} plays older than {} days", n, days);
            }
        }
    });
    m.add("statistics retention", 6h, [&stats, days = cfg.storage.stats_days, days_ago, log] {
        if (days > 0) {
            if (auto n = stats.prune(days_ago(days)); n > 0) {
                log->info("deleted {} listener statistics rows older than {} days", n, days);
            }
        }
    });
    m.add("audit retention", 6h, [&audit, days = cfg.storage.audit_days, days_ago, log] {
        if (days > 0) {
            audit.prune(days_ago(days));
        }
    });
    m.add("sessions", 15min, [&accounts] { accounts.prune_sessions(); });
    m.add("expired bans", 1min, [&access] { access.reload(); });
    m.add("listener minutes", app::listener_minute_interval(), [&stats, &srv] {
        const auto minute = storage::unix_ms_now() / 60000;
        for (const auto& mount : srv.snapshot().mounts) {
            if (mount.has_source || mount.listeners > 0) {
                stats.record_minute(mount.mount, minute, mount.listeners);
            }
        }
    });
}

int wait_for_signal() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) {
            return SIGTERM;
        }
        if (sig == SIGHUP) {
            util::logger("main")->warn(
                "SIGHUP received: configuration reload is not supported yet; restart to apply "
                "changes");
            continue;
        }
        return sig;
    }
}

} // namespace

int main(int argc, char** argv) {
    Options opts;
    CLI::App app{"TinyIce: an Icecast-compatible internet radio server"};
    app.set_version_flag("-V,--version", std::string("tinyice ") + TINYICE_VERSION);
    app.add_option("-c,--config", opts.config_path,
                   "Config file (JSON with comments); written with generated passwords when "
                   "missing")
        ->capture_default_str();
    app.add_option("-d,--data-dir", opts.data_dir,
                   "Directory for data files and relative log paths (default: the config file's "
                   "directory)");
    auto* hash_cmd = app.add_subcommand(
        "hash-password", "Read a password from standard input and print its hash for the config");
    fs::path backup_dest;
    auto* backup_cmd = app.add_subcommand(
        "backup", "Write a consistent copy of the database (history, library, AutoDJ state) "
                  "to FILE; safe while the server runs");
    backup_cmd->add_option("file", backup_dest, "Destination file (must not exist)")->required();
    app.footer("Environment: TINYICE_ADMIN_PASSWORD, TINYICE_SOURCE_PASSWORD, TINYICE_ADMIN_USER,\n"
               "TINYICE_PORT, TINYICE_BIND (comma-separated addresses), TINYICE_HOSTNAME,\n"
               "TINYICE_LOG_LEVEL override the config file. See README.md.");
    CLI11_PARSE(app, argc, argv);

    if (*hash_cmd) {
        std::string password;
        std::getline(std::cin, password);
        if (!password.empty() && password.back() == '\r') {
            password.pop_back();
        }
        if (password.empty()) {
            std::fprintf(stderr, "tinyice: empty password\n");
            return 2;
        }
        std::cout << security::hash_password(password) << std::endl;
        return 0;
    }

    // Signals are taken by sigwait in main only; every thread started later inherits the mask.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);

    auto started = std::chrono::steady_clock::now();
    config::Config cfg;
    try {
        cfg = load_or_create(opts);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tinyice: %s\n", e.what());
        return 2;
    }
    if (opts.data_dir.empty()) {
        opts.data_dir = fs::absolute(opts.config_path).parent_path();
    }
    try {
        fs::create_directories(opts.data_dir);
        util::LogSettings log;
        log.level = cfg.logging.level;
        log.format = cfg.logging.format;
        log.error_log = resolve(opts.data_dir, cfg.logging.error_log);
        log.access_log = resolve(opts.data_dir, cfg.logging.access_log);
        util::configure_logging(log);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tinyice: %s\n", e.what());
        return 2;
    }

    const fs::path db_path = resolve(opts.data_dir, cfg.storage.database);
    if (*backup_cmd) {
        try {
            if (fs::exists(backup_dest)) {
                std::fprintf(stderr, "tinyice: %s exists already\n", backup_dest.c_str());
                return 2;
            }
            storage::Database db(db_path);
            db.backup_to(backup_dest);
            std::printf("tinyice: %s backed up to %s\n", db_path.c_str(), backup_dest.c_str());
            return 0;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "tinyice: backup failed: %s\n", e.what());
            return 1;
        }
    }

    auto log = util::logger("main");
    codec::init_ffmpeg_logging();
    // Components in dependency order; destroyed in reverse (the unique_ptrs below are reset
    // explicitly at shutdown so the order is visible).
    std::unique_ptr<storage::Database> db;
    std::unique_ptr<storage::HistoryStore> history;
    std::unique_ptr<storage::AutoDjStore> autodj_state;
    std::unique_ptr<storage::DefinitionStore> definitions;
    std::unique_ptr<storage::UserStore> users;
    std::unique_ptr<storage::SessionStore> sessions;
    std::unique_ptr<storage::TokenStore> tokens;
    std::unique_ptr<storage::AuditStore> audit;
    std::unique_ptr<storage::IpRuleStore> ip_rules;
    std::unique_ptr<storage::ListenerStatsStore> listener_stats;
    std::unique_ptr<server::AccessControl> access;
    std::unique_ptr<server::Accounts> accounts;
    // Declared before the server so that it is destroyed after it (the server calls it).
    std::unique_ptr<server::WebUi> web;
    // Before the server: its API handlers use it until the server is gone.
    std::unique_ptr<server::MountDefinitions> mount_definitions;
    std::unique_ptr<server::SettingsApi> settings;
    std::unique_ptr<server::StatsSampler> stats_sampler;
    std::unique_ptr<server::Server> srv;
    std::unique_ptr<app::ServerMountAccess> autodj_mounts;
    std::unique_ptr<app::MpdServers> mpd_servers;
    std::unique_ptr<autodj::StationManager> stations;
    std::unique_ptr<app::StationNowPlaying> now_playing;
    std::unique_ptr<app::ServerMountAccess> transcoder_mounts;
    std::unique_ptr<autodj::LevelMeters> level_meters;
    std::unique_ptr<autodj::TranscoderManager> transcoders;
    std::unique_ptr<app::Maintenance> maintenance;
    try {
        db = std::make_unique<storage::Database>(db_path);
    } catch (const std::exception& e) {
        log->critical("cannot open the database: {}", e.what());
        return 2;
    }
    try {
        history = std::make_unique<storage::HistoryStore>(*db);
        autodj_state = std::make_unique<storage::AutoDjStore>(*db);
        definitions = std::make_unique<storage::DefinitionStore>(*db);
        users = std::make_unique<storage::UserStore>(*db);
        sessions = std::make_unique<storage::SessionStore>(*db);
        tokens = std::make_unique<storage::TokenStore>(*db);
        audit = std::make_unique<storage::AuditStore>(*db);
        ip_rules = std::make_unique<storage::IpRuleStore>(*db);
        listener_stats = std::make_unique<storage::ListenerStatsStore>(*db);
        access = std::make_unique<server::AccessControl>(cfg, ip_rules.get());
        accounts = std::make_unique<server::Accounts>(
            cfg, server::Accounts::Stores{*users, *sessions, *tokens, audit.get()}, *access);
        srv = std::make_unique<server::Server>(cfg, TINYICE_VERSION);
        srv->set_history(history.get());
        srv->set_security(access.get(), accounts.get());
        srv->set_listener_stats(listener_stats.get());
        access->on_ban = [s = srv.get()](const security::IpNetwork& n) {
            s->drop_connections_from(n);
        };
        access->on_lockout = [a = audit.get()](const std::string& network, std::string_view source,
                                               const std::string& why) {
            a->record(
                storage::AuditRecord{0, 0, "", network, "security", std::string(source), network,
                                     boost::json::serialize(boost::json::object{{"reason", why}})});
        };
        accounts->register_routes(srv->router());
        server::register_security_routes(srv->router(), *access, audit.get());
        autodj_mounts = std::make_unique<app::ServerMountAccess>(*srv, "autodj");
        mpd_servers = std::make_unique<app::MpdServers>();
        stations = std::make_unique<autodj::StationManager>(
            autodj::StationManager::Dependencies{*autodj_mounts, *db, *autodj_state, *history,
                                                 *definitions, opts.data_dir},
            mpd_servers.get());
        stations->register_routes(srv->router());
        transcoder_mounts = std::make_unique<app::ServerMountAccess>(*srv, "transcoder");
        level_meters = std::make_unique<autodj::LevelMeters>(*transcoder_mounts);
        transcoders = std::make_unique<autodj::TranscoderManager>(
            autodj::TranscoderManager::Dependencies{*transcoder_mounts, *definitions});
        transcoders->register_routes(srv->router());
        mount_definitions = std::make_unique<server::MountDefinitions>(cfg, *definitions, *srv);
        server::register_mount_routes(srv->router(), *srv, *mount_definitions, audit.get(),
                                      users.get());
        // Statistics, site settings and /metrics.
        stats_sampler = std::make_unique<server::StatsSampler>(*srv);
        server::register_stats_routes(srv->router(), listener_stats.get(), stats_sampler.get());
        settings = std::make_unique<server::SettingsApi>(server::SettingsApi::Dependencies{
            cfg, TINYICE_VERSION, db_path.string(), srv->snapshot().server_start, definitions.get(),
            audit.get()});
        settings->register_routes(srv->router());
        server::register_metrics_route(srv->router(), *srv, access.get(),
                                       app::metrics_sources(*stations, *transcoders),
                                       TINYICE_VERSION);
        // The dashboard's live feed (/admin/events): the sampler's latest statistics and the
        // stations' now playing. Both outlive the server's workers (destroyed after it).
        srv->set_live_sources(
            [sampler = stats_sampler.get()] { return sampler->latest(); },
            [manager = stations.get()] { return manager->now_playing_documents(); },
            [meters = level_meters.get()](
                const std::string& mount) -> std::optional<server::Server::Level> {
                auto level = meters->level(mount);
                if (!level) {
                    return std::nullopt;
                }
                return server::Server::Level{level->peak_db, level->rms_db};
            });
        now_playing = std::make_unique<app::StationNowPlaying>(*stations);
        srv->set_now_playing_provider(now_playing.get());
        // The web interface, once every API route is registered (pages call them).
        web = std::make_unique<server::WebUi>(srv->router(), TINYICE_VERSION);
        srv->set_web(web.get());
        // Mounts changed or created through the API, once every path the server answers
        // itself is known (such names are refused as mounts).
        mount_definitions->load();
        srv->start();
        stations->start(cfg.autodj);
        transcoders->start(cfg.transcoders);
        stats_sampler->start();
        maintenance = std::make_unique<app::Maintenance>();
        add_maintenance(*maintenance, cfg, *history, *audit, *listener_stats, *accounts, *access,
                        *srv);
        maintenance->add("level meters", std::chrono::seconds(5),
                         [meters = level_meters.get()] { meters->expire(); });
        maintenance->start();
    } catch (const std::exception& e) {
        log->critical("cannot start: {}", e.what());
        return 1;
    }
    log->info("TinyIce {} serving (started in {} ms)", TINYICE_VERSION,
              std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count());

    int sig = wait_for_signal();
    log->info("{} received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    auto stopping = std::chrono::steady_clock::now();
    maintenance.reset();
    stats_sampler->stop();
    // In-process sources release their mounts while the server still runs.
    transcoders->stop_all();
    stations->stop_all();
    srv->stop();
    srv->wait();
    srv.reset();
    level_meters.reset();
    mount_definitions.reset();
    stats_sampler.reset();
    settings.reset();
    web.reset();
    transcoders.reset();
    transcoder_mounts.reset();
    stations.reset();
    mpd_servers.reset();
    now_playing.reset();
    autodj_mounts.reset();
    accounts.reset();
    access.reset();
    listener_stats.reset(); // writes what is still queued
    audit.reset();
    ip_rules.reset();
    tokens.reset();
    sessions.reset();
    users.reset();
    history.reset();
    definitions.reset();
    autodj_state.reset();
    db.reset();
    log->info("stopped in {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - stopping)
                                      .count());
    spdlog::shutdown();
    return 0;
}
