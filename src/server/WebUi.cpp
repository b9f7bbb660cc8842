// The web interface's pages and assets. See WebUi.hpp and docs/WEB.md.

#include "server/WebUi.hpp"

#include "protocol/http/Ascii.hpp"
#include "protocol/http/Query.hpp"
#include "util/Log.hpp"

#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <ctime>

namespace tinyice::server {

namespace json = boost::json;
using http::Access;
using http::Principal;

namespace {

// ---- small JSON readers -------------------------------------------------------------------

std::string_view str(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key)) {
        if (const auto* s = v->if_string()) {
            return *s;
        }
    }
    return {};
}

std::optional<double> num(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v != nullptr && v->is_number()) {
        return v->to_number<double>();
    }
    return std::nullopt;
}

bool flag(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key)) {
        if (const auto* b = v->if_bool()) {
            return *b;
        }
    }
    return false;
}

const json::object* obj(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key)) {
        return v->if_object();
    }
    return nullptr;
}

const json::array* arr(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key)) {
        return v->if_array();
    }
    return nullptr;
}

const json::object* as_object(const std::optional<json::value>& v) {
    return v ? v->if_object() : nullptr;
}
// A pointer into a temporary would dangle at the end of the full expression.
const json::object* as_object(std::optional<json::value>&&) = delete;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string capitalised(std::string_view s) {
    std::string out(s);
    if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') {
        out[0] = static_cast<char>(out[0] - 'a' + 'A');
    }
    return out;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

// ---- security headers ---------------------------------------------------------------------

constexpr std::string_view csp_base =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; ";

void add_html_headers(http::Response& r, bool embeddable) {
    r.headers.emplace_back("Content-Security-Policy",
                           std::string(csp_base) +
                               (embeddable ? "frame-ancestors *" : "frame-ancestors 'none'"));
    if (!embeddable) {
        r.headers.emplace_back("X-Frame-Options", "DENY");
    }
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "same-origin");
    r.headers.emplace_back(
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()");
    r.headers.emplace_back("Cache-Control", "no-store");
}

http::Response redirect(std::string_view location) {
    http::Response r;
    r.status = 303;
    r.content_type = "text/html; charset=utf-8";
    r.body = fmt::format("<!doctype html><title>See other</title><a href=\"{0}\">{0}</a>\n",
                         http::html_escape(location));
    r.headers.emplace_back("Location", std::string(location));
    add_html_headers(r, false);
    return r;
}

// A same-site path to go to after logging in; anything else (other sites, "//host", "/\host")
// becomes the dashboard.
std::string safe_next(std::string_view next) {
    if (next.empty() || next.size() > 2048 || next.front() != '/' ||
        (next.size() > 1 && (next[1] == '/' || next[1] == '\\'))) {
        return "/admin";
    }
    for (char c : next) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') {
            return "/admin";
        }
    }
    return std::string(next);
}

bool allowed(Access access, const Principal& p) {
    switch (access) {
    case Access::anyone:
        return true;
    case Access::user:
        return p.logged_in();
    case Access::admin:
        return p.is_admin();
    case Access::superadmin:
        return p.is_superadmin();
    }
    return false;
}

// "If-None-Match: "a", W/"b"" holds the entity tag `etag` (or is "*").
bool etag_matches(std::string_view header, std::string_view etag) {
    std::size_t i = 0;
    while (i < header.size()) {
        while (i < header.size() && (header[i] == ' ' || header[i] == ',' || header[i] == '\t')) {
            ++i;
        }
        if (header.substr(i, 1) == "*") {
            return true;
        }
        if (header.substr(i, 2) == "W/") {
            i += 2;
        }
        if (i >= header.size() || header[i] != '"') {
            return false;
        }
        auto end = header.find('"', i + 1);
        if (end == std::string_view::npos) {
            return false;
        }
        if (header.substr(i + 1, end - i - 1) == etag) {
            return true;
        }
        i = end + 1;
    }
    return false;
}

// ---- accent colour (site settings) -------------------------------------------------------

struct Rgb {
    double r, g, b; // 0..255
};

std::optional<Rgb> parse_hex_colour(std::string_view s) {
    if (!s.empty() && s.front() == '#') {
        s.remove_prefix(1);
    }
    if (s.size() != 3 && s.size() != 6) {
        return std::nullopt;
    }
    auto hex = [](char c) { return protocol::http::hex_value(c); };
    std::array<int, 3> v{};
    for (std::size_t i = 0; i < 3; ++i) {
        int hi = 0;
        int lo = 0;
        if (s.size() == 3) {
            hi = lo = hex(s[i]);
        } else {
            hi = hex(s[2 * i]);
            lo = hex(s[2 * i + 1]);
        }
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        v[i] = hi * 16 + lo;
    }
    return Rgb{double(v[0]), double(v[1]), double(v[2])};
}

std::string hex_colour(const Rgb& c) {
    auto clamp = [](double x) {
        return static_cast<int>(std::lround(std::clamp(x, 0.0, 255.0)));
    };
    return fmt::format("#{:02x}{:02x}{:02x}", clamp(c.r), clamp(c.g), clamp(c.b));
}

