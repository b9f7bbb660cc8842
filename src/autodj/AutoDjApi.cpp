// The AutoDJ part of the JSON API (docs/API.md, "AutoDJ"). Every route needs an administrator:
// station definitions carry hook commands, which run programs on the server.

#include "autodj/StationManager.hpp"
#include "util/Log.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <charconv>

namespace tinyice::autodj {

namespace json = boost::json;
using http::HttpError;
using http::Request;
using http::Response;

namespace {

std::string_view state_name(PlayState s) {
    switch (s) {
    case PlayState::playing:
        return "playing";
    case PlayState::paused:
        return "paused";
    case PlayState::stopped:
        break;
    }
    return "stopped";
}

json::value track_json(const TrackPtr& t, std::string_view path) {
    json::object o;
    o["file"] = path;
    if (t) {
        o["artist"] = t->artist;
        o["title"] = t->title_or_name();
        o["album"] = t->album;
        o["genre"] = t->genre;
        o["duration"] = t->duration;
        o["display"] = t->display_title();
    } else {
        o["missing"] = true; // no longer in the library
    }
    return o;
}

json::object entry_json(const QueueEntry& e, const LibraryIndex& index,
                        std::optional<std::size_t> position) {
    auto v = track_json(index.find(e.path), e.path);
    auto& o = v.as_object();
    o["id"] = e.id;
    if (position) {
        o["position"] = *position;
    }
    return std::move(o);
}

json::object modes_json(const PlayModes& m) {
    json::object o;
    o["shuffle"] = m.random;
    o["loop"] = m.repeat;
    o["single"] = m.single;
    o["consume"] = m.consume;
    return o;
}

json::object now_playing_json(const NowPlaying& np) {
    json::object o;
    o["station"] = np.station;
    o["running"] = np.running;
    o["on_air"] = np.on_air;
    o["state"] = state_name(np.state);
    if (np.current) {
        o["track"] = track_json(np.current_track, np.current->path);
        o["track"].as_object()["id"] = np.current->id;
    } else {
        o["track"] = nullptr;
    }
    o["elapsed"] = np.elapsed;
    o["duration"] = np.duration;
    o["started_at"] = np.started_at;
    if (np.next) {
        o["next"] = track_json(np.next_track, np.next->path);
    } else {
        o["next"] = nullptr;
    }
    if (np.position) {
        o["position"] = *np.position;
    } else {
        o["position"] = nullptr;
    }
    o["playlist_length"] = np.playlist_length;
    o["playlist_version"] = np.playlist_version;
    o["queue_length"] = np.up_next_length;
    o["modes"] = modes_json(np.modes);
    o["volume"] = static_cast<int>(np.volume * 100.0 + 0.5);
    o["crossfade"] = np.crossfade_seconds;
    o["format"] = codec::to_string(np.encoder.codec);
    o["bitrate"] = np.encoder.bitrate_kbps;
    o["listeners"] = np.listeners;
    o["bytes_sent"] = np.bytes_sent;
    o["last_error"] = np.last_error;
    return o;
}

json::object progress_json(const ScanProgress& p) {
    json::object o;
    o["scanning"] = p.scanning;
    o["analysing"] = p.analysing;
    o["scan_id"] = p.scan_id;
    o["files_seen"] = p.files_seen;
    o["probed"] = p.probed;
    o["added"] = p.added;
    o["updated"] = p.updated;
    o["removed"] = p.removed;
    o["unreadable"] = p.unreadable;
    o["analysis_pending"] = p.analysis_pending;
    o["analysed"] = p.analysed;
    o["last_scan_started"] = p.last_scan_started;
    o["last_scan_finished"] = p.last_scan_finished;
    o["error"] = p.error;
    return o;
}

std::size_t get_index(const json::object& o, std::string_view key) {
    auto v = http::get_int(o, key);
    if (!v || *v < 0) {
        throw HttpError(400, std::string(key) + ": expected a position (integer >= 0)");
    }
    return static_cast<std::size_t>(*v);
}

std::optional<std::size_t> get_optional_index(const json::object& o, std::string_view key) {
    if (!o.contains(key) || o.at(key).is_null()) {
        return std::nullopt;
    }
    return get_index(o, key);
}

std::uint64_t parse_id(const std::string& text) {
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
        throw HttpError(400, "expected a number, got '" + text + "'");
    }
    return v;
}

Response ok_json() {
    json::object o;
    o["ok"] = true;
    return Response::json(o);
}

// Playlist edits report unknown or refused paths as 400 with the station's message.
template <class F>
auto guarded(F&& fn) -> decltype(fn()) {
    try {
        return fn();
    } catch (const std::invalid_argument& e) {
        throw HttpError(400, e.what());
    }
}

} // namespace

