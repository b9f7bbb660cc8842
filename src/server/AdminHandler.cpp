// Icecast-compatible admin commands, status documents and playlist files (icecast-protocol.md
// §2.4 and §4). Responses keep Icecast's XML shapes so existing tools keep working.

#include "protocol/icecast/IcyMetadata.hpp"
#include "protocol/icecast/Playlists.hpp"
#include "protocol/icecast/StatusDocuments.hpp"
#include "server/Server.hpp"
#include "util/Log.hpp"

#include <fmt/format.h>

#include <charconv>

namespace tinyice::server {

namespace asio = boost::asio;
using asio::ip::tcp;
namespace icecast = protocol::icecast;

namespace {

constexpr std::string_view xml_type = "text/xml; charset=utf-8";

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

asio::awaitable<void> Server::handle_admin(tcp::socket& socket, Request& req, int& status) {
    auto log = util::logger("admin");
    std::string_view path = req.head.path;
    std::string_view command =
        path == "/admin.cgi" ? "metadata" : path.substr(path.find('/', 1) + 1);
    if (path == "/admin" || path == "/admin/") {
        command = "stats";
    }
    if (command.ends_with(".xsl")) {
        command.remove_suffix(4);
    }
    if (command == "stats.xml") {
        command = "stats";
    }
    static constexpr std::string_view global_commands[] = {"stats", "listmounts", "streamlist.txt"};
    static constexpr std::string_view mount_commands[] = {"metadata", "listclients", "killclient",
                                                          "killsource", "moveclients"};
    bool is_global = std::find(std::begin(global_commands), std::end(global_commands), command) !=
                     std::end(global_commands);
    bool is_mount = std::find(std::begin(mount_commands), std::end(mount_commands), command) !=
                    std::end(mount_commands);
    if (!is_global && !is_mount) {
        co_await send_error(socket, 400, "Unrecognised command", status, true);
        co_return;
    }

    auto mount_param = req.query.get("mount");
    std::optional<std::string> mount_name;
    if (mount_param) {
        mount_name = protocol::http::normalize_mount_path(*mount_param);
    }

    // Credentials: admin for everything; a mount's source credentials for that mount's
    // commands (how encoders update titles). SHOUTcast-style admin.cgi carries `pass`.
    std::optional<protocol::http::BasicCredentials> creds;
    if (auto a = req.head.header("authorization")) {
        creds = protocol::http::parse_basic_auth(*a);
    }
    if (!creds && path == "/admin.cgi") {
        if (auto pass = req.query.get("pass")) {
            creds = protocol::http::BasicCredentials{"source", *pass};
        }
    }
    if (!creds) {
        co_await send_unauthorized(socket, status);
        co_return;
    }
    bool allowed = false;
    if (is_global || !mount_name) {
        allowed = co_await auth_.is_admin(*creds);
    } else {
        allowed = co_await auth_.may_manage(*mount_name, *creds);
    }
    if (!allowed && accounts_ != nullptr) {
        // User accounts: administrators for everything, DJs for their own mounts.
        auto who = co_await check_account(creds->user, creds->password);
        if (who) {
            allowed =
                (is_global || !mount_name) ? who->is_admin() : who->may_manage_mount(*mount_name);
        }
    }
    if (!allowed) {
        log->warn("{}: refused {} for user '{}'", req.ip, command, creds->user);
        // Encoders update titles with their source credentials: a wrong source password is
        // not a failed administrator login (it must never lock an encoder's address out).
        bool source_user = creds->user == "source";
        if (mount_name) {
            const auto own = auth_.mount_credentials(*mount_name);
            source_user = source_user || (own && creds->user == own->username);
        }
        if (source_user) {
            http_counters_.auth_source.fetch_add(1, std::memory_order_relaxed);
        } else {
            http_counters_.auth_admin_login.fetch_add(1, std::memory_order_relaxed);
            co_await note_login_failure(req.ip, creds->user);
        }
        co_await send_unauthorized(socket, status);
        co_return;
    }

    if (command == "stats") {
        auto snap = snapshot();
        // Arguments are computed first: GCC 12 mis-destroys temporaries of a conditional
        // expression inside a co_await statement.
        std::optional<std::string_view> filter;
        if (mount_name) {
            filter = *mount_name;
        }
        auto body = icecast::admin_stats_xml(snap, filter);
        co_await send_document(socket, xml_type, std::move(body), status);
        co_return;
    }
    if (command == "listmounts") {
        co_await send_document(socket, xml_type, icecast::listmounts_xml(snapshot(), unix_now()),
                               status);
        co_return;
    }
    if (command == "streamlist.txt") {
        std::string body;
        for (const auto& m : mounts_.all()) {
            if (m->has_source()) {
                body += m->name() + "\n";
            }
        }
        co_await send_document(socket, "text/plain; charset=utf-8", std::move(body), status);
        co_return;
    }

    // Mount commands.
    if (!mount_name) {
        co_await send_error(socket, 400, "Missing parameter", status, true);
        co_return;
    }
    auto mount = mounts_.find(*mount_name);
    if (!mount) {
        co_await send_error(socket, 400, "Source does not exist", status, true);
        co_return;
    }

    if (command == "metadata") {
        auto mode = req.query.get("mode").value_or("");
        if (mode != "updinfo") {
            co_await send_document(socket, xml_type,
                                   icecast::iceresponse_xml("No such action", false), status);
            co_return;
        }
        auto charset = req.query.get("charset").value_or("UTF-8");
        auto convert = [&](std::optional<std::string> v) -> std::string {
            if (!v) {
                return {};
            }
            auto utf8 = icecast::to_utf8(*v, charset);
            return utf8 ? *utf8 : *icecast::to_utf8(*v, "ISO-8859-1");
        };
        auto song = convert(req.query.get("song"));
        auto artist = convert(req.query.get("artist"));
        auto title = convert(req.query.get("title"));
        auto url = convert(req.query.get("url"));
        std::string display = song;
        if (display.empty()) {
            display = !artist.empty() && !title.empty() ? artist + " - " + title
                                                        : (title.empty() ? artist : title);
        }
        publish_title(*mount, display, artist, url);
        log->info("{}: title on {} is now '{}'", req.ip, mount->name(), display);
        if (path == "/admin.cgi") {
            co_await send_document(
                socket, "text/html; charset=utf-8",
                "<html><head><title>Admin request successful</title></head><body><p>Metadata "
                "update successful</p></body></html>",
                status);
        } else {
            co_await send_document(socket, xml_type,
                                   icecast::iceresponse_xml("Metadata update successful", true),
                                   status);
        }
        co_return;
    }

    if (command == "listclients") {
        const core::Mount* key = mount.get();
        auto per_loop =
            co_await on_every_loop([key](EventLoop& loop) { return loop.listeners_of(key); });
        std::vector<core::ListenerSnapshot> all;
        for (auto& v : per_loop) {
            all.insert(all.end(), std::make_move_iterator(v.begin()),
                       std::make_move_iterator(v.end()));
        }
        std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
        co_await send_document(socket, xml_type, icecast::listclients_xml(mount->name(), all),
                               status);
        co_return;
    }

    if (command == "killclient") {
        auto id_text = req.query.get("id").value_or("");
        std::uint64_t id = 0;
        auto [ptr, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
        if (id_text.empty() || ec != std::errc() || ptr != id_text.data() + id_text.size()) {
            co_await send_error(socket, 400, "Missing parameter", status, true);
            co_return;
        }
        const core::Mount* key = mount.get();
        auto results = co_await on_every_loop(
            [id, key](EventLoop& loop) { return loop.kill_listener(id, key); });
        bool found = std::find(results.begin(), results.end(), true) != results.end();
        std::string message;
        if (found) {
            message = fmt::format("Client {} removed", id);
        } else {
            message = fmt::format("Client {} not found", id);
        }
        auto body = icecast::iceresponse_xml(message, found);
        co_await send_document(socket, xml_type, std::move(body), status);
        co_return;
    }

    if (command == "killsource") {
        if (!mount->kill_source()) {
            co_await send_error(socket, 400, "Source is not available", status, true);
            co_return;
        }
        log->info("{}: source of {} removed by admin", req.ip, mount->name());
        co_await send_document(socket, xml_type, icecast::iceresponse_xml("Source Removed", true),
                               status);
        co_return;
    }

    if (command == "moveclients") {
        auto dest_param = req.query.get("destination");
        if (!dest_param) {
            co_await send_document(
                socket, xml_type, icecast::moveclients_list_xml(mount->name(), snapshot()), status);
            co_return;
        }
        auto dest_name = protocol::http::normalize_mount_path(*dest_param);
        auto dest = dest_name ? mounts_.find(*dest_name) : nullptr;
        if (!dest) {
            co_await send_error(socket, 400, "No such destination", status, true);
            co_return;
        }
        if (dest == mount) {
            co_await send_error(socket, 400, "supplied mountpoints are identical", status, true);
            co_return;
        }
        if (!dest->has_source()) {
            co_await send_error(socket, 400, "Destination not running", status, true);
            co_return;
        }
        if (mount->has_source() && dest->format() != mount->format()) {
            co_await send_error(socket, 400, "Destination has a different stream format", status,
                                true);
            co_return;
        }
        const core::Mount* key = mount.get();
        auto moved = co_await on_every_loop(
            [key, dest](EventLoop& loop) { return loop.move_listeners(key, dest); });
        std::size_t total = 0;
        for (auto n : moved) {
            total += n;
        }
        log->info("{}: moved {} listeners from {} to {}", req.ip, total, mount->name(),
                  dest->name());
        co_await send_document(
            socket, xml_type,
            icecast::iceresponse_xml(
                fmt::format("Clients moved from {} to {}", mount->name(), dest->name()), true),
            status);
        co_return;
    }
}

asio::awaitable<void> Server::handle_status(tcp::socket& socket, Request& req, int& status) {
    std::string_view path = req.head.path;
    bool head_only = req.head.method == "HEAD";
    if (path == "/status-json.xsl") {
        auto snap = snapshot();
        auto mount = req.query.get("mount");
        std::optional<std::string> filter;
        if (mount) {
            filter = protocol::http::normalize_mount_path(*mount).value_or(*mount);
        }
        std::optional<std::string_view> filter_view;
        if (filter) {
            filter_view = *filter;
        }
        auto body = icecast::status_json(snap, filter_view);
        co_await send_document(socket, "application/json; charset=utf-8", std::move(body), status,
                               head_only);
        co_return;
    }
    if (path == "/server_version.xsl") {
        co_await send_document(socket, "text/plain; charset=utf-8", "TinyIce " + version_ + "\n",
                               status, head_only);
        co_return;
    }
    // "/" and "/status.xsl": a small public page listing the live mounts.
    auto snap = snapshot();
    std::string rows;
    for (const auto& m : snap.mounts) {
        if (m.hidden || !m.has_source) {
            continue;
        }
        rows += fmt::format(
            "<tr><td><a href=\"{0}\">{0}</a></td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td>"
            "<td><a href=\"{0}.m3u\">M3U</a> <a href=\"{0}.pls\">PLS</a> <a "
            "href=\"{0}.xspf\">XSPF</a></td></tr>\n",
            icecast::xml_escape(m.mount),
            icecast::xml_escape(m.server_name.empty() ? "Unspecified name" : m.server_name),
            icecast::xml_escape(m.title), icecast::xml_escape(m.content_type), m.listeners);
    }
    if (rows.empty()) {
        rows = "<tr><td colspan=\"6\">No stream is live right now.</td></tr>\n";
    }
    auto page = fmt::format(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
        "content=\"width=device-width,initial-scale=1\"><title>{0}</title><style>"
        "body{{background:#111418;color:#e6e8eb;font:15px/1.5 system-ui,sans-serif;margin:2rem}}"
        "table{{border-collapse:collapse;width:100%}}td,th{{padding:.5rem .75rem;border-bottom:1px "
        "solid #2a2f36;text-align:left}}a{{color:#ff9f43}}th{{color:#9aa3ad;font-weight:600}}"
        "</style></head><body><h1>{0}</h1><table><thead><tr><th>Mount</th><th>Name</th>"
        "<th>Now playing</th><th>Format</th><th>Listeners</th><th>Playlist</th></tr></thead>"
        "<tbody>\n{1}</tbody></table><p><a href=\"/status-json.xsl\">status-json.xsl</a></p>"
        "</body></html>\n",
        icecast::xml_escape(snap.server_id), rows);
    co_await send_document(socket, "text/html; charset=utf-8", std::move(page), status, head_only);
}

asio::awaitable<bool> Server::handle_playlist(tcp::socket& socket, Request& req, int& status) {
    std::string_view path = req.path;
    std::string_view kind;
    for (std::string_view ext : {".m3u", ".pls", ".xspf"}) {
        if (path.ends_with(ext)) {
            kind = ext;
            path.remove_suffix(ext.size());
            break;
        }
    }
    if (kind.empty()) {
        co_return false;
    }
    auto mount = mounts_.find(path);
    if (!mount) {
        co_return false; // maybe a mount literally named "x.m3u": let the listener path decide
    }
    // Absolute URL: prefer the Host the client used, so the playlist works behind NAT/DNS.
    std::string url;
    if (auto host = req.head.header("host");
        host && !host->empty() && host->find_first_of("/\\ \"<>") == std::string_view::npos) {
        url = fmt::format("http://{}{}", *host, mount->name());
    } else {
        url = listen_url(mount->name());
    }
    auto snap = mount->snapshot();
    auto name = snap.server_name.empty() ? mount->name() : snap.server_name;
    bool head_only = req.head.method == "HEAD";
    if (kind == ".m3u") {
        co_await send_document(socket, "audio/x-mpegurl", icecast::m3u_playlist(url, name), status,
                               head_only);
    } else if (kind == ".pls") {
        co_await send_document(socket, "audio/x-scpls", icecast::pls_playlist(url, name), status,
                               head_only);
    } else {
        snap.listenurl = url;
        co_await send_document(socket, "application/xspf+xml", icecast::xspf_playlist(url, snap),
                               status, head_only);
    }
    co_return true;
}

} // namespace tinyice::server