double luminance(const Rgb& c) {
    auto channel = [](double v) {
        v /= 255.0;
        return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
}

double contrast(const Rgb& a, const Rgb& b) {
    double la = luminance(a);
    double lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

// ---- time labels ---------------------------------------------------------------------------

std::string iso_time(std::int64_t ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", tm,
                       static_cast<int>(((ms % 1000) + 1000) % 1000));
}

// Like assets/app.js ago().
std::string ago(std::int64_t then_ms, std::int64_t now) {
    double s = static_cast<double>(now - then_ms) / 1000.0;
    if (s < 45) {
        return "just now";
    }
    if (s < 90) {
        return "1 min ago";
    }
    if (s < 3600) {
        return fmt::format("{} min ago", static_cast<long>(std::lround(s / 60)));
    }
    if (s < 86400) {
        return fmt::format("{} h ago", static_cast<long>(std::lround(s / 3600)));
    }
    return fmt::format("{} d ago", static_cast<long>(std::lround(s / 86400)));
}

json::object decorate_play(const json::object& p, std::int64_t now) {
    json::object out;
    std::string title(str(p, "title"));
    std::string artist(str(p, "artist"));
    if (artist.empty()) {
        if (auto dash = title.find(" - "); dash != std::string::npos) {
            artist = title.substr(0, dash);
            title = title.substr(dash + 3);
        }
    }
    if (title.empty()) {
        title = str(p, "file");
    }
    auto started = static_cast<std::int64_t>(num(p, "started_at").value_or(0));
    out["title"] = title.empty() ? "Untitled" : title;
    out["artist"] = artist;
    out["started_at"] = started;
    out["iso"] = iso_time(started);
    out["ago"] = ago(started, now);
    return out;
}

json::object progress_of(double elapsed, double duration) {
    json::object p;
    elapsed = std::clamp(elapsed, 0.0, duration);
    p["elapsed"] = elapsed;
    p["duration"] = duration;
    p["elapsed_label"] = web_format::clock(elapsed);
    p["duration_label"] = web_format::clock(duration);
    return p;
}

// Title and artist for display: "Artist - Title" strings are split at the first " - ".
std::pair<std::string, std::string> split_title(std::string_view full, std::string_view artist) {
    std::string title(full);
    std::string who(artist);
    if (!who.empty()) {
        std::string prefix = who + " - ";
        if (title.starts_with(prefix)) {
            title = title.substr(prefix.size());
        }
    } else if (auto dash = title.find(" - "); dash != std::string::npos) {
        who = title.substr(0, dash);
        title = title.substr(dash + 3);
    }
    return {title, who};
}

json::object decorate_station(const json::object& doc) {
    json::object s;
    std::string name(str(doc, "station"));
    if (name.empty()) {
        name = str(doc, "name");
    }
    s["name"] = name;
    std::string mount(str(doc, "mount"));
    s["mount"] = mount;
    s["player_url"] = mount.empty() ? "" : "/player" + web_format::mount_path(mount);
    const bool running = flag(doc, "running");
    std::string state = running ? std::string(str(doc, "state")) : "off";
    std::string label = state == "playing"  ? "Playing"
                        : state == "paused" ? "Paused"
                        : state == "off"    ? "Not running"
                                            : "Stopped";
    if (running && state == "playing" && doc.contains("on_air") && !flag(doc, "on_air")) {
        state = "standby";
        label = "Standby";
    }
    s["state"] = state;
    s["state_label"] = label;
    std::string format = upper(str(doc, "format"));
    if (auto br = num(doc, "bitrate"); br && *br > 0) {
        format += fmt::format("{}{} kbps", format.empty() ? "" : " · ", std::lround(*br));
    }
    s["format"] = format;
    s["listeners"] = static_cast<std::int64_t>(num(doc, "listeners").value_or(0));
    if (const auto* track = obj(doc, "track")) {
        std::string title(str(*track, "title"));
        if (title.empty()) {
            title = str(*track, "display");
        }
        s["track"] = json::object{{"title", title}, {"artist", str(*track, "artist")}};
    } else {
        s["track"] = nullptr;
    }
    if (auto d = num(doc, "duration"); d && *d > 0 && running) {
        s["progress"] = progress_of(num(doc, "elapsed").value_or(0), *d);
    } else {
        s["progress"] = nullptr;
    }
    std::string next;
    if (const auto* n = obj(doc, "next")) {
        next = str(*n, "display");
        if (next.empty()) {
            next = str(*n, "title");
        }
    }
    s["next_display"] = next;
    s["last_error"] = str(doc, "last_error");
    return s;
}

// A dashboard row from a mount's now-playing document merged with its live statistics.
json::object decorate_row(const json::object& m) {
    json::object row = decorate_mount(m);
    auto in = num(m, "bandwidth_in_bps");
    auto out = num(m, "bandwidth_out_bps");
    row["in_label"] = in ? web_format::bits_per_second(*in) : "—";
    row["out_label"] = out ? web_format::bits_per_second(*out) : "—";
    return row;
}

// ---- admin pages ---------------------------------------------------------------------------

json::object dashboard_data(PageContext& ctx) {
    json::object view;
    json::object client;
    auto stats = ctx.get("/api/stats/server");
    auto np = ctx.get("/api/nowplaying");
    auto stations = ctx.get("/api/autodj");
    auto history = ctx.get("/api/stats/listeners", "range=1h");

    // Merge each mount's now-playing document with its statistics (by mount name).
    json::array merged;
    std::int64_t listeners = 0;
    std::int64_t sources = 0;
    if (const auto* o = as_object(np); o != nullptr && arr(*o, "mounts") != nullptr) {
        for (const auto& v : *arr(*o, "mounts")) {
            if (const auto* m = v.if_object()) {
                json::object row = *m;
                listeners += static_cast<std::int64_t>(num(*m, "listeners").value_or(0));
                sources += flag(*m, "live") ? 1 : 0;
                if (const auto* s = as_object(stats); s && arr(*s, "mounts")) {
                    for (const auto& sm : *arr(*s, "mounts")) {
                        const auto* smo = sm.if_object();
                        if (smo && str(*smo, "mount") == str(*m, "mount")) {
                            for (const auto& kv : *smo) {
                                if (kv.key().starts_with("bandwidth_")) {
                                    row[kv.key()] = kv.value();
                                }
                            }
                        }
                    }
                }
                merged.push_back(std::move(row));
            }
        }
    }
    json::array rows;
    for (const auto& m : merged) {
        rows.push_back(decorate_row(m.as_object()));
    }

    json::object cards;
    const auto* s = as_object(stats);
    cards["listeners"] =
        s ? static_cast<std::int64_t>(num(*s, "listeners").value_or(0)) : listeners;
    cards["sources"] = s ? static_cast<std::int64_t>(num(*s, "sources").value_or(0)) : sources;
    auto in = s ? num(*s, "bandwidth_in_bps") : std::nullopt;
    auto out = s ? num(*s, "bandwidth_out_bps") : std::nullopt;
    auto up = s ? num(*s, "uptime") : std::nullopt;
    cards["bandwidth_in"] = in ? web_format::bits_per_second(*in) : "—";
    cards["bandwidth_out"] = out ? web_format::bits_per_second(*out) : "—";
    cards["uptime"] = up ? web_format::uptime(*up) : "—";

    json::array station_views;
    json::array station_docs;
    if (const auto* o = as_object(stations); o && arr(*o, "stations")) {
        for (const auto& v : *arr(*o, "stations")) {
            const auto* st = v.if_object();
            if (st == nullptr) {
                continue;
            }
            json::object doc;
            if (const auto* n = obj(*st, "now_playing")) {
                doc = *n;
            }
            if (str(doc, "station").empty()) {
                doc["station"] = str(*st, "name");
            }
            if (str(doc, "mount").empty()) {
                doc["mount"] = str(*st, "mount");
            }
            station_views.push_back(decorate_station(doc));
            station_docs.push_back(std::move(doc));
        }
    }

    view["stats"] = cards;
    view["mounts"] = rows;
    view["stations"] = station_views;
    view["has_stations"] = !station_views.empty();
    client["mounts"] = merged;
    client["stations"] = station_docs;
    client["stats_available"] = s != nullptr;
    if (const auto* h = as_object(history); h && arr(*h, "points")) {
        client["listener_points"] = *arr(*h, "points");
    } else {
        client["listener_points"] = json::array{};
    }
    view["client"] = client;
    return view;
}

constexpr std::array<std::string_view, 2> dashboard_templates{"mount_row", "station_card"};

// ---- admin pages: mounts, listeners, account, users, security, settings --------------------

// Like format.bytes in assets/app.js: 512 B, 1.50 kB, 23.0 MB (SI units).
std::string bytes_label(double n) {
    if (!std::isfinite(n) || n < 0) {
        n = 0;
    }
    if (n < 1000) {
        return fmt::format("{} B", std::lround(n));
    }
    constexpr std::array<std::string_view, 4> units{"kB", "MB", "GB", "TB"};
    std::size_t u = 0;
    n /= 1000;
    while (n >= 1000 && u + 1 < units.size()) {
        n /= 1000;
        ++u;
    }
    return n < 10    ? fmt::format("{:.2f} {}", n, units[u])
           : n < 100 ? fmt::format("{:.1f} {}", n, units[u])
                     : fmt::format("{} {}", std::lround(n), units[u]);
}

// "?mount=/my show" as a query value (the mount path percent-encoded, slashes kept).
std::string listeners_url(std::string_view mount) {
    return "/admin/listeners?mount=" + web_format::mount_path(mount);
}

// A row of the mounts table from a mount document of GET /api/mounts. Mirrors
// decorateAdminMount in assets/pages/mounts.js.
json::object decorate_admin_mount(const json::object& doc) {
    static const json::object no_settings;
    const auto* settings = obj(doc, "settings");
    const json::object& s = settings ? *settings : no_settings;
    const auto* source = obj(doc, "source");
    json::object m;
    std::string name(str(doc, "name"));
    const bool live = flag(doc, "live");
    m["name"] = name;
    m["live"] = live;
    m["state_label"] = live ? "Live" : "Idle";
    std::string origin = source ? std::string(str(*source, "origin")) : "";
    m["origin_label"] = !live                                ? ""
                        : origin == "autodj"                 ? "AutoDJ"
                        : origin == "transcoder"             ? "Transcoder"
                        : origin.empty() || origin == "live" ? "Encoder"
                                                             : capitalised(origin);
    m["format"] = source ? web_format::stream_format(str(*source, "content_type"), "",
                                                     num(*source, "bitrate"))
                         : "";
    m["source_ip"] = source ? str(*source, "ip") : "";
    m["listeners"] = static_cast<std::int64_t>(num(doc, "listeners").value_or(0));
    m["listener_peak"] = static_cast<std::int64_t>(num(doc, "listener_peak").value_or(0));
    auto max = num(s, "max_listeners");
    m["max_label"] = max ? fmt::format("max {}", static_cast<std::int64_t>(*max)) : "unlimited";
    m["buffer_label"] =
        fmt::format("burst {} · queue {}", bytes_label(num(s, "burst_size").value_or(0)),
                    bytes_label(num(s, "queue_size").value_or(0)));
    m["fallback"] = str(s, "fallback");
    m["fallback_override"] = flag(s, "fallback_override");
    m["hidden"] = flag(s, "hidden");
    m["stream_name"] = str(s, "stream_name");
    m["title"] = str(doc, "title");
    m["pending"] = flag(doc, "pending");
    m["has_password"] = flag(s, "has_password");
    std::string defined(str(doc, "defined_in"));
    m["defined"] = !defined.empty();
    m["defined_label"] = defined == "config"       ? "config file"
                         : defined == "api"        ? "studio"
                         : defined == "config+api" ? "config file, changed here"
                                                   : "not defined (default password)";
    m["deletable"] = defined == "api" || defined == "config+api";
    m["delete_label"] = defined == "config+api" ? "Revert" : "Delete";
    std::string owners;
    if (const auto* o = arr(doc, "owners")) {
        for (const auto& v : *o) {
            if (v.is_string()) {
                owners += (owners.empty() ? "" : ", ") + std::string(v.get_string());
            }
        }
    }
    m["owners"] = owners;
    m["player_url"] = "/player" + web_format::mount_path(name);
    m["listeners_url"] = listeners_url(name);
    return m;
}

json::object mounts_data(PageContext& ctx) {
    json::object view;
    json::array rows;
    json::array docs;
    auto mounts = ctx.get("/api/mounts");
    if (const auto* o = as_object(mounts); o && arr(*o, "mounts")) {
        for (const auto& v : *arr(*o, "mounts")) {
            if (const auto* m = v.if_object()) {
                rows.push_back(decorate_admin_mount(*m));
                docs.push_back(*m);
            }
        }
    }
    view["unavailable"] = mounts ? "" : fmt::format("The mounts API answered {}.", ctx.status());
    view["mounts"] = std::move(rows);
    view["client"] = json::object{{"mounts", std::move(docs)}};
    return view;
}

constexpr std::array<std::string_view, 1> mounts_templates{"mounts_row"};

// A row of the listeners table from GET /api/mounts/MOUNT/listeners. Mirrors decorateListener
// in assets/pages/listeners.js.
json::object decorate_listener(const json::object& l) {
    json::object v;
    auto id = static_cast<std::int64_t>(num(l, "id").value_or(0));
    auto seconds = num(l, "connected_seconds").value_or(0);
    v["id"] = id;
    v["ip"] = str(l, "ip");
    std::string agent(str(l, "user_agent"));
    v["user_agent"] = agent.empty() ? "Unknown" : agent;
    v["connected_seconds"] = static_cast<std::int64_t>(seconds);
    v["connected_label"] = web_format::uptime(seconds);
    v["bytes_label"] = bytes_label(num(l, "bytes").value_or(0));
    std::string mount(str(l, "mount"));
    std::string home(str(l, "home"));
    // After a fallback the listener asked for one mount and is fed by another.
    v["via"] = !home.empty() && home != mount ? fmt::format("asked for {}, fed by {}", home, mount)
                                              : std::string();
    return v;
}

json::object listeners_data(PageContext& ctx) {
    json::object view;
    json::object client;
    json::array options;
    json::array option_docs;
    std::string wanted(ctx.request().query.get("mount").value_or(""));
    std::string selected;
    std::string first_live;
    auto mounts = ctx.get("/api/mounts");
    if (const auto* o = as_object(mounts); o && arr(*o, "mounts")) {
        for (const auto& v : *arr(*o, "mounts")) {
            const auto* m = v.if_object();
            if (m == nullptr) {
                continue;
            }
            std::string name(str(*m, "name"));
            const bool live = flag(*m, "live");
            auto listeners = static_cast<std::int64_t>(num(*m, "listeners").value_or(0));
            if (name == wanted) {
                selected = name;
            }
            if (live && first_live.empty()) {
                first_live = name;
            }
            options.push_back(json::object{
                {"name", name},
                {"live", live},
                {"listeners", listeners},
                {"label", fmt::format("{} ({}{})", name, listeners, live ? "" : ", idle")}});
            option_docs.push_back(
                json::object{{"name", name}, {"live", live}, {"listeners", listeners}});
        }
    }
    if (selected.empty()) {
        selected = !first_live.empty() ? first_live
                   : options.empty()   ? std::string()
                                       : std::string(str(options.front().as_object(), "name"));
    }
    for (auto& v : options) {
        v.as_object()["selected"] = str(v.as_object(), "name") == selected;
    }
    json::array rows;
    json::array docs;
    std::int64_t total = 0;
    if (!selected.empty()) {
        auto list = ctx.get("/api/mounts" + web_format::mount_path(selected) + "/listeners");
        if (const auto* o = as_object(list); o && arr(*o, "listeners")) {
            for (const auto& v : *arr(*o, "listeners")) {
                if (const auto* l = v.if_object()) {
                    rows.push_back(decorate_listener(*l));
                    docs.push_back(*l);
                }
            }
            total = static_cast<std::int64_t>(num(*o, "total").value_or(rows.size()));
        }
    }
    view["mounts"] = std::move(options);
    view["has_mounts"] = !selected.empty();
    view["mount"] = selected;
    view["listeners"] = std::move(rows);
    view["total_label"] = fmt::format("{} listener{}", total, total == 1 ? "" : "s");
    client["mounts"] = std::move(option_docs);
    client["mount"] = selected;
    client["listeners"] = std::move(docs);
    client["total"] = total;
    view["client"] = std::move(client);
    return view;
}

constexpr std::array<std::string_view, 1> listeners_templates{"listeners_row"};

// "2026-12-02 05:01 UTC" from unix milliseconds; `none` for 0 or a missing value. Mirrors
// dateLabel in assets/admin-forms.js.
std::string date_label(std::optional<double> ms, std::string_view none = "—") {
    if (!ms || *ms <= 0) {
        return std::string(none);
    }
    std::time_t secs = static_cast<std::time_t>(*ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:%Y-%m-%d %H:%M} UTC", tm);
}

std::string joined(const json::array* a) {
    std::string out;
    if (a != nullptr) {
        for (const auto& v : *a) {
            if (v.is_string()) {
                out += (out.empty() ? "" : ", ") + std::string(v.get_string());
            }
        }
    }
    return out;
}

json::array list_of(const std::optional<json::value>& doc, std::string_view key) {
    if (const auto* o = as_object(doc); o && arr(*o, key)) {
        return *arr(*o, key);
    }
    return {};
}

// ---- account

// An API token of GET /api/tokens. Mirrors decorateToken in assets/pages/account.js.
json::object decorate_token(const json::object& t) {
    json::object v;
    v["id"] = static_cast<std::int64_t>(num(t, "id").value_or(0));
    v["name"] = str(t, "name");
    v["prefix"] = str(t, "prefix");
    v["created_label"] = date_label(num(t, "created_at"));
    v["last_used_label"] = date_label(num(t, "last_used_at"), "never");
    v["last_used_ip"] = str(t, "last_used_ip");
    v["expires_label"] = date_label(num(t, "expires_at"), "never");
    const bool expired =
        num(t, "expires_at").value_or(0) > 0 && num(t, "expires_at").value_or(0) < now_ms();
    v["revoked"] = flag(t, "revoked");
    v["expired"] = expired && !flag(t, "revoked");
    v["active"] = !flag(t, "revoked") && !expired;
    return v;
}

json::object account_data(PageContext& ctx) {
    json::object view;
    json::object me;
    auto session = ctx.get("/api/session");
    if (const auto* o = as_object(session); o && obj(*o, "user")) {
        me = *obj(*o, "user");
    } else {
        // Basic credentials or an API token: no session document, the principal says who.
        const auto& p = ctx.principal();
        me = json::object{{"username", p.user.empty() ? "admin" : p.user},
                          {"role", http::to_string(p.role)},
                          {"mounts", json::array{}}};
    }
    const bool has_session = ctx.principal().via == Principal::Via::session;
    json::array tokens;
    auto raw = list_of(ctx.get("/api/tokens"), "tokens");
    for (const auto& t : raw) {
        if (const auto* o = t.if_object()) {
            tokens.push_back(decorate_token(*o));
        }
    }
    view["me"] = json::object{{"username", str(me, "username")},
                              {"role", str(me, "role")},
                              {"mounts", joined(arr(me, "mounts"))},
                              {"builtin", flag(me, "builtin")}};
    view["has_session"] = has_session;
    view["tokens"] = std::move(tokens);
    view["client"] = json::object{{"tokens", std::move(raw)}};
    return view;
}

constexpr std::array<std::string_view, 1> account_templates{"account_token"};

// ---- users

// A user of GET /api/users. Mirrors decorateUser in assets/pages/users.js.
json::object decorate_user(const json::object& u) {
    json::object v;
    std::string role(str(u, "role"));
    v["id"] = static_cast<std::int64_t>(num(u, "id").value_or(0));
    v["username"] = str(u, "username");
    v["role"] = role;
    v["is_dj"] = role == "dj";
    v["mounts"] = joined(arr(u, "mounts"));
    v["disabled"] = flag(u, "disabled");
    v["builtin"] = flag(u, "builtin");
    v["created_label"] = date_label(num(u, "created_at"));
    v["last_login_label"] = date_label(num(u, "last_login_at"), "never");
    return v;
}

json::object users_data(PageContext& ctx) {
    json::object view;
    json::array rows;
    auto raw = list_of(ctx.get("/api/users"), "users");
    for (const auto& u : raw) {
        if (const auto* o = u.if_object()) {
            rows.push_back(decorate_user(*o));
        }
    }
    json::array mounts;
    for (const auto& m : list_of(ctx.get("/api/mounts"), "mounts")) {
        if (const auto* o = m.if_object()) {
            mounts.push_back(json::object{{"name", str(*o, "name")}});
        }
    }
    view["users"] = std::move(rows);
    view["mount_options"] = mounts;
    view["client"] = json::object{{"users", std::move(raw)}};
    return view;
}

constexpr std::array<std::string_view, 1> users_templates{"users_row"};

// ---- security

json::object decorate_rule(const json::object& r) {
    json::object v;
    const auto* id = r.if_contains("id");
    const bool has_id = id != nullptr && id->is_number();
    v["key"] = has_id ? fmt::format("{}", id->to_number<std::int64_t>())
                      : "config-" + std::string(str(r, "network"));
    v["id"] = has_id ? json::value(id->to_number<std::int64_t>()) : json::value(nullptr);
    v["removable"] = has_id;
    std::string kind(str(r, "kind"));
    v["kind"] = kind;
    v["is_ban"] = kind == "ban";
    v["network"] = str(r, "network");
    v["reason"] = str(r, "reason");
    std::string source(str(r, "source"));
    v["source_label"] = source == "login_lockout"  ? "failed logins"
                        : source == "scan_lockout" ? "scanning"
                        : source == "config"       ? "config file"
                                                   : "manual";
    v["created_label"] = date_label(num(r, "created_at"));
    v["expires_label"] = date_label(num(r, "expires_at"), "never");
    v["created_by"] = str(r, "created_by");
    return v;
}

json::object decorate_audit(const json::object& e) {
    json::object v;
    v["id"] = static_cast<std::int64_t>(num(e, "id").value_or(0));
    v["at_label"] = date_label(num(e, "at"));
    v["username"] = str(e, "username");
    v["ip"] = str(e, "ip");
    v["category"] = str(e, "category");
    v["action"] = str(e, "action");
    v["target"] = str(e, "target");
    std::string detail;
    if (const auto* d = e.if_contains("detail")) {
        if (d->is_string()) {
            detail = d->get_string();
        } else if (!(d->is_object() && d->get_object().empty()) && !d->is_null()) {
            detail = json::serialize(*d);
        }
    }
    v["detail"] = detail;
    return v;
}

constexpr std::size_t audit_page = 50;

json::object security_data(PageContext& ctx) {
    json::object view;
    json::object client;
    json::array rules;
    auto raw_rules = list_of(ctx.get("/api/security/rules"), "rules");
    for (const auto& r : raw_rules) {
        if (const auto* o = r.if_object()) {
            rules.push_back(decorate_rule(*o));
        }
    }
    auto lockouts_doc = ctx.get("/api/security/lockouts");
    json::array lockouts;
    for (const auto& r : list_of(lockouts_doc, "lockouts")) {
        if (const auto* o = r.if_object()) {
            lockouts.push_back(decorate_rule(*o));
        }
    }
    auto watch = list_of(lockouts_doc, "watch");
    std::string category(ctx.request().query.get("category").value_or(""));
    constexpr std::array<std::string_view, 8> known_categories{
        "auth", "streams", "listeners", "autodj", "transcoders", "users", "security", "settings"};
    if (std::find(known_categories.begin(), known_categories.end(), category) ==
        known_categories.end()) {
        category.clear();
    }
    json::array audit;
    auto raw_audit =
        list_of(ctx.get("/api/audit", fmt::format("limit={}{}", audit_page,
                                                  category.empty() ? "" : "&category=" + category)),
                "entries");
    for (const auto& e : raw_audit) {
        if (const auto* o = e.if_object()) {
            audit.push_back(decorate_audit(*o));
        }
    }
    json::array categories;
    for (std::string_view c : known_categories) {
        categories.push_back(json::object{{"name", c}, {"selected", c == category}});
    }
    view["rules"] = std::move(rules);
    view["lockouts"] = std::move(lockouts);
    view["watch"] = watch;
    view["audit"] = std::move(audit);
    view["categories"] = std::move(categories);
    view["audit_more"] = raw_audit.size() >= audit_page;
    client["rules"] = std::move(raw_rules);
    client["audit"] = std::move(raw_audit);
    client["category"] = category;
    client["audit_page"] = audit_page;
    view["client"] = std::move(client);
    return view;
}

constexpr std::array<std::string_view, 3> security_templates{"security_rule", "security_watch",
                                                             "security_audit"};

// ---- settings

// "session_idle_minutes" -> "Session idle minutes"
std::string fact_label(std::string_view key) {
    std::string out = capitalised(key);
    std::replace(out.begin(), out.end(), '_', ' ');
    return out;
}

std::string fact_value(std::string_view key, const json::value& v) {
    if (v.is_string()) {
        return v.get_string().empty() ? "—" : std::string(v.get_string());
    }
    if (v.is_bool()) {
        return v.get_bool() ? "yes" : "no";
    }
    if (v.is_null()) {
        return "—";
    }
    if (v.is_number() && (key == "uptime")) {
        return web_format::uptime(v.to_number<double>());
    }
    if (const auto* d = v.if_double()) {
        // json::serialize writes doubles as "1.5E1".
        return *d == std::floor(*d) && std::abs(*d) < 1e15
                   ? fmt::format("{}", static_cast<std::int64_t>(*d))
                   : fmt::format("{}", *d);
    }
    if (v.is_number() && key.ends_with("_at")) {
        return date_label(v.to_number<double>() * (v.to_number<double>() < 1e11 ? 1000 : 1));
    }
    if (const auto* a = v.if_array()) {
        std::string out;
        for (const auto& e : *a) {
            std::string item;
            if (const auto* o = e.if_object(); o && o->contains("address")) {
                std::string addr(str(*o, "address"));
                item = addr.find(':') != std::string::npos ? "[" + addr + "]" : addr;
                item += fmt::format(":{}", static_cast<std::int64_t>(num(*o, "port").value_or(0)));
            } else {
                item = e.is_string() ? std::string(e.get_string()) : json::serialize(e);
            }
            out += (out.empty() ? "" : ", ") + item;
        }
        return out.empty() ? "none" : out;
    }
    return json::serialize(v);
}

json::object settings_data(PageContext& ctx) {
    json::object view;
    json::array general;
    json::array sections;
    auto server = ctx.get("/api/server");
    if (const auto* o = as_object(server)) {
        for (const auto& kv : *o) {
            if (const auto* sub = kv.value().if_object()) {
                json::array facts;
                for (const auto& f : *sub) {
                    facts.push_back(json::object{{"label", fact_label(f.key())},
                                                 {"value", fact_value(f.key(), f.value())}});
                }
                sections.push_back(json::object{{"title", fact_label(kv.key())}, {"facts", facts}});
            } else {
                general.push_back(json::object{{"label", fact_label(kv.key())},
                                               {"value", fact_value(kv.key(), kv.value())}});
            }
        }
        sections.insert(sections.begin(), json::object{{"title", "Server"}, {"facts", general}});
    }
    view["sections"] = std::move(sections);
    view["can_edit"] = ctx.principal().is_superadmin();
    view["client"] = json::object{{"can_edit", ctx.principal().is_superadmin()}};
    return view;
}

// ---- end of admin pages ------------------------------------------------------------------

// ---- studio pages: AutoDJ, statistics, transcoders ----------------------------------------
// The browser builds the same views in assets/pages/autodj.js (entryView, stationView),
// statistics.js and transcoders.js: keep them in step.

// Playlists can hold many thousands of entries; the page renders this many rows.
constexpr std::size_t autodj_rows_shown = 1000;

std::string query_value(std::string_view v) {
    return protocol::http::url_encode(v);
}

std::string base_name(std::string_view path) {
    auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// A playlist, up-next or library entry ({file, artist, title, duration, id, missing}).
json::object autodj_entry(const json::object& e, std::int64_t current_id, std::size_t index) {
    json::object v;
    auto id = static_cast<std::int64_t>(num(e, "id").value_or(0));
    std::string path(str(e, "file"));
    std::string title(str(e, "title"));
    if (title.empty()) {
        title = base_name(path);
    }
    std::string artist(str(e, "artist"));
    v["id"] = id;
    v["index"] = index;
    v["number"] = index + 1;
    v["path"] = path;
    v["title"] = title;
    v["artist"] = artist;
    v["display"] = artist.empty() ? title : artist + " - " + title;
    auto d = num(e, "duration").value_or(0);
    v["duration_label"] = d > 0 ? web_format::clock(d) : "";
    v["current"] = id != 0 && id == current_id;
    v["missing"] = flag(e, "missing");
    return v;
}

// A station of the list: the dashboard's view plus its studio link and whether it runs.
json::object autodj_station_view(const json::object& np) {
    json::object v = decorate_station(np);
    v["studio_url"] = "/admin/autodj/" + std::string(str(v, "name"));
    v["running"] = flag(np, "running");
    return v;
}

// A station's now-playing document, with its name and mount when it has none yet.
json::object autodj_now_playing(const json::object& station) {
    json::object doc;
    if (const auto* n = obj(station, "now_playing")) {
        doc = *n;
    }
    if (str(doc, "station").empty()) {
        doc["station"] = str(station, "name");
    }
    if (str(doc, "mount").empty()) {
        doc["mount"] = str(station, "mount");
    }
    return doc;
}

std::string autodj_scan_label(const json::object& st) {
    if (flag(st, "scanning")) {
        return fmt::format("Scanning… {} files seen, {} read",
                           static_cast<std::int64_t>(num(st, "files_seen").value_or(0)),
                           static_cast<std::int64_t>(num(st, "probed").value_or(0)));
    }
    auto tracks = static_cast<std::int64_t>(num(st, "tracks").value_or(0));
    return fmt::format("{} track{} · {} artists · {}", tracks, tracks == 1 ? "" : "s",
                       static_cast<std::int64_t>(num(st, "artists").value_or(0)),
                       web_format::uptime(num(st, "total_duration").value_or(0)));
}

json::array autodj_library_items(const json::object& listing) {
    json::array items;
    if (const auto* folders = arr(listing, "folders")) {
        for (const auto& f : *folders) {
            if (const auto* s = f.if_string()) {
                items.push_back(json::object{{"folder", true},
                                             {"key", "d:" + std::string(*s)},
                                             {"path", *s},
                                             {"title", base_name(*s)}});
            }
        }
    }
    if (const auto* tracks = arr(listing, "tracks")) {
        for (const auto& t : *tracks) {
            if (const auto* o = t.if_object(); o && items.size() < autodj_rows_shown) {
                auto v = autodj_entry(*o, 0, items.size());
                v["folder"] = false;
                v["key"] = "t:" + std::string(str(*o, "file"));
                items.push_back(std::move(v));
            }
        }
    }
    return items;
}

// Station names are letters, digits, '-', '_' and '.' (config validation), so they need no
// escaping in paths; anything else cannot be a station.
bool station_name_ok(std::string_view name) {
    return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

json::object autodj_studio(PageContext& ctx, const std::string& name) {
    json::object view;
    json::object client{{"mode", "station"}, {"name", name}};
    const std::string base = "/api/autodj/" + name;
    std::optional<json::value> station;
    if (station_name_ok(name)) {
        station = ctx.get(base);
    }
    const auto* st = as_object(station);
    if (st == nullptr) {
        view["missing"] = json::object{
            {"name", name},
            {"message", ctx.status() == 403 ? "Your account may not open this station."
                                            : "There is no AutoDJ station called " + name + "."}};
        client["mode"] = "missing";
        view["client"] = client;
        return view;
    }
    auto np = autodj_now_playing(*st);
    auto playlist = ctx.get(base + "/playlist");
    auto queue = ctx.get(base + "/queue");
    auto library = ctx.get(base + "/library", "path=");
    auto status = ctx.get(base + "/library/status");

    json::object s;
    s["name"] = name;
    s["url"] = base;
    s["mount"] = str(*st, "mount");
    s["from_config"] = str(*st, "defined_in") == "config";
    s["now"] = decorate_station(np);
    s["playing"] = flag(np, "running") && str(np, "state") == "playing";
    s["running"] = flag(np, "running");
    s["volume"] = static_cast<std::int64_t>(num(np, "volume").value_or(100));
    s["crossfade"] = num(np, "crossfade").value_or(0);
    const auto* modes = obj(np, "modes");
    s["shuffle"] = modes != nullptr && flag(*modes, "shuffle");
    s["loop"] = modes != nullptr && flag(*modes, "loop");

    std::int64_t current_id = 0;
    if (const auto* track = obj(np, "track")) {
        current_id = static_cast<std::int64_t>(num(*track, "id").value_or(0));
    }
    json::array rows;
    std::size_t total = 0;
    if (const auto* p = as_object(playlist); p && arr(*p, "entries")) {
        total = arr(*p, "entries")->size();
        for (const auto& e : *arr(*p, "entries")) {
            if (rows.size() >= autodj_rows_shown) {
                break;
            }
            if (const auto* o = e.if_object()) {
                rows.push_back(autodj_entry(*o, current_id, rows.size()));
            }
        }
    }
    s["playlist"] = std::move(rows);
    s["playlist_count"] = fmt::format("{} track{}", total, total == 1 ? "" : "s");
    s["playlist_more"] = total > autodj_rows_shown
                             ? fmt::format("{} more not shown", total - autodj_rows_shown)
                             : "";
    json::array up_next;
    if (const auto* q = as_object(queue); q && arr(*q, "entries")) {
        for (const auto& e : *arr(*q, "entries")) {
            if (const auto* o = e.if_object()) {
                up_next.push_back(autodj_entry(*o, 0, up_next.size()));
            }
        }
    }
    s["queue"] = std::move(up_next);
    const auto* lib = as_object(library);
    s["library"] = lib ? autodj_library_items(*lib) : json::array{};
    const auto* scan = as_object(status);
    s["scan_label"] = scan ? autodj_scan_label(*scan) : "";
    s["scanning"] = scan != nullptr && flag(*scan, "scanning");
    view["studio"] = std::move(s);

    client["station"] = np;
    client["playlist"] = playlist ? *playlist : json::value(nullptr);
    client["queue"] = queue ? *queue : json::value(nullptr);
    client["status"] = status ? *status : json::value(nullptr);
    view["client"] = client;
    return view;
}

json::object autodj_data(PageContext& ctx) {
    // "/admin/autodj" lists the stations; "/admin/autodj/NAME" is one station's studio.
    std::string_view rest = ctx.request().path;
    rest.remove_prefix(std::min(rest.size(), std::string_view("/admin/autodj").size()));
    while (!rest.empty() && rest.front() == '/') {
        rest.remove_prefix(1);
    }
    if (!rest.empty()) {
        return autodj_studio(ctx, std::string(rest.substr(0, rest.find('/'))));
    }
    json::object view;
    json::object client{{"mode", "list"}};
    auto list = ctx.get("/api/autodj");
    json::array views;
    json::array docs;
    if (const auto* o = as_object(list); o && arr(*o, "stations")) {
        for (const auto& v : *arr(*o, "stations")) {
            if (const auto* st = v.if_object()) {
                auto doc = autodj_now_playing(*st);
                views.push_back(autodj_station_view(doc));
                docs.push_back(std::move(doc));
            }
        }
    }
    view["stations"] = std::move(views);
    view["list_error"] = list                  ? ""
                         : ctx.status() == 403 ? "Your account may not manage AutoDJ stations."
                                               : "The AutoDJ is not available on this server.";
    view["can_create"] = ctx.principal().is_admin() && list.has_value();
    client["stations"] = std::move(docs);
    view["client"] = client;
    return view;
}

constexpr std::array<std::string_view, 5> autodj_templates{
    "autodj_station", "autodj_now", "autodj_entry", "autodj_queue_item", "autodj_track"};

json::object statistics_data(PageContext& ctx) {
    json::object view;
    const bool admin = ctx.principal().is_admin();
    // The mounts the caller may see; admins may also look at all of them together.
    json::array names;
    if (auto mounts = ctx.get("/api/mounts"); const auto* o = as_object(mounts)) {
        if (const auto* list = arr(*o, "mounts")) {
            for (const auto& m : *list) {
                if (const auto* mo = m.if_object(); mo && !str(*mo, "name").empty()) {
                    names.emplace_back(str(*mo, "name"));
                }
            }
        }
    }
    std::string mount;
    if (!admin && !names.empty()) {
        mount = names.front().as_string();
    }
    const std::string range = "24h";
    json::array options;
    if (admin) {
        options.push_back(json::object{{"value", ""}, {"label", "All mounts"}, {"selected", true}});
    }
    for (const auto& n : names) {
        options.push_back(json::object{
            {"value", n}, {"label", n}, {"selected", n.as_string() == mount && !admin}});
    }
    json::array ranges;
    for (std::string_view r : {"1h", "24h", "7d", "30d"}) {
        ranges.push_back(json::object{{"value", r}, {"current", r == range}});
    }
    const std::string scope =
        (mount.empty() ? std::string() : "mount=" + query_value(mount) + "&") + "range=" + range;
    auto listeners = ctx.get("/api/stats/listeners", scope);
    auto sessions = ctx.get("/api/stats/sessions", scope);
    auto agents =
        admin ? ctx.get("/api/stats/user-agents", "range=" + range + "&limit=10") : std::nullopt;
    auto history = mount.empty()
                       ? ctx.get("/api/history", "limit=50")
                       : ctx.get("/api/history" + web_format::mount_path(mount), "limit=50");

    json::object summary{{"sessions", "—"}, {"average", "—"}, {"total", "—"}};
    if (const auto* s = as_object(sessions)) {
        summary["sessions"] = static_cast<std::int64_t>(num(*s, "sessions").value_or(0));
        summary["average"] = web_format::uptime(num(*s, "average_seconds").value_or(0));
        summary["total"] = web_format::uptime(num(*s, "total_seconds").value_or(0));
    }
    json::array agent_rows;
    if (const auto* a = as_object(agents); a && arr(*a, "agents")) {
        double most = 1;
        for (const auto& v : *arr(*a, "agents")) {
            if (const auto* o = v.if_object()) {
                most = std::max(most, num(*o, "sessions").value_or(0));
            }
        }
        for (const auto& v : *arr(*a, "agents")) {
            if (const auto* o = v.if_object()) {
                auto n = num(*o, "sessions").value_or(0);
                std::string ua(str(*o, "user_agent"));
                agent_rows.push_back(json::object{{"user_agent", ua.empty() ? "(none)" : ua},
                                                  {"sessions", static_cast<std::int64_t>(n)},
                                                  {"fraction", n / most}});
            }
        }
    }
    const auto now = now_ms();
    json::array plays;
    json::array raw_plays;
    if (const auto* h = as_object(history); h && arr(*h, "plays")) {
        for (const auto& p : *arr(*h, "plays")) {
            if (const auto* po = p.if_object()) {
                auto v = decorate_play(*po, now);
                v["mount"] = str(*po, "mount");
                plays.push_back(std::move(v));
                raw_plays.push_back(*po);
            }
        }
    }
    view["mount_options"] = std::move(options);
    view["ranges"] = std::move(ranges);
    view["summary"] = std::move(summary);
    view["agents"] = std::move(agent_rows);
    view["show_agents"] = admin;
    view["plays"] = std::move(plays);
    view["chart_available"] = listeners.has_value();

    json::object client{{"mount", mount}, {"range", range}, {"is_admin", admin}};
    const auto* l = as_object(listeners);
    client["points"] = l && arr(*l, "points") ? json::value(*arr(*l, "points")) : json::array{};
    client["bucket_ms"] = l ? num(*l, "bucket_ms").value_or(60000) : 60000;
    client["from"] = l ? num(*l, "from").value_or(0) : 0;
    client["to"] = l ? num(*l, "to").value_or(0) : 0;
    client["plays"] = std::move(raw_plays);
    view["client"] = std::move(client);
    return view;
}

constexpr std::array<std::string_view, 2> statistics_templates{"statistics_agent",
                                                               "statistics_play"};

// A transcoder of the list ({name, defined_in, config, status}).
json::object transcoder_view(const json::object& t) {
    json::object v;
    v["name"] = str(t, "name");
    v["from_config"] = str(t, "defined_in") == "config";
    const json::object empty;
    const auto* cfg = obj(t, "config");
    const auto* st = obj(t, "status");
    cfg = cfg ? cfg : &empty;
    st = st ? st : &empty;
    v["input"] = str(*cfg, "input");
    const bool enabled = !cfg->contains("enabled") || flag(*cfg, "enabled");
    const bool running = flag(*st, "running");
    const bool input_live = flag(*st, "input_live");
    std::string state = !running     ? (enabled ? "stopped" : "disabled")
                        : input_live ? "on_air"
                                     : "waiting";
    v["state"] = state;
    v["state_label"] = state == "on_air"     ? "Transcoding"
                       : state == "waiting"  ? "Waiting for input"
                       : state == "disabled" ? "Disabled"
                                             : "Stopped";
    v["running"] = running;
    json::array outputs;
    if (const auto* list = arr(*st, "outputs")) {
        for (const auto& o : *list) {
            if (const auto* out = o.if_object()) {
                std::string fmt_label = upper(str(*out, "format"));
                if (auto br = num(*out, "bitrate"); br && *br > 0) {
                    fmt_label += fmt::format(" · {} kbps", std::lround(*br));
                }
                outputs.push_back(json::object{
                    {"mount", str(*out, "mount")},
                    {"format", fmt_label},
                    {"on_air", flag(*out, "on_air")},
                    {"listeners", static_cast<std::int64_t>(num(*out, "listeners").value_or(0))},
                    {"error", str(*out, "error")}});
            }
        }
    }
    v["outputs"] = std::move(outputs);
    std::string error(str(*st, "error"));
    v["error"] = error;
    v["decode_errors"] = static_cast<std::int64_t>(num(*st, "decode_errors").value_or(0));
    return v;
}

json::object transcoders_data(PageContext& ctx) {
    json::object view;
    json::array rows;
    json::array docs;
    auto list = ctx.get("/api/transcoders");
    if (const auto* o = as_object(list); o && arr(*o, "transcoders")) {
        for (const auto& t : *arr(*o, "transcoders")) {
            if (const auto* to = t.if_object()) {
                rows.push_back(transcoder_view(*to));
                docs.push_back(*to);
            }
        }
    }
    view["transcoders"] = std::move(rows);
    view["available"] = list.has_value();
    view["client"] = json::object{{"transcoders", std::move(docs)}};
    return view;
}

constexpr std::array<std::string_view, 1> transcoders_templates{"transcoders_row"};

// The navigation, in order. A page with data == nullptr is not built yet: it stays out of the
// navigation and its path is not served. See docs/WEB.md, "Adding an admin page".
const std::array<AdminPage, 10> pages{{
    {"", "Dashboard", "dashboard", Access::user, dashboard_data, "pages/dashboard",
     "pages/dashboard.js", dashboard_templates},
    {"mounts", "Mounts", "mounts", Access::user, mounts_data, "pages/mounts", "pages/mounts.js",
     mounts_templates},
    {"listeners", "Listeners", "listeners", Access::user, listeners_data, "pages/listeners",
     "pages/listeners.js", listeners_templates},
    {"autodj", "AutoDJ", "autodj", Access::user, autodj_data, "pages/autodj", "pages/autodj.js",
     autodj_templates, true},
    {"transcoders", "Transcoders", "transcoders", Access::admin, transcoders_data,
     "pages/transcoders", "pages/transcoders.js", transcoders_templates},
    {"statistics", "Statistics", "statistics", Access::user, statistics_data, "pages/statistics",
     "pages/statistics.js", statistics_templates},
    {"security", "Security", "security", Access::admin, security_data, "pages/security",
     "pages/security.js", security_templates},
    {"users", "Users", "users", Access::superadmin, users_data, "pages/users", "pages/users.js",
     users_templates},
    {"settings", "Settings", "settings", Access::admin, settings_data, "pages/settings",
     "pages/settings.js"},
    {"account", "Account", "account", Access::user, account_data, "pages/account",
     "pages/account.js", account_templates},
}};

const AdminPage* find_admin_page(std::string_view slug) {
    for (const auto& p : pages) {
        if (p.slug == slug && p.data != nullptr) {
            return &p;
        }
    }
    return nullptr;
}

constexpr std::array<std::string_view, 2> landing_templates{"mount_card", "history_item"};
constexpr std::array<std::string_view, 2> player_templates{"now_playing", "history_item"};

constexpr std::size_t landing_history_mounts = 12;

// The names of the partials a template's text includes ({{> name}}).
std::vector<std::string> partials_included(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while ((i = text.find("{{>", i)) != std::string_view::npos) {
        auto end = text.find("}}", i);
        if (end == std::string_view::npos) {
            break;
        }
        auto name = text.substr(i + 3, end - i - 3);
        while (!name.empty() && name.front() == ' ') {
            name.remove_prefix(1);
        }
        while (!name.empty() && name.back() == ' ') {
            name.remove_suffix(1);
        }
        out.emplace_back(name);
        i = end;
    }
    return out;
} // history fetched for this many cards

} // namespace

std::span<const AdminPage> admin_pages() {
    return pages;
}

// ---- formatting ----------------------------------------------------------------------------

namespace web_format {

std::string stream_format(std::string_view content_type, std::string_view subtype,
                          std::optional<double> bitrate_kbps) {
    std::string type(content_type.substr(0, content_type.find(';')));
    for (auto& c : type) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    std::string label;
    if (type == "audio/mpeg" || type == "audio/mp3") {
        label = "MP3";
    } else if (type == "audio/aac" || type == "audio/aacp" || type == "audio/x-aac") {
        label = "AAC";
    } else if (type == "audio/ogg" || type == "application/ogg") {
        label = subtype.empty() ? "Ogg" : "Ogg " + std::string(subtype);
    } else if (type == "audio/opus") {
        label = "Opus";
    } else if (type == "audio/flac") {
        label = "FLAC";
    } else if (type == "audio/webm") {
        label = "WebM";
    } else {
        label = type;
    }
    if (bitrate_kbps && *bitrate_kbps > 0) {
        label += fmt::format("{}{} kbps", label.empty() ? "" : " · ", std::lround(*bitrate_kbps));
    }
    return label;
}

std::string clock(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) {
        seconds = 0;
    }
    auto s = static_cast<long>(std::floor(seconds));
    if (s >= 3600) {
        return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
    }
    return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string uptime(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) {
        seconds = 0;
    }
    auto s = static_cast<long>(std::floor(seconds));
    if (s < 60) {
        return fmt::format("{}s", s);
    }
    if (s < 3600) {
        return fmt::format("{}m {:02}s", s / 60, s % 60);
    }
    if (s < 86400) {
        return fmt::format("{}h {:02}m", s / 3600, (s / 60) % 60);
    }
    return fmt::format("{}d {:02}h", s / 86400, (s / 3600) % 24);
}

std::string bits_per_second(double bps) {
    if (!std::isfinite(bps) || bps < 0) {
        bps = 0;
    }
    if (bps < 1000) {
        return fmt::format("{} bps", std::lround(bps));
    }
    if (bps < 1e6) {
        double k = bps / 1000;
        return k < 10 ? fmt::format("{:.1f} kbps", k) : fmt::format("{} kbps", std::lround(k));
    }
    double m = bps / 1e6;
    return m < 10 ? fmt::format("{:.2f} Mbps", m) : fmt::format("{:.1f} Mbps", m);
}

std::string mount_path(std::string_view mount) {
    std::string out;
    std::size_t i = 0;
    while (i < mount.size()) {
        if (mount[i] == '/') {
            out += '/';
            ++i;
            continue;
        }
        auto end = mount.find('/', i);
        if (end == std::string_view::npos) {
            end = mount.size();
        }
        out += protocol::http::url_encode(mount.substr(i, end - i));
        i = end;
    }
    return out;
}

} // namespace web_format

json::object decorate_mount(const json::object& np) {
    json::object m;
    std::string mount(str(np, "mount"));
    m["mount"] = mount;
    std::string name(str(np, "name"));
    if (name == "Unspecified name") {
        name.clear();
    }
    m["stream_name"] = name;
    m["display_name"] = name.empty() ? mount : name;
    std::string description(str(np, "description"));
    m["description"] = description == "Unspecified description" ? "" : description;
    std::string genre(str(np, "genre"));
    m["genre"] = genre == "various" ? "" : genre;
    const bool live = flag(np, "live");
    m["live"] = live;

    std::string kind = "off";
    if (live) {
        kind = "live";
        if (const auto* v = np.if_contains("source");
            v && v->is_string() && !v->get_string().empty()) {
            kind = v->get_string();
        }
    }
    m["source_kind"] = kind;
    m["source_label"] = kind == "off"          ? "Off air"
                        : kind == "live"       ? "Live"
                        : kind == "autodj"     ? "AutoDJ"
                        : kind == "transcoder" ? "Transcoded"
                                               : capitalised(kind);

    auto bitrate = num(np, "bitrate");
    m["format"] = web_format::stream_format(str(np, "content_type"), str(np, "subtype"), bitrate);
    auto listeners = static_cast<std::int64_t>(num(np, "listeners").value_or(0));
    m["listeners"] = listeners;
    m["listeners_label"] = fmt::format("{} listener{}", listeners, listeners == 1 ? "" : "s");
    m["listener_peak"] = static_cast<std::int64_t>(num(np, "listener_peak").value_or(0));

    auto path = web_format::mount_path(mount);
    m["stream_url"] = path;
    m["player_url"] = "/player" + path;
    m["embed_url"] = "/embed" + path;
    m["m3u_url"] = path + ".m3u";
    m["pls_url"] = path + ".pls";
    m["xspf_url"] = path + ".xspf";

    std::string title;
    std::string artist;
    const json::object* autodj = obj(np, "autodj");
    const json::object* track = autodj ? obj(*autodj, "track") : nullptr;
    if (track != nullptr) {
        title = str(*track, "title");
        artist = str(*track, "artist");
        if (title.empty()) {
            std::tie(title, artist) = split_title(str(*track, "display"), artist);
        }
    } else {
        std::tie(title, artist) = split_title(str(np, "title"), str(np, "artist"));
    }
    m["now_title"] = title;
    m["now_artist"] = artist;
    m["has_title"] = !title.empty();
    m["title_since"] = static_cast<std::int64_t>(num(np, "title_since").value_or(0));

    m["progress"] = nullptr;
    m["next_display"] = "";
    if (autodj != nullptr) {
        if (auto d = num(*autodj, "duration"); d && *d > 0 && live) {
            m["progress"] = progress_of(num(*autodj, "elapsed").value_or(0), *d);
        }
        if (const auto* n = obj(*autodj, "next")) {
            std::string next(str(*n, "display"));
            m["next_display"] = next.empty() ? std::string(str(*n, "title")) : next;
        }
    }
    return m;
}

std::string script_json(const json::value& v) {
    auto text = json::serialize(v);
    std::string out;
    out.reserve(text.size() + 16);
    for (char c : text) {
        switch (c) {
        case '<':
            out += "\\u003c";
            break;
        case '>':
            out += "\\u003e";
            break;
        case '&':
            out += "\\u0026";
            break;
        default:
            out += c;
        }
    }
    return out;
}

// ---- PageContext ---------------------------------------------------------------------------

std::optional<json::value> PageContext::get(std::string_view path, std::string_view query) {
    auto match = api_.match("GET", path);
    if (match.route == nullptr) {
        status_ = match.path_known ? 405 : 404;
        return std::nullopt;
    }
    if (!allowed(match.route->access, request_.principal)) {
        status_ = request_.principal.logged_in() ? 403 : 401;
        return std::nullopt;
    }
    http::Request sub;
    sub.method = "GET";
    sub.path = std::string(path);
    sub.query = protocol::http::QueryParams(query);
    sub.head = request_.head;
    sub.client_ip = request_.client_ip;
    sub.principal = request_.principal;
    sub.params = std::move(match.params);
    try {
        auto r = match.route->handler(sub);
        status_ = r.status;
        if (r.status < 200 || r.status > 299) {
            return std::nullopt;
        }
        if (r.body.empty()) {
            return json::value(nullptr);
        }
        boost::system::error_code ec;
        auto v = json::parse(r.body, ec);
        if (ec) {
            util::logger("web")->warn("GET {}: the API answered something that is not JSON", path);
            status_ = 500;
            return std::nullopt;
        }
        return v;
    } catch (const http::HttpError& e) {
        status_ = e.status;
    } catch (const std::exception& e) {
        util::logger("web")->error("GET {} for a page: {}", path, e.what());
        status_ = 500;
    }
    return std::nullopt;
}

// ---- WebUi ---------------------------------------------------------------------------------

struct WebUi::Templates {
    std::map<std::string, http::Template, std::less<>> compiled;
    std::map<std::string, std::string, std::less<>> sources;
};

struct WebUi::PageView {
    std::string name; // page-<name> body class, and "page" in the page data
    std::string layout = "layouts/public";
    std::string template_name;
    std::string title;   // <title>
    std::string heading; // the admin app bar's heading
    std::string module;  // the page script under assets/, "" = none
    std::vector<std::string_view> client_templates;
    json::object data;   // template data, merged into the view
    json::object client; // the page data's "data" member
    json::object site;
    json::array nav;
    int status = 200;
    bool embeddable = false;
};

WebUi::WebUi(http::Router& api, std::string version)
    : WebUi(api, std::move(version), Options{web::WebFiles::dev_dir_from_environment()}) {}

WebUi::WebUi(http::Router& api, std::string version, Options options)
    : api_(api), version_(std::move(version)), files_(std::move(options.dev_dir)) {
    if (files_.development()) {
        util::logger("web")->warn(
            "development mode: pages and assets are read from {} at every request "
            "(TINYICE_WEB_DIR); do not use this in production",
            files_.dev_dir().string());
    }
    // Compile now so a broken template stops the server at startup (in development mode it
    // is reported on the page instead, and templates are compiled again at every request).
    auto t = templates();
    if (!files_.development()) {
        compiled_ = std::move(t);
    }
}

WebUi::~WebUi() = default;

std::shared_ptr<const WebUi::Templates> WebUi::templates() const {
    if (compiled_) {
        return compiled_;
    }
    auto t = std::make_shared<Templates>();
    for (const auto& name : files_.template_names()) {
        auto file = files_.template_file(name);
        if (!file) {
            continue;
        }
        try {
            t->compiled.emplace(name, http::Template::compile(file->bytes));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(fmt::format("web template {}.html:{}", name, e.what()));
        }
        t->sources.emplace(name, std::string(file->bytes));
    }
    return t;
}

bool WebUi::owns(std::string_view path) const {
    if (path == "/" || path == "/login" || path == "/favicon.ico" || path == "/admin" ||
        path == "/admin/") {
        return true;
    }
    for (std::string_view prefix : {"/assets/", "/player/", "/embed/"}) {
        if (path.starts_with(prefix) && path.size() > prefix.size()) {
            return true;
        }
    }
    if (path.starts_with("/admin/")) {
        auto rest = path.substr(7);
        auto slash = rest.find('/');
        auto slug = rest.substr(0, slash);
        const AdminPage* page = slug.empty() ? nullptr : find_admin_page(slug);
        return page != nullptr && (slash == std::string_view::npos || page->subpaths);
    }
    return false;
}

std::string WebUi::asset_url(std::string_view path) const {
    if (auto f = files_.asset(path)) {
        return fmt::format("/assets/{}?v={}", path, f->etag);
    }
    return fmt::format("/assets/{}", path);
}

http::Response WebUi::serve_asset(const http::Request& req, std::string_view path) const {
    auto file = files_.asset(path);
    if (!file) {
        return http::Response::text("Not found\n", "text/plain; charset=utf-8", 404);
    }
    http::Response r;
    const std::string etag = "\"" + file->etag + "\"";
    // Versioned URLs (what pages link to) never change; unversioned ones (module imports,
    // /favicon.ico) are revalidated, which costs a 304.
    auto v = req.query.get("v");
    const bool immutable = !files_.development() && v && *v == file->etag;
    r.headers.emplace_back("ETag", etag);
    r.headers.emplace_back("Cache-Control",
                           immutable ? "public, max-age=31536000, immutable" : "no-cache");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (auto inm = req.header("if-none-match"); inm && etag_matches(*inm, file->etag)) {
        r.status = 304;
        r.content_type.clear();
        return r;
    }
    r.content_type = std::string(file->content_type);
    r.body.assign(file->bytes.data(), file->bytes.size());
    return r;
}

http::Response WebUi::serve_theme(const http::Request& req) const {
    // The accent colour of the site settings as CSS, so pages need no inline style (CSP). The
    // URL carries the colour, so the answer never changes.
    auto accent = parse_hex_colour(req.query.get("accent").value_or(""));
    if (!accent) {
        return http::Response::text("Not found\n", "text/plain; charset=utf-8", 404);
    }
    const Rgb ink_dark{17, 17, 20};
    const Rgb ink_light{255, 255, 255};
    const Rgb panel{24, 24, 29}; // --panel in app.css
    const Rgb ink =
        contrast(*accent, ink_dark) >= contrast(*accent, ink_light) ? ink_dark : ink_light;
    // Accent text on panels must stay readable (WCAG AA): lighten a dark accent.
    Rgb text = *accent;
    for (int i = 0; i < 20 && contrast(text, panel) < 4.5; ++i) {
        text = Rgb{text.r + (255 - text.r) * 0.15, text.g + (255 - text.g) * 0.15,
                   text.b + (255 - text.b) * 0.15};
    }
    http::Response r;
    r.content_type = "text/css; charset=utf-8";
    r.body =
        fmt::format(":root {{\n  --accent: {};\n  --accent-ink: {};\n  --accent-text: {};\n}}\n",
                    hex_colour(*accent), hex_colour(ink), hex_colour(text));
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
}

json::object WebUi::site_settings(PageContext& ctx) const {
    json::object site{{"title", "TinyIce"}, {"tagline", ""}, {"description", ""}, {"accent", ""}};
    const auto settings = ctx.get("/api/settings");
    if (const auto* o = as_object(settings); o != nullptr) {
        if (const auto* s = obj(*o, "site")) {
            for (std::string_view key : {"title", "tagline", "description", "accent"}) {
                if (const auto* v = s->if_contains(key); v && v->is_string()) {
                    site[key] = *v;
                }
            }
        }
    }
    if (str(site, "title").empty()) {
        site["title"] = "TinyIce";
    }
    return site;
}

http::Response WebUi::handle(http::Request& req) {
    const std::string_view path = req.path;
    if (path.starts_with("/assets/")) {
        auto rest = path.substr(8);
        if (rest == "theme.css") {
            return serve_theme(req);
        }
        return serve_asset(req, rest);
    }
    if (path == "/favicon.ico") {
        return serve_asset(req, "favicon.svg");
    }
    try {
        if (path == "/") {
            return landing(req);
        }
        if (path == "/login") {
            return login(req);
        }
        if (path.starts_with("/player/")) {
            return player(req, std::string(path.substr(7)), false);
        }
        if (path.starts_with("/embed/")) {
            return player(req, std::string(path.substr(6)), true);
        }
        if (path == "/admin" || path.starts_with("/admin/")) {
            return admin(req, path.substr(6));
        }
        return error_page(req, 404, "Page not found", "There is no page at this address.");
    } catch (const std::exception& e) {
        util::logger("web")->error("{} {}: {}", req.method, req.path, e.what());
        std::string body = "Internal error; see the server log\n";
        if (files_.development()) {
            body += std::string("\n") + e.what() + "\n";
        }
        return http::Response::text(std::move(body), "text/plain; charset=utf-8", 500);
    }
}

http::Response WebUi::render(http::Request& req, PageView view) {
    auto t = templates();
    auto find = [&](std::string_view name) -> const http::Template& {
        auto it = t->compiled.find(name);
        if (it == t->compiled.end()) {
            throw http::TemplateError(fmt::format("no template '{}'", name));
        }
        return it->second;
    };
    http::Template::Partials partials = [&](std::string_view name) -> const http::Template* {
        auto it = t->compiled.find("partials/" + std::string(name));
        return it == t->compiled.end() ? nullptr : &it->second;
    };
    const Principal& who = req.principal;

    json::object assets{{"css", asset_url("app.css")},
                        {"favicon", asset_url("favicon.svg")},
                        {"icons", asset_url("icons.svg")}};
    if (auto accent = parse_hex_colour(str(view.site, "accent"))) {
        assets["theme"] = "/assets/theme.css?accent=" + hex_colour(*accent).substr(1);
    }
    json::value user = nullptr;
    if (who.logged_in()) {
        user = json::object{{"name", who.user.empty() ? "admin" : who.user},
                            {"role", http::to_string(who.role)},
                            {"is_admin", who.is_admin()},
                            {"is_superadmin", who.is_superadmin()}};
    }

    json::object v = std::move(view.data);
    v["site"] = view.site;
    v["version"] = version_;
    v["assets"] = assets;
    v["user"] = user;
    v["nav"] = view.nav;
    v["page"] = json::object{{"name", view.name},
                             {"title", view.title},
                             {"heading", view.heading},
                             {"module", view.module.empty() ? "" : asset_url(view.module)},
                             {"is_home", view.name == "landing"}};
    json::object page_data{{"page", view.name},
                           {"csrf", who.csrf},
                           {"user", user},
                           {"site", view.site},
                           {"version", version_},
                           {"assets", json::object{{"icons", assets["icons"]}}},
                           {"data", std::move(view.client)}};
    v["page_data"] = script_json(page_data);
    // The page's client-side partials and every partial they include, each once.
    json::array client_templates;
    std::vector<std::string> wanted(view.client_templates.begin(), view.client_templates.end());
    std::vector<std::string> emitted;
    while (!wanted.empty()) {
        std::string name = std::move(wanted.back());
        wanted.pop_back();
        if (std::find(emitted.begin(), emitted.end(), name) != emitted.end()) {
            continue;
        }
        auto it = t->sources.find("partials/" + name);
        if (it == t->sources.end()) {
            throw http::TemplateError(fmt::format("no partial '{}' for the page", name));
        }
        for (auto& dep : partials_included(it->second)) {
            wanted.push_back(std::move(dep));
        }
        client_templates.push_back(json::object{{"id", name}, {"source", it->second}});
        emitted.push_back(std::move(name));
    }
    v["client_templates"] = std::move(client_templates);

    json::value data(std::move(v));
    auto content = find(view.template_name).render(data, partials);
    data.as_object()["content"] = std::move(content);
    http::Response r;
    r.status = view.status;
    r.content_type = "text/html; charset=utf-8";
    r.body = find(view.layout).render(data, partials);
    add_html_headers(r, view.embeddable);
    return r;
}

http::Response WebUi::error_page(http::Request& req, int status, std::string_view heading,
                                 std::string_view message) {
    PageContext ctx(api_, req);
    PageView view;
    view.name = "error";
    view.template_name = "pages/error";
    view.site = site_settings(ctx);
    view.title = fmt::format("{} · {}", heading, str(view.site, "title"));
    view.status = status;
    view.data = json::object{{"status", status}, {"heading", heading}, {"message", message}};
    return render(req, std::move(view));
}

http::Response WebUi::landing(http::Request& req) {
    PageContext ctx(api_, req);
    PageView view;
    view.name = "landing";
    view.template_name = "pages/landing";
    view.module = "pages/landing.js";
    view.client_templates.assign(landing_templates.begin(), landing_templates.end());
    view.site = site_settings(ctx);
    view.title = std::string(str(view.site, "title"));
    if (auto tagline = str(view.site, "tagline"); !tagline.empty()) {
        view.title += fmt::format(" · {}", tagline);
    }

    const auto now = now_ms();
    json::array mounts;
    json::array raw;
    json::object histories;
    const auto nowplaying = ctx.get("/api/nowplaying");
    if (const auto* o = as_object(nowplaying); o && arr(*o, "mounts")) {
        for (const auto& v : *arr(*o, "mounts")) {
            const auto* m = v.if_object();
            if (m == nullptr || !flag(*m, "live")) {
                continue;
            }
            auto card = decorate_mount(*m);
            json::array plays;
            json::array raw_plays;
            if (raw.size() < landing_history_mounts) {
                const auto history =
                    ctx.get("/api/history" + std::string(str(*m, "mount")), "limit=5");
                const auto* h = as_object(history);
                if (h && arr(*h, "plays")) {
                    for (const auto& p : *arr(*h, "plays")) {
                        if (const auto* po = p.if_object()) {
                            plays.push_back(decorate_play(*po, now));
                            raw_plays.push_back(*po);
                        }
                    }
                }
            }
            card["history"] = std::move(plays);
            histories[str(*m, "mount")] = std::move(raw_plays);
            mounts.push_back(std::move(card));
            raw.push_back(*m);
        }
    }
    const auto live = mounts.size();
    view.data["mounts"] = std::move(mounts);
    view.data["live_count_label"] =
        live == 0 ? std::string("Off air")
                  : fmt::format("{} stream{} on air", live, live == 1 ? "" : "s");
    view.client["mounts"] = std::move(raw);
    view.client["history"] = std::move(histories);
    return render(req, std::move(view));
}

http::Response WebUi::player(http::Request& req, std::string mount, bool embed) {
    PageContext ctx(api_, req);
    auto np = ctx.get("/api/nowplaying" + mount);
    const auto* doc = as_object(np);
    if (doc == nullptr) {
        if (embed) {
            PageView view;
            view.name = "embed";
            view.layout = "layouts/embed";
            view.template_name = "pages/error";
            view.site = site_settings(ctx);
            view.title = "Stream not found";
            view.status = 404;
            view.embeddable = true;
            view.data = json::object{{"status", 404},
                                     {"heading", "Stream not found"},
                                     {"message", "This stream does not exist."}};
            return render(req, std::move(view));
        }
        return error_page(req, 404, "Stream not found",
                          fmt::format("There is no stream called {}.", mount));
    }
    PageView view;
    view.site = site_settings(ctx);
    auto m = decorate_mount(*doc);
    view.title =
        fmt::format("{} · {}", m["display_name"].as_string().c_str(), str(view.site, "title"));
    json::object client{{"mount", *doc}};
    if (embed) {
        view.name = "embed";
        view.layout = "layouts/embed";
        view.template_name = "pages/embed";
        view.module = "pages/embed.js";
        view.embeddable = true;
    } else {
        view.name = "player";
        view.template_name = "pages/player";
        view.module = "pages/player.js";
        view.client_templates.assign(player_templates.begin(), player_templates.end());
        const auto now = now_ms();
        json::array plays;
        json::array raw_plays;
        const auto history = ctx.get("/api/history" + mount, "limit=10");
        if (const auto* h = as_object(history); h && arr(*h, "plays")) {
            for (const auto& p : *arr(*h, "plays")) {
                if (const auto* po = p.if_object()) {
                    plays.push_back(decorate_play(*po, now));
                    raw_plays.push_back(*po);
                }
            }
        }
        m["history"] = std::move(plays);
        client["history"] = std::move(raw_plays);
        // The snippet is rewritten in the browser with the page's real origin (a proxy may
        // terminate TLS); the Host header is the best guess here.
        std::string host(req.header("host").value_or("localhost"));
        m["embed_code"] = fmt::format(
            "<iframe src=\"http://{}{}\" title=\"{}\" width=\"400\" height=\"96\" "
            "loading=\"lazy\"></iframe>",
            host, m["embed_url"].as_string().c_str(), m["display_name"].as_string().c_str());
    }
    view.data["mount"] = std::move(m);
    view.client = std::move(client);
    return render(req, std::move(view));
}

http::Response WebUi::login(http::Request& req) {
    std::string next = safe_next(req.query.get("next").value_or("/admin"));
    if (req.principal.logged_in()) {
        return redirect(next);
    }
    PageContext ctx(api_, req);
    PageView view;
    view.name = "login";
    view.template_name = "pages/login";
    view.module = "pages/login.js";
    view.site = site_settings(ctx);
    view.title = fmt::format("Sign in · {}", str(view.site, "title"));
    view.data["next"] = next;
    view.client["next"] = next;
    return render(req, std::move(view));
}

http::Response WebUi::admin(http::Request& req, std::string_view rest) {
    // rest: "", "/", "/<slug>" or "/<slug>/<more>"
    std::string_view slug = rest.size() > 1 ? rest.substr(1) : std::string_view{};
    slug = slug.substr(0, slug.find('/'));
    const AdminPage* page = find_admin_page(slug);
    if (page == nullptr) {
        return error_page(req, 404, "Page not found", "There is no page at this address.");
    }
    if (!req.principal.logged_in()) {
        std::string target = req.path;
        if (req.head != nullptr) {
            target = std::string(req.head->path);
            if (!req.head->query.empty()) {
                target += "?" + std::string(req.head->query);
            }
        }
        return redirect("/login?next=" + protocol::http::url_encode(target));
    }
    if (!allowed(page->access, req.principal)) {
        return error_page(req, 403, "Not allowed",
                          "Your account may not open this page. Ask an administrator.");
    }
    PageContext ctx(api_, req);
    PageView view;
    view.name = page->slug.empty() ? "dashboard" : std::string(page->slug);
    view.layout = "layouts/admin";
    view.template_name = std::string(page->template_name);
    view.module = std::string(page->module);
    view.client_templates.assign(page->client_templates.begin(), page->client_templates.end());
    view.site = site_settings(ctx);
    view.heading = std::string(page->label);
    view.title = fmt::format("{} · {}", page->label, str(view.site, "title"));
    view.data = page->data(ctx);
    if (auto* client = view.data.if_contains("client"); client && client->is_object()) {
        view.client = std::move(client->as_object());
        view.data.erase("client");
    }
    for (const auto& p : pages) {
        if (p.data == nullptr || !allowed(p.access, req.principal)) {
            continue;
        }
        view.nav.push_back(json::object{
            {"href", p.slug.empty() ? std::string("/admin") : "/admin/" + std::string(p.slug)},
            {"label", p.label},
            {"icon", p.icon},
            {"current", &p == page}});
    }
    return render(req, std::move(view));
}

} // namespace tinyice::server