std::optional<json::object> StationManager::now_playing(std::string_view mount) const {
    std::shared_ptr<Station> station;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, e] : entries_) {
            if (e.cfg.mount == mount) {
                station = e.station;
                break;
            }
        }
    }
    if (!station) {
        return std::nullopt;
    }
    auto np = station->now_playing();
    json::object o;
    json::object autodj = now_playing_json(np);
    // The track's own tags are better than the "Artist - Title" display string.
    o["autodj"] = std::move(autodj);
    return o;
}

json::array StationManager::now_playing_documents() const {
    std::vector<std::pair<std::string, std::shared_ptr<Station>>> all;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, e] : entries_) {
            all.emplace_back(e.cfg.mount, e.station);
        }
    }
    json::array out;
    for (const auto& [mount, station] : all) {
        auto doc = now_playing_json(station->now_playing());
        doc["mount"] = mount;
        out.push_back(std::move(doc));
    }
    return out;
}

json::object StationManager::describe(const Entry& e) const {
    json::object o;
    o["name"] = e.cfg.name;
    o["mount"] = e.cfg.mount;
    o["defined_in"] = e.from_file ? "config" : "api";
    o["config"] = json::parse(config::to_json(e.cfg));
    o["now_playing"] = now_playing_json(e.station->now_playing());
    o["library"] = progress_json(e.library->progress());
    return o;
}

namespace {

// A DJ runs the stations of the mounts they own; administrators run every station.
void check_station_access(const Request& req, const std::string& mount) {
    if (req.principal.role == http::Principal::Role::dj && !req.principal.may_manage_mount(mount)) {
        throw HttpError(403,
                        "this station plays on " + mount + ", which is not one of your mounts");
    }
}

} // namespace

std::shared_ptr<Station> StationManager::station_of(const Request& req) const {
    auto station = find(req.param("name"));
    if (!station) {
        throw HttpError(404, "no AutoDJ station named '" + req.param("name") + "'");
    }
    check_station_access(req, station->settings().mount);
    return station;
}

Response StationManager::api_list(Request& req) {
    json::array list;
    std::lock_guard lock(mutex_);
    for (const auto& [name, e] : entries_) {
        if (req.principal.role == http::Principal::Role::dj &&
            !req.principal.may_manage_mount(e.cfg.mount)) {
            continue;
        }
        list.push_back(describe(e));
    }
    json::object o;
    o["stations"] = std::move(list);
    return Response::json(o);
}

Response StationManager::api_get(Request& req) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(req.param("name"));
    if (it == entries_.end()) {
        throw HttpError(404, "no AutoDJ station named '" + req.param("name") + "'");
    }
    check_station_access(req, it->second.cfg.mount);
    return Response::json(describe(it->second));
}

Response StationManager::api_create(Request& req) {
    std::lock_guard admin(admin_mutex_);
    config::AutoDjConfig cfg;
    try {
        cfg = config::parse_autodj(req.body.empty() ? "{}" : req.body);
        config::validate_autodj(cfg, "");
    } catch (const config::ConfigError& e) {
        throw HttpError(400, e.what());
    }
    check_can_add(cfg.name); // 503 while shutting down, 409 for a name in use
    {
        std::lock_guard lock(mutex_);
        for (const auto& [name, e] : entries_) {
            if (e.cfg.mount == cfg.mount) {
                throw HttpError(409,
                                "mount " + cfg.mount + " is already fed by station '" + name + "'");
            }
        }
    }
    preflight(cfg);
    Entry e;
    try {
        e = build(cfg, false);
    } catch (const std::exception& ex) {
        throw HttpError(400, ex.what());
    }
    deps_.definitions.put("autodj", cfg.name, config::to_json(cfg));
    util::logger("autodj")->info("{}: created station '{}' on {}", req.client_ip, cfg.name,
                                 cfg.mount);
    add(std::move(e), cfg.enabled);
    std::lock_guard lock(mutex_);
    return Response::json(describe(entries_.at(cfg.name)), 201);
}

