#include "protocol/icecast/StatusDocuments.hpp"

#include "protocol/icecast/Utf8.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <variant>

namespace tinyice::protocol::icecast {

namespace {

constexpr std::string_view xml_declaration = "<?xml version=\"1.0\"?>\n";

using StatValue = std::variant<std::string, std::uint64_t>;

struct Stat {
    std::string key;
    StatValue value;
    bool admin_only = false; // hidden from the public documents, as in Icecast
};

// Every key a source node of ours may carry, plus the keys Icecast itself uses there: an
// ice-audio-info pair with one of these names is ignored.
constexpr std::array<std::string_view, 36> reserved_source_keys{"artist",
                                                                "audio_bitrate",
                                                                "audio_channels",
                                                                "audio_info",
                                                                "audio_samplerate",
                                                                "authenticator",
                                                                "bitrate",
                                                                "connections",
                                                                "content-type",
                                                                "dummy",
                                                                "fallback",
                                                                "genre",
                                                                "ice-bitrate",
                                                                "listener_peak",
                                                                "listeners",
                                                                "listenurl",
                                                                "max_listeners",
                                                                "mount",
                                                                "on_demand",
                                                                "public",
                                                                "server_description",
                                                                "server_name",
                                                                "server_type",
                                                                "server_url",
                                                                "slow_listeners",
                                                                "source_ip",
                                                                "stream_start",
                                                                "stream_start_iso8601",
                                                                "subtype",
                                                                "title",
                                                                "total_bytes_read",
                                                                "total_bytes_sent",
                                                                "user_agent",
                                                                "yp_currently_playing",
                                                                "Connected",
                                                                "source"};

bool is_stat_key(std::string_view key) {
    return !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

bool is_reserved(std::string_view key) {
    return std::find(reserved_source_keys.begin(), reserved_source_keys.end(), key) !=
           reserved_source_keys.end();
}

// Canonical unsigned integers ("0", "44100"; not "007", "1e5", "-1") become numbers.
StatValue audio_info_value(const std::string& value) {
    const bool canonical =
        !value.empty() && value.size() <= 18 && (value.size() == 1 || value[0] != '0') &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!canonical) {
        return value;
    }
    return static_cast<std::uint64_t>(std::stoull(value));
}

std::string or_default(const std::string& value, std::string_view fallback) {
    return value.empty() ? std::string(fallback) : value;
}

std::vector<Stat> source_stats(const core::MountSnapshot& m) {
    std::vector<Stat> stats;
    const auto add = [&](std::string key, StatValue value, bool admin_only = false) {
        stats.push_back(Stat{std::move(key), std::move(value), admin_only});
    };
    const auto add_text = [&](std::string key, const std::string& value) {
        if (!value.empty()) {
            add(std::move(key), value);
        }
    };
    add_text("artist", m.artist);
    add_text("audio_info", m.audio_info);
    if (m.bitrate && *m.bitrate >= 0) {
        add("bitrate", static_cast<std::uint64_t>(*m.bitrate));
    }
    add("genre", or_default(m.genre, "various"));
    add("listener_peak", m.listener_peak);
    add("listeners", m.listeners);
    add("listenurl", m.listenurl);
    if (m.max_listeners) {
        add("max_listeners", std::uint64_t{*m.max_listeners}, true);
    } else {
        add("max_listeners", std::string("unlimited"), true);
    }
    add("public", std::uint64_t{m.is_public.value_or(false) ? 1U : 0U}, true);
    add("server_description", or_default(m.server_description, "Unspecified description"));
    add("server_name", or_default(m.server_name, "Unspecified name"));
    add("server_type", m.content_type);
    add_text("server_url", m.server_url);
    add("slow_listeners", m.slow_listeners, true);
    add("source_ip", m.source_ip, true);
    add("stream_start", icecast_time(m.stream_start));
    add("stream_start_iso8601", iso8601_time(m.stream_start));
    add_text("subtype", m.subtype);
    add_text("title", m.title);
    add("total_bytes_read", m.total_bytes_read, true);
    add("total_bytes_sent", m.total_bytes_sent, true);
    if (!m.user_agent.empty()) {
        add("user_agent", m.user_agent, true);
    }
    for (const auto& pair : m.audio_info_pairs) {
        const std::string& key = pair.first;
        const bool duplicate =
            std::any_of(stats.begin(), stats.end(), [&key](const Stat& s) { return s.key == key; });
        if (is_stat_key(key) && !is_reserved(key) && !duplicate) {
            add(key, audio_info_value(pair.second));
        }
    }
    std::stable_sort(stats.begin(), stats.end(),
                     [](const Stat& l, const Stat& r) { return l.key < r.key; });
    return stats;
}

std::vector<const core::MountSnapshot*> running_mounts(const core::ServerSnapshot& snapshot,
                                                       bool include_hidden,
                                                       std::optional<std::string_view> filter) {
    std::vector<const core::MountSnapshot*> mounts;
    for (const auto& m : snapshot.mounts) {
        if (!m.has_source || (m.hidden && !include_hidden) || (filter && m.mount != *filter)) {
            continue;
        }
        mounts.push_back(&m);
    }
    std::stable_sort(mounts.begin(), mounts.end(),
                     [](const auto* l, const auto* r) { return l->mount < r->mount; });
    return mounts;
}

std::string stat_text(const StatValue& value) {
    if (const auto* number = std::get_if<std::uint64_t>(&value)) {
        return std::to_string(*number);
    }
    return std::get<std::string>(value);
}

boost::json::value json_value(const StatValue& value) {
    if (const auto* number = std::get_if<std::uint64_t>(&value)) {
        return *number;
    }
    return boost::json::string(repair_utf8(std::get<std::string>(value)));
}

void append_element(std::string& out, std::string_view name, std::string_view text) {
    out.append("<").append(name).append(">");
    out.append(xml_escape(text));
    out.append("</").append(name).append(">");
}

void append_source_open(std::string& out, std::string_view mount) {
    out.append("<source mount=\"").append(xml_escape(mount)).append("\">");
}

// Icecast's admin_build_sourcelist node, shared by listmounts and the moveclients list.
void append_sourcelist_node(std::string& out, const core::MountSnapshot& m,
                            std::optional<std::int64_t> now) {
    append_source_open(out, m.mount);
    append_element(out, "fallback", m.fallback);
    append_element(out, "listeners", std::to_string(m.listeners));
    if (now) {
        append_element(out, "Connected",
                       std::to_string(std::max<std::int64_t>(0, *now - m.stream_start)));
    }
    append_element(out, "content-type", m.content_type);
    out.append("</source>");
}

struct CivilTime {
    std::chrono::year_month_day date{};
    std::chrono::weekday weekday{};
    std::chrono::hh_mm_ss<std::chrono::seconds> time;
};

CivilTime civil_time(std::int64_t unix_seconds) {
    using namespace std::chrono;
    // Years 1970..9999 keep every field within its printf width.
    constexpr std::int64_t last = 253402300799; // 9999-12-31T23:59:59Z
    const sys_seconds tp{seconds{std::clamp<std::int64_t>(unix_seconds, 0, last)}};
    const sys_days day = floor<days>(tp);
    return CivilTime{year_month_day{day}, weekday{day}, hh_mm_ss<seconds>{tp - day}};
}

} // namespace

std::string status_json(const core::ServerSnapshot& snapshot,
                        std::optional<std::string_view> mount_filter) {
    boost::json::object icestats;
    icestats["admin"] = repair_utf8(snapshot.admin);
    icestats["host"] = repair_utf8(snapshot.host);
    icestats["location"] = repair_utf8(snapshot.location);
    icestats["server_id"] = repair_utf8(snapshot.server_id);
    icestats["server_start"] = icecast_time(snapshot.server_start);
    icestats["server_start_iso8601"] = iso8601_time(snapshot.server_start);

    boost::json::array sources;
    for (const auto* m : running_mounts(snapshot, false, mount_filter)) {
        boost::json::object source;
        for (const auto& stat : source_stats(*m)) {
            if (!stat.admin_only) {
                source[stat.key] = json_value(stat.value);
            }
        }
        source["dummy"] = nullptr;
        sources.emplace_back(std::move(source));
    }
    // Icecast's XSLT quirk that butt, netdata and others depend on.
    if (sources.size() == 1) {
        icestats["source"] = std::move(sources.front());
    } else if (sources.size() > 1) {
        icestats["source"] = std::move(sources);
    } else {
        icestats["dummy"] = nullptr;
    }

    boost::json::object root;
    root["icestats"] = std::move(icestats);
    return boost::json::serialize(root);
}

std::string admin_stats_xml(const core::ServerSnapshot& snapshot,
                            std::optional<std::string_view> mount_filter) {
    const auto number = [](std::uint64_t n) {
        return std::to_string(n);
    };
    // Sorted by name, like Icecast's stats tree.
    const std::array<std::pair<std::string_view, std::string>, 18> globals{{
        {"admin", snapshot.admin},
        {"client_connections", number(snapshot.connections)},
        {"clients", number(snapshot.clients)},
        {"connections", number(snapshot.connections)},
        {"file_connections", "0"},
        {"host", snapshot.host},
        {"listener_connections", number(snapshot.listener_connections)},
        {"listeners", number(snapshot.listeners)},
        {"location", snapshot.location},
        {"server_id", snapshot.server_id},
        {"server_start", icecast_time(snapshot.server_start)},
        {"server_start_iso8601", iso8601_time(snapshot.server_start)},
        {"source_client_connections", number(snapshot.source_total_connections)},
        {"source_relay_connections", "0"},
        {"source_total_connections", number(snapshot.source_total_connections)},
        {"sources", number(snapshot.sources)},
        {"stats", "0"},
        {"stats_connections", "0"},
    }};

    std::string out(xml_declaration);
    out.append("<icestats>");
    for (const auto& [name, value] : globals) {
        append_element(out, name, value);
    }
    for (const auto* m : running_mounts(snapshot, true, mount_filter)) {
        append_source_open(out, m->mount);
        for (const auto& stat : source_stats(*m)) {
            append_element(out, stat.key, stat_text(stat.value));
        }
        out.append("</source>");
    }
    out.append("</icestats>\n");
    return out;
}

std::string listmounts_xml(const core::ServerSnapshot& snapshot, std::int64_t now) {
    std::string out(xml_declaration);
    out.append("<icestats>");
    for (const auto* m : running_mounts(snapshot, true, std::nullopt)) {
        append_sourcelist_node(out, *m, now);
    }
    out.append("</icestats>\n");
    return out;
}

std::string listclients_xml(std::string_view mount,
                            const std::vector<core::ListenerSnapshot>& listeners) {
    std::string out(xml_declaration);
    out.append("<icestats>");
    append_source_open(out, mount);
    append_element(out, "Listeners", std::to_string(listeners.size()));
    for (const auto& l : listeners) {
        out.append("<listener>");
        append_element(out, "IP", l.ip);
        append_element(out, "UserAgent", l.user_agent.empty() ? "Unknown" : l.user_agent);
        append_element(out, "Connected",
                       std::to_string(std::max<std::int64_t>(0, l.connected_seconds)));
        append_element(out, "ID", std::to_string(l.id));
        out.append("</listener>");
    }
    out.append("</source></icestats>\n");
    return out;
}

std::string iceresponse_xml(std::string_view message, bool ok) {
    std::string out(xml_declaration);
    out.append("<iceresponse>");
    append_element(out, "message", message);
    append_element(out, "return", ok ? "1" : "0");
    out.append("</iceresponse>\n");
    return out;
}

std::string moveclients_list_xml(std::string_view current, const core::ServerSnapshot& snapshot,
                                 std::optional<std::int64_t> now) {
    std::string out(xml_declaration);
    out.append("<icestats>");
    append_element(out, "current_source", current);
    for (const auto* m : running_mounts(snapshot, true, std::nullopt)) {
        if (m->mount != current) {
            append_sourcelist_node(out, *m, now);
        }
    }
    out.append("</icestats>\n");
    return out;
}

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t len = utf8_sequence_length(text, pos);
        if (len == 0) {
            out.append("\xEF\xBF\xBD");
            ++pos;
            continue;
        }
        const std::string_view ch = text.substr(pos, len);
        pos += len;
        if (len == 1) {
            const char c = ch[0];
            switch (c) {
            case '&':
                out.append("&amp;");
                continue;
            case '<':
                out.append("&lt;");
                continue;
            case '>':
                out.append("&gt;");
                continue;
            case '"':
                out.append("&quot;");
                continue;
            case '\'':
                out.append("&apos;");
                continue;
            default:
                break;
            }
            if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                continue; // not allowed anywhere in XML 1.0
            }
        } else if (ch == "\xEF\xBF\xBE" || ch == "\xEF\xBF\xBF") {
            continue; // U+FFFE, U+FFFF
        }
        out.append(ch);
    }
    return out;
}

std::string icecast_time(std::int64_t unix_seconds) {
    static constexpr std::array<std::string_view, 7> day_names{"Sun", "Mon", "Tue", "Wed",
                                                               "Thu", "Fri", "Sat"};
    static constexpr std::array<std::string_view, 12> month_names{
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const CivilTime t = civil_time(unix_seconds);
    return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
                       day_names[t.weekday.c_encoding()], unsigned{t.date.day()},
                       month_names[unsigned{t.date.month()} - 1], int{t.date.year()},
                       t.time.hours().count(), t.time.minutes().count(), t.time.seconds().count());
}

std::string iso8601_time(std::int64_t unix_seconds) {
    const CivilTime t = civil_time(unix_seconds);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+0000", int{t.date.year()},
                       unsigned{t.date.month()}, unsigned{t.date.day()}, t.time.hours().count(),
                       t.time.minutes().count(), t.time.seconds().count());
}

} // namespace tinyice::protocol::icecast