Response StationManager::api_update(Request& req, bool merge) {
    std::lock_guard admin(admin_mutex_);
    const std::string name = req.param("name");
    config::AutoDjConfig old;
    std::shared_ptr<Station> current;
    {
        std::lock_guard lock(mutex_);
        if (closed_) {
            throw HttpError(503, "the AutoDJ is shutting down");
        }
        auto it = entries_.find(name);
        if (it == entries_.end()) {
            throw HttpError(404, "no AutoDJ station named '" + name + "'");
        }
        if (it->second.from_file) {
            throw HttpError(409, "station '" + name +
                                     "' is defined in the config file; edit the file and restart");
        }
        old = it->second.cfg;
        current = it->second.station;
    }
    config::AutoDjConfig cfg;
    try {
        if (merge) {
            auto base = json::parse(config::to_json(old)).as_object();
            for (auto& kv : req.json_body()) {
                base[kv.key()] = kv.value();
            }
            cfg = config::parse_autodj(json::serialize(base));
        } else {
            cfg = config::parse_autodj(req.body.empty() ? "{}" : req.body);
        }
        config::validate_autodj(cfg, "");
    } catch (const config::ConfigError& e) {
        throw HttpError(400, e.what());
    }
    if (cfg.name != name) {
        throw HttpError(400, "name: a station cannot be renamed (create a new one)");
    }
    {
        std::lock_guard lock(mutex_);
        for (const auto& [other, e] : entries_) {
            if (other != name && e.cfg.mount == cfg.mount) {
                throw HttpError(409, "mount " + cfg.mount + " is already fed by station '" + other +
                                         "'");
            }
        }
    }
    // Everything that can refuse the update is checked while the station plays on: a bad
    // encoder setting or music folder leaves it alone.
    preflight(cfg);
    // A station stopped through the API stays stopped unless the update turns `enabled` on; a
    // disabled one does not start.
    const bool was_running = current->running();
    const bool run = cfg.enabled && (was_running || !old.enabled);
    current.reset();
    // Stored first: when that fails nothing has changed yet.
    deps_.definitions.put("autodj", cfg.name, config::to_json(cfg));

    auto log = util::logger("autodj");
    remove(name);
    Entry e;
    try {
        e = build(cfg, false);
    } catch (const std::exception& ex) {
        // Not expected after preflight(); put the old station back as it was.
        log->error("station '{}': the update passed its checks but the station could not be "
                   "rebuilt ({}); restoring the previous definition",
                   name, ex.what());
        try {
            deps_.definitions.put("autodj", old.name, config::to_json(old));
            add(build(old, false), was_running);
        } catch (const std::exception& again) {
            log->error("station '{}': cannot restore the previous definition: {}", name,
                       again.what());
        }
        throw HttpError(500, "station '" + name + "' could not be rebuilt: " + ex.what());
    }
    log->info("{}: updated station '{}'", req.client_ip, name);
    add(std::move(e), run);
    std::lock_guard lock(mutex_);
    return Response::json(describe(entries_.at(name)));
}

Response StationManager::api_delete(Request& req) {
    std::lock_guard admin(admin_mutex_);
    const std::string name = req.param("name");
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(name);
        if (it == entries_.end()) {
            throw HttpError(404, "no AutoDJ station named '" + name + "'");
        }
        if (it->second.from_file) {
            throw HttpError(409, "station '" + name +
                                     "' is defined in the config file; remove it there");
        }
    }
    remove(name);
    deps_.definitions.remove("autodj", name);
    deps_.state.delete_state(name);
    util::logger("autodj")->info("{}: deleted station '{}'", req.client_ip, name);
    return Response::no_content();
}

void StationManager::register_routes(http::Router& router) {
    using http::Access;
    const std::string base = "/api/autodj/{name}";
    router.add("GET", "/api/autodj", Access::user, [this](Request& r) { return api_list(r); });
    router.add("POST", "/api/autodj", Access::admin, [this](Request& r) { return api_create(r); });
    router.add("GET", base, Access::user, [this](Request& r) { return api_get(r); });
    router.add("PUT", base, Access::admin, [this](Request& r) { return api_update(r, false); });
    router.add("PATCH", base, Access::admin, [this](Request& r) { return api_update(r, true); });
    router.add("DELETE", base, Access::admin, [this](Request& r) { return api_delete(r); });

    // ---- lifecycle -------------------------------------------------------------------------
    router.add("POST", base + "/start", Access::user, [this](Request& r) {
        station_of(r)->start();
        return ok_json();
    });
    router.add("POST", base + "/stop", Access::user, [this](Request& r) {
        station_of(r)->stop();
        return ok_json();
    });

    // ---- transport -------------------------------------------------------------------------
    router.add("POST", base + "/player/{action}", Access::user, [this](Request& r) {
        auto s = station_of(r);
        const auto& action = r.param("action");
        auto body = r.json_body();
        if (action == "play") {
            s->play();
        } else if (action == "pause") {
            s->pause();
        } else if (action == "toggle") {
            s->toggle_pause();
        } else if (action == "stop") {
            s->stop_playback();
        } else if (action == "next") {
            s->next();
        } else if (action == "previous") {
            s->previous();
        } else if (action == "seek") {
            double seconds = http::get_number(body, "position", -1);
            bool relative = http::get_bool(body, "relative", false);
            if (!relative && seconds < 0) {
                throw HttpError(400, "position: seconds from the start of the track (>= 0)");
            }
            if (!s->seek(seconds, relative)) {
                throw HttpError(409, "nothing to seek in, or the file cannot seek");
            }
        } else if (action == "jump") {
            bool ok = false;
            if (body.contains("id")) {
                ok = s->jump_to_id(static_cast<std::uint64_t>(get_index(body, "id")));
            } else {
                ok = s->jump_to(get_index(body, "position"));
            }
            if (!ok) {
                throw HttpError(404, "no such playlist entry");
            }
        } else {
            throw HttpError(404, "unknown player action '" + action +
                                     "' (play, pause, toggle, stop, next, previous, seek, jump)");
        }
        return Response::json(now_playing_json(s->now_playing()));
    });
    router.add("PUT", base + "/options", Access::user, [this](Request& r) {
        auto s = station_of(r);
        auto body = r.json_body();
        auto np = s->now_playing();
        if (body.contains("volume")) {
            double v = http::get_number(body, "volume", 100);
            if (v < 0 || v > 100) {
                throw HttpError(400, "volume: 0 to 100");
            }
            s->set_volume(v / 100.0);
        }
        if (body.contains("crossfade")) {
            double c = http::get_number(body, "crossfade", 0);
            if (c < 0 || c > 30) {
                throw HttpError(400, "crossfade: 0 to 30 seconds");
            }
            s->set_crossfade(c);
        }
        PlayModes m = np.modes;
        m.random = http::get_bool(body, "shuffle", m.random);
        m.repeat = http::get_bool(body, "loop", m.repeat);
        m.single = http::get_bool(body, "single", m.single);
        m.consume = http::get_bool(body, "consume", m.consume);
        if (!(m == np.modes)) {
            s->set_modes(m);
        }
        return Response::json(now_playing_json(s->now_playing()));
    });

    // ---- playlist --------------------------------------------------------------------------
    router.add("GET", base + "/playlist", Access::user, [this](Request& r) {
        auto s = station_of(r);
        auto index = s->library().index();
        auto entries = s->playlist();
        auto np = s->now_playing();
        json::array list;
        for (std::size_t i = 0; i < entries.size(); ++i) {
            list.push_back(entry_json(entries[i], *index, i));
        }
        json::object o;
        o["version"] = np.playlist_version;
        if (np.position) {
            o["current_position"] = *np.position;
        } else {
            o["current_position"] = nullptr;
        }
        o["entries"] = std::move(list);
        return Response::json(o);
    });
    router.add("POST", base + "/playlist", Access::user, [this](Request& r) {
        auto s = station_of(r);
        auto body = r.json_body();
        auto position = get_optional_index(body, "position");
        std::vector<std::string> paths;
        if (body.contains("paths")) {
            const auto* arr = body.at("paths").if_array();
            if (arr == nullptr) {
                throw HttpError(400, "paths: expected an array of library paths");
            }
            for (const auto& p : *arr) {
                if (!p.is_string()) {
                    throw HttpError(400, "paths: expected an array of library paths");
                }
                paths.emplace_back(p.as_string());
            }
        } else {
            paths.push_back(http::get_string(body, "path"));
        }
        json::array ids;
        guarded([&] {
            for (const auto& p : paths) {
                auto added = s->add(p, position);
                for (auto id : added) {
                    ids.push_back(id);
                }
                if (position) {
                    *position += added.size();
                }
            }
        });
        json::object o;
        o["added"] = std::move(ids);
        return Response::json(o);
    });
    router.add("DELETE", base + "/playlist/{id}", Access::user, [this](Request& r) {
        if (!station_of(r)->remove_id(parse_id(r.param("id")))) {
            throw HttpError(404, "no playlist entry with id " + r.param("id"));
        }
        return Response::no_content();
    });
    router.add("POST", base + "/playlist/move", Access::user, [this](Request& r) {
        auto s = station_of(r);
        auto body = r.json_body();
        bool ok = false;
        if (body.contains("id")) {
            ok = s->move_id(static_cast<std::uint64_t>(get_index(body, "id")),
                            get_index(body, "to"));
        } else {
            auto from = get_index(body, "from");
            ok = s->move(from, from + 1, get_index(body, "to"));
        }
        if (!ok) {
            throw HttpError(400, "position out of range");
        }
        return ok_json();
    });
    router.add("POST", base + "/playlist/clear", Access::user, [this](Request& r) {
        station_of(r)->clear();
        return ok_json();
    });
    router.add("POST", base + "/playlist/shuffle", Access::user, [this](Request& r) {
        auto s = station_of(r);
        s->shuffle(0, s->playlist().size());
        return ok_json();
    });
    router.add("GET", base + "/playlist/export", Access::user, [this](Request& r) {
        auto s = station_of(r);
        auto format = r.query.get("format").value_or("m3u");
        if (format != "m3u" && format != "pls") {
            throw HttpError(400, "format: m3u or pls");
        }
        bool pls = format == "pls";
        auto resp = Response::text(s->export_playlist(pls, r.query.get("absolute") == "1"),
                                   pls ? "audio/x-scpls" : "audio/x-mpegurl");
        resp.headers.emplace_back(
            "Content-Disposition",
            fmt::format("attachment; filename=\"{}.{}\"", s->settings().name, format));
        return resp;
    });
    http::Route import_route{"POST", base + "/playlist/import", Access::user, [this](Request& r) {
                                 auto result = station_of(r)->import_playlist(r.body);
                                 json::object o;
                                 o["added"] = result.added;
                                 o["skipped"] = result.skipped;
                                 return Response::json(o);
                             }};
    import_route.max_body = 16 * 1024 * 1024;
    router.add(std::move(import_route));

    // ---- up-next queue ---------------------------------------------------------------------
    router.add("GET", base + "/queue", Access::user, [this](Request& r) {
        auto s = station_of(r);
        auto index = s->library().index();
        json::array list;
        auto q = s->up_next();
        for (std::size_t i = 0; i < q.size(); ++i) {
            list.push_back(entry_json(q[i], *index, i));
        }
        json::object o;
        o["entries"] = std::move(list);
        return Response::json(o);
    });
    router.add("POST", base + "/queue", Access::user, [this](Request& r) {
        auto s = station_of(r);
        auto body = r.json_body();
        auto path = http::get_string(body, "path");
        auto position = get_optional_index(body, "position");
        auto id = guarded([&] { return s->enqueue(path, position); });
        json::object o;
        o["id"] = id;
        return Response::json(o);
    });
    router.add("DELETE", base + "/queue/{index}", Access::user, [this](Request& r) {
        if (!station_of(r)->dequeue(parse_id(r.param("index")))) {
            throw HttpError(404, "no queue entry at " + r.param("index"));
        }
        return Response::no_content();
    });
    router.add("POST", base + "/queue/move", Access::user, [this](Request& r) {
        auto body = r.json_body();
        if (!station_of(r)->move_up_next(get_index(body, "from"), get_index(body, "to"))) {
            throw HttpError(400, "position out of range");
        }
        return ok_json();
    });
    router.add("POST", base + "/queue/clear", Access::user, [this](Request& r) {
        station_of(r)->clear_up_next();
        return ok_json();
    });

    // ---- stored playlists ------------------------------------------------------------------
    router.add("GET", base + "/playlists", Access::user, [this](Request& r) {
        json::array list;
        for (const auto& p : station_of(r)->stored_playlists()) {
            json::object o;
            o["name"] = p.name;
            o["entries"] = p.entries;
            o["updated_at"] = p.updated_at;
            list.push_back(std::move(o));
        }
        json::object o;
        o["playlists"] = std::move(list);
        return Response::json(o);
    });
    router.add("GET", base + "/playlists/{playlist}", Access::user, [this](Request& r) {
        auto paths = station_of(r)->stored_playlist(r.param("playlist"));
        if (!paths) {
            throw HttpError(404, "no stored playlist named '" + r.param("playlist") + "'");
        }
        json::array list;
        for (const auto& p : *paths) {
            list.emplace_back(p);
        }
        json::object o;
        o["name"] = r.param("playlist");
        o["paths"] = std::move(list);
        return Response::json(o);
    });
    router.add("PUT", base + "/playlists/{playlist}", Access::user, [this](Request& r) {
        auto s = station_of(r);
        try {
            s->save_playlist(r.param("playlist"));
        } catch (const PlaylistLimitError& e) {
            throw HttpError(409, e.what());
        } catch (const std::invalid_argument& e) {
            throw HttpError(400, e.what());
        }
        return ok_json();
    });
    router.add("POST", base + "/playlists/{playlist}/load", Access::user, [this](Request& r) {
        if (!station_of(r)->load_playlist(r.param("playlist"))) {
            throw HttpError(404, "no stored playlist named '" + r.param("playlist") + "'");
        }
        return ok_json();
    });
    router.add("DELETE", base + "/playlists/{playlist}", Access::user, [this](Request& r) {
        if (!station_of(r)->remove_playlist(r.param("playlist"))) {
            throw HttpError(404, "no stored playlist named '" + r.param("playlist") + "'");
        }
        return Response::no_content();
    });

    // ---- library ---------------------------------------------------------------------------
    router.add("GET", base + "/library", Access::user, [this](Request& r) {
        auto s = station_of(r);
        auto dir = r.query.get("path").value_or("");
        while (!dir.empty() && dir.back() == '/') {
            dir.pop_back();
        }
        auto index = s->library().index();
        LibraryIndex::Listing listing;
        if (!index->list(dir, listing)) {
            throw HttpError(404, "no folder '" + dir + "' in the library");
        }
        json::array folders;
        for (const auto& f : listing.folders) {
            folders.emplace_back(f);
        }
        json::array tracks;
        for (const auto& t : listing.tracks) {
            tracks.push_back(track_json(t, t->path));
        }
        json::object o;
        o["path"] = dir;
        o["folders"] = std::move(folders);
        o["tracks"] = std::move(tracks);
        return Response::json(o);
    });
    router.add("GET", base + "/library/search", Access::user, [this](Request& r) {
        auto s = station_of(r);
        auto q = r.query.get("q").value_or("");
        std::size_t limit = 100;
        if (auto l = r.query.get("limit")) {
            limit = std::clamp<std::size_t>(parse_id(*l), 1, 1000);
        }
        json::array tracks;
        for (const auto& t : s->library().index()->search(q, limit)) {
            tracks.push_back(track_json(t, t->path));
        }
        json::object o;
        o["query"] = q;
        o["tracks"] = std::move(tracks);
        return Response::json(o);
    });
    router.add("GET", base + "/library/status", Access::user, [this](Request& r) {
        auto s = station_of(r);
        auto o = progress_json(s->library().progress());
        auto index = s->library().index();
        o["tracks"] = index->tracks().size();
        o["artists"] = index->artists();
        o["albums"] = index->albums();
        o["total_duration"] = index->total_duration();
        return Response::json(o);
    });
    router.add("POST", base + "/library/scan", Access::user, [this](Request& r) {
        json::object o;
        o["scan_id"] = station_of(r)->library().rescan();
        return Response::json(o, 202);
    });
}

} // namespace tinyice::autodj
