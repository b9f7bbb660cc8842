#include "mpd/Commands.hpp"

#include "protocol/mpd/Ack.hpp"
#include "protocol/mpd/Arguments.hpp"
#include "protocol/mpd/Filter.hpp"
#include "protocol/mpd/Idle.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace tinyice::mpd {

namespace pm = protocol::mpd;
using pm::Ack;
using pm::CommandError;

struct CommandContext {
    Backend& backend;
    const Commands& commands;
    MessageBoard& board;
    ClientState& client;
    const pm::Command& cmd;
    pm::Response& out;
    std::chrono::steady_clock::time_point started;

    [[nodiscard]] const std::string& arg(std::size_t i) const { return cmd.args.at(i); }
    [[nodiscard]] bool has(std::size_t i) const { return cmd.args.size() > i; }
};

namespace {

[[noreturn]] void fail(Ack code, const std::string& message) {
    throw CommandError(code, message);
}

// ---- helpers --------------------------------------------------------------------------------

std::string_view state_name(PlayState s) {
    switch (s) {
    case PlayState::play:
        return "play";
    case PlayState::pause:
        return "pause";
    case PlayState::stop:
        return "stop";
    }
    return "stop";
}

std::string_view single_name(SingleMode s) {
    switch (s) {
    case SingleMode::on:
        return "1";
    case SingleMode::oneshot:
        return "oneshot";
    case SingleMode::off:
        return "0";
    }
    return "0";
}

std::uint64_t round_seconds(double s) {
    return s > 0 && std::isfinite(s) ? static_cast<std::uint64_t>(std::llround(s)) : 0;
}

// The song for a queue entry or stored playlist path: the database's, or just the path when
// the file is no longer in the database.
void add_file(CommandContext& c, const SongDatabase& db, const std::string& file,
              std::optional<std::size_t> pos = {}, std::optional<std::uint64_t> id = {}) {
    if (const auto* song = db.find(file)) {
        c.out.add_song(*song, c.client.tags, pos, id);
    } else {
        pm::Song bare;
        bare.file = file;
        c.out.add_song(bare, c.client.tags, pos, id);
    }
}

std::size_t position_arg(CommandContext& c, std::size_t i) {
    return static_cast<std::size_t>(pm::parse_unsigned(c.arg(i)));
}

std::uint64_t id_arg(CommandContext& c, std::size_t i) {
    return pm::parse_unsigned(c.arg(i), std::numeric_limits<std::uint64_t>::max());
}

// A range argument over a list of `size` entries: a single position must exist, a range must
// start inside the list (or at its end when empty), its end is clamped.
pm::Range range_arg(CommandContext& c, std::size_t i, std::size_t size) {
    const auto& text = c.arg(i);
    const auto r = pm::parse_range(text);
    if (text.find(':') == std::string::npos && text != "-1") {
        if (r.start >= size) {
            fail(Ack::arg, "Bad song index");
        }
        return r;
    }
    if (r.start > size) {
        fail(Ack::arg, "Bad range");
    }
    return r.clamped(size);
}

std::optional<std::size_t> queue_position_of(const QueueSnapshot& q, std::uint64_t id) {
    for (std::size_t i = 0; i < q.items.size(); ++i) {
        if (q.items[i].id == id) {
            return i;
        }
    }
    return std::nullopt;
}

void check_playlist_name(const std::string& name) {
    if (name.empty() || name.size() > 255 || name.find('/') != std::string::npos ||
        name.find('\n') != std::string::npos || name.find('\r') != std::string::npos ||
        name == "." || name == "..") {
        fail(Ack::arg, "Bad playlist name");
    }
}

// A database path argument: "" and "/" mean the root; ".." or a NUL never name anything.
std::string uri_arg(CommandContext& c, std::size_t i) {
    if (!c.has(i)) {
        return {};
    }
    return std::string(SongDatabase::normalize_dir(c.arg(i)));
}

void toggle_option(CommandContext& c, const std::function<void(PlayOptions&, bool)>& set) {
    const bool on = pm::parse_bool(c.arg(0));
    auto options = c.backend.player.status().options;
    set(options, on);
    c.backend.settings.set_options(options);
}

// ---- status and playback ------------------------------------------------------------------

void cmd_status(CommandContext& c) {
    const auto st = c.backend.player.status();
    const auto update = c.backend.database.update_state();
    auto& out = c.out;
    out.add("volume", st.volume);
    out.add("repeat", st.options.repeat ? "1" : "0");
    out.add("random", st.options.random ? "1" : "0");
    out.add("single", single_name(st.options.single));
    out.add("consume", st.options.consume ? "1" : "0");
    out.add("partition", "default");
    out.add("playlist", st.queue_version);
    out.add("playlistlength", static_cast<std::uint64_t>(st.queue_length));
    out.add("mixrampdb", "0");
    out.add("state", state_name(st.state));
    if (st.crossfade_seconds > 0) {
        out.add("xfade", round_seconds(st.crossfade_seconds));
    }
    if (st.current_position && st.current_id) {
        out.add("song", static_cast<std::uint64_t>(*st.current_position));
        out.add("songid", *st.current_id);
    }
    if (st.state != PlayState::stop) {
        out.add("time",
                fmt::format("{}:{}", round_seconds(st.elapsed), round_seconds(st.duration)));
        out.add_fixed("elapsed", st.elapsed);
        out.add("bitrate", st.bitrate_kbps);
        if (st.duration > 0) {
            out.add_fixed("duration", st.duration);
        }
        if (!st.audio_format.empty()) {
            out.add("audio", st.audio_format);
        }
    }
    if (update.job) {
        out.add("updating_db", *update.job);
    }
    if (st.next_position && st.next_id) {
        out.add("nextsong", static_cast<std::uint64_t>(*st.next_position));
        out.add("nextsongid", *st.next_id);
    }
}

void cmd_currentsong(CommandContext& c) {
    const auto st = c.backend.player.status();
    if (st.current_file.empty()) {
        return;
    }
    const auto db = c.backend.database.songs();
    add_file(c, *db, st.current_file, st.current_id ? st.current_position : std::nullopt,
             st.current_position ? st.current_id : std::nullopt);
}

void cmd_stats(CommandContext& c) {
    const auto db = c.backend.database.songs();
    const auto st = c.backend.player.status();
    const auto update = c.backend.database.update_state();
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - c.started);
    c.out.add("artists", static_cast<std::uint64_t>(db->artists()));
    c.out.add("albums", static_cast<std::uint64_t>(db->albums()));
    c.out.add("songs", static_cast<std::uint64_t>(db->songs().size()));
    c.out.add("uptime", static_cast<std::uint64_t>(std::max<std::int64_t>(0, uptime.count())));
    c.out.add("db_playtime", round_seconds(db->total_duration()));
    c.out.add("db_update", update.last_update);
    c.out.add("playtime", round_seconds(st.play_time));
}

void cmd_play(CommandContext& c) {
    std::optional<std::size_t> pos;
    if (c.has(0) && c.arg(0) != "-1") {
        pos = position_arg(c, 0);
    }
    if (!c.backend.player.play(pos)) {
        fail(Ack::arg, "Bad song index");
    }
}

void cmd_playid(CommandContext& c) {
    if (!c.has(0) || c.arg(0) == "-1") {
        c.backend.player.play(std::nullopt);
        return;
    }
    if (!c.backend.player.play_id(id_arg(c, 0))) {
        fail(Ack::no_exist, "No such song");
    }
}

void cmd_pause(CommandContext& c) {
    std::optional<bool> paused;
    if (c.has(0)) {
        paused = pm::parse_bool(c.arg(0));
    }
    c.backend.player.pause(paused);
}

void cmd_stop(CommandContext& c) {
    c.backend.player.stop();
}
void cmd_next(CommandContext& c) {
    c.backend.player.next();
}
void cmd_previous(CommandContext& c) {
    c.backend.player.previous();
}

void seek_in(CommandContext& c, std::size_t position, double seconds) {
    const auto st = c.backend.player.status();
    if (st.current_position != position || st.state == PlayState::stop) {
        if (!c.backend.player.play(position)) {
            fail(Ack::arg, "Bad song index");
        }
    }
    if (!c.backend.player.seek(seconds, false)) {
        fail(Ack::system, "Cannot seek in this song");
    }
}

void cmd_seek(CommandContext& c) {
    const auto pos = position_arg(c, 0);
    const auto seconds = pm::parse_seconds(c.arg(1));
    seek_in(c, pos, seconds);
}

void cmd_seekid(CommandContext& c) {
    const auto id = id_arg(c, 0);
    const auto seconds = pm::parse_seconds(c.arg(1));
    const auto pos = queue_position_of(c.backend.queue.queue(), id);
    if (!pos) {
        fail(Ack::no_exist, "No such song");
    }
    seek_in(c, *pos, seconds);
}

void cmd_seekcur(CommandContext& c) {
    const auto offset = pm::parse_time_offset(c.arg(0));
    if (c.backend.player.status().state == PlayState::stop) {
        fail(Ack::player_sync, "Not playing");
    }
    if (!c.backend.player.seek(offset.seconds, offset.relative)) {
        fail(Ack::system, "Cannot seek in this song");
    }
}

void cmd_setvol(CommandContext& c) {
    const auto& text = c.arg(0);
    const auto volume = pm::parse_unsigned(text, 1000);
    if (volume > 100) {
        fail(Ack::arg, "Invalid volume value: " + text);
    }
    c.backend.settings.set_volume(static_cast<int>(volume));
}

void cmd_volume(CommandContext& c) {
    const auto change = pm::parse_integer(c.arg(0), -100, 100);
    const auto st = c.backend.player.status();
    if (st.volume < 0) {
        fail(Ack::system, "No mixer");
    }
    c.backend.settings.set_volume(
        static_cast<int>(std::clamp<std::int64_t>(st.volume + change, 0, 100)));
}

void cmd_getvol(CommandContext& c) {
    const auto st = c.backend.player.status();
    if (st.volume >= 0) {
        c.out.add("volume", st.volume);
    }
}

void cmd_random(CommandContext& c) {
    toggle_option(c, [](PlayOptions& o, bool on) { o.random = on; });
}
void cmd_repeat(CommandContext& c) {
    toggle_option(c, [](PlayOptions& o, bool on) { o.repeat = on; });
}
void cmd_consume(CommandContext& c) {
    toggle_option(c, [](PlayOptions& o, bool on) { o.consume = on; });
}

void cmd_single(CommandContext& c) {
    SingleMode mode = SingleMode::off;
    if (c.arg(0) == "oneshot") {
        mode = SingleMode::oneshot;
    } else {
        mode = pm::parse_bool(c.arg(0)) ? SingleMode::on : SingleMode::off;
    }
    auto options = c.backend.player.status().options;
    options.single = mode;
    c.backend.settings.set_options(options);
}

void cmd_crossfade(CommandContext& c) {
    const auto seconds = pm::parse_unsigned(c.arg(0), 3600);
    c.backend.settings.set_crossfade(static_cast<double>(seconds));
}

void cmd_mixramp(CommandContext& c) {
    // Accepted for clients that set it; TinyIce crossfades by time only.
    (void)pm::parse_time_offset(c.arg(0));
}

void cmd_replay_gain_mode(CommandContext& c) {
    const auto& mode = c.arg(0);
    if (mode != "off" && mode != "track" && mode != "album" && mode != "auto") {
        fail(Ack::arg, "Unrecognized replay gain mode");
    }
    // The station's normalisation is configured on the station, not per client.
}

void cmd_replay_gain_status(CommandContext& c) {
    c.out.add("replay_gain_mode", c.backend.player.status().replay_gain ? "track" : "off");
}

// ---- the queue ------------------------------------------------------------------------------

void cmd_playlistinfo(CommandContext& c) {
    const auto q = c.backend.queue.queue();
    const auto db = c.backend.database.songs();
    pm::Range r{0, q.items.size()};
    if (c.has(0)) {
        r = range_arg(c, 0, q.items.size());
    }
    for (std::size_t i = r.start; i < r.end && i < q.items.size(); ++i) {
        add_file(c, *db, q.items[i].file, i, q.items[i].id);
    }
}

void cmd_playlistid(CommandContext& c) {
    const auto q = c.backend.queue.queue();
    const auto db = c.backend.database.songs();
    if (c.has(0)) {
        const auto id = id_arg(c, 0);
        const auto pos = queue_position_of(q, id);
        if (!pos) {
            fail(Ack::no_exist, "No such song");
        }
        add_file(c, *db, q.items[*pos].file, *pos, id);
        return;
    }
    for (std::size_t i = 0; i < q.items.size(); ++i) {
        add_file(c, *db, q.items[i].file, i, q.items[i].id);
    }
}

void cmd_playlist(CommandContext& c) {
    const auto q = c.backend.queue.queue();
    for (std::size_t i = 0; i < q.items.size(); ++i) {
        c.out.add(fmt::format("{}:file", i), q.items[i].file);
    }
}

void plchanges(CommandContext& c, bool positions_only) {
    const auto since = pm::parse_unsigned(c.arg(0), std::numeric_limits<std::uint64_t>::max());
    const auto q = c.backend.queue.queue();
    const auto db = c.backend.database.songs();
    pm::Range r{0, q.items.size()};
    if (c.has(1)) {
        r = pm::parse_range(c.arg(1)).clamped(q.items.size());
    }
    for (std::size_t i = r.start; i < r.end; ++i) {
        const auto& item = q.items[i];
        if (item.version <= since) {
            continue;
        }
        if (positions_only) {
            c.out.add("cpos", static_cast<std::uint64_t>(i));
            c.out.add("Id", item.id);
        } else {
            add_file(c, *db, item.file, i, item.id);
        }
    }
}

void cmd_plchanges(CommandContext& c) {
    plchanges(c, false);
}
void cmd_plchangesposid(CommandContext& c) {
    plchanges(c, true);
}

void queue_search(CommandContext& c, bool fold) {
    const auto filter = pm::SongFilter::parse(c.cmd.args, fold);
    const auto q = c.backend.queue.queue();
    const auto db = c.backend.database.songs();
    for (std::size_t i = 0; i < q.items.size(); ++i) {
        const auto& item = q.items[i];
        const auto* song = db->find(item.file);
        pm::Song bare;
        if (song == nullptr) {
            bare.file = item.file;
            song = &bare;
        }
        if (filter.matches(*song)) {
            c.out.add_song(*song, c.client.tags, i, item.id);
        }
    }
}

void cmd_playlistfind(CommandContext& c) {
    queue_search(c, false);
}
void cmd_playlistsearch(CommandContext& c) {
    queue_search(c, true);
}

std::optional<std::size_t> optional_position(CommandContext& c, std::size_t i) {
    if (!c.has(i)) {
        return std::nullopt;
    }
    const auto& text = c.arg(i);
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        fail(Ack::arg, "Relative positions are not supported");
    }
    const auto pos = position_arg(c, i);
    if (pos > c.backend.queue.queue().items.size()) {
        fail(Ack::arg, "Bad song index");
    }
    return pos;
}

void cmd_add(CommandContext& c) {
    const auto uri = uri_arg(c, 0);
    const auto db = c.backend.database.songs();
    if (db->find(uri) == nullptr && !db->is_directory(uri)) {
        fail(Ack::no_exist, "No such directory");
    }
    const auto pos = optional_position(c, 1);
    c.backend.queue.add(uri, pos);
}

void cmd_addid(CommandContext& c) {
    const auto& uri = c.arg(0);
    const auto db = c.backend.database.songs();
    if (db->find(uri) == nullptr) {
        fail(Ack::no_exist, "No such song");
    }
    const auto pos = optional_position(c, 1);
    const auto ids = c.backend.queue.add(uri, pos);
    if (ids.empty()) {
        fail(Ack::no_exist, "No such song");
    }
    c.out.add("Id", ids.front());
}

void cmd_delete(CommandContext& c) {
    const auto size = c.backend.queue.queue().items.size();
    const auto r = range_arg(c, 0, size);
    c.backend.queue.remove(r.start, std::min(r.end, size));
}

void cmd_deleteid(CommandContext& c) {
    if (!c.backend.queue.remove_id(id_arg(c, 0))) {
        fail(Ack::no_exist, "No such song");
    }
}

void cmd_move(CommandContext& c) {
    const auto size = c.backend.queue.queue().items.size();
    auto r = pm::parse_range(c.arg(0));
    if (r.open_ended()) {
        r.end = size;
    }
    const auto to = position_arg(c, 1);
    if (r.start >= size || r.end > size || r.end <= r.start || to + (r.end - r.start) > size) {
        fail(Ack::arg, "Bad song index");
    }
    if (!c.backend.queue.move(r.start, r.end, to)) {
        fail(Ack::arg, "Bad song index");
    }
}

void cmd_moveid(CommandContext& c) {
    const auto id = id_arg(c, 0);
    const auto to = position_arg(c, 1);
    const auto q = c.backend.queue.queue();
    if (!queue_position_of(q, id)) {
        fail(Ack::no_exist, "No such song");
    }
    if (to >= q.items.size() || !c.backend.queue.move_id(id, to)) {
        fail(Ack::arg, "Bad song index");
    }
}

void swap_positions(CommandContext& c, std::size_t a, std::size_t b) {
    if (a == b) {
        return;
    }
    const auto lo = std::min(a, b);
    const auto hi = std::max(a, b);
    // Two moves: the later entry to the front of the pair, then the earlier one (now one
    // further down) to where the later one was.
    if (!c.backend.queue.move(hi, hi + 1, lo) || !c.backend.queue.move(lo + 1, lo + 2, hi)) {
        fail(Ack::arg, "Bad song index");
    }
}

void cmd_swap(CommandContext& c) {
    const auto a = position_arg(c, 0);
    const auto b = position_arg(c, 1);
    const auto size = c.backend.queue.queue().items.size();
    if (a >= size || b >= size) {
        fail(Ack::arg, "Bad song index");
    }
    swap_positions(c, a, b);
}

void cmd_swapid(CommandContext& c) {
    const auto q = c.backend.queue.queue();
    const auto a = queue_position_of(q, id_arg(c, 0));
    const auto b = queue_position_of(q, id_arg(c, 1));
    if (!a || !b) {
        fail(Ack::no_exist, "No such song");
    }
    swap_positions(c, *a, *b);
}

void cmd_clear(CommandContext& c) {
    c.backend.queue.clear();
}

void cmd_shuffle(CommandContext& c) {
    const auto size = c.backend.queue.queue().items.size();
    pm::Range r{0, size};
    if (c.has(0)) {
        r = pm::parse_range(c.arg(0)).clamped(size);
    }
    c.backend.queue.shuffle(r.start, r.end);
}

void cmd_prio(CommandContext& c) {
    // Priorities only matter in random mode in MPD; TinyIce's shuffle has none. Validate and
    // accept so that clients which set them keep working.
    (void)pm::parse_unsigned(c.arg(0), 255);
    for (std::size_t i = 1; i < c.cmd.args.size(); ++i) {
        (void)pm::parse_range(c.arg(i));
    }
}

void cmd_prioid(CommandContext& c) {
    (void)pm::parse_unsigned(c.arg(0), 255);
    for (std::size_t i = 1; i < c.cmd.args.size(); ++i) {
        (void)id_arg(c, i);
    }
}

// ---- the database ---------------------------------------------------------------------------

void add_folder(CommandContext& c, const SongDatabase::Folder& folder) {
    c.out.add("directory", folder.path);
    if (folder.mtime > 0) {
        c.out.add("Last-Modified", pm::iso8601_utc(folder.mtime));
    }
}

void add_playlists(CommandContext& c) {
    for (const auto& p : c.backend.playlists.list()) {
        c.out.add("playlist", p.name);
        if (p.mtime > 0) {
            c.out.add("Last-Modified", pm::iso8601_utc(p.mtime));
        }
    }
}

void cmd_lsinfo(CommandContext& c) {
    const auto uri = uri_arg(c, 0);
    const auto db = c.backend.database.songs();
    if (const auto* song = uri.empty() ? nullptr : db->find(uri)) {
        c.out.add_song(*song, c.client.tags);
        return;
    }
    SongDatabase::Listing listing;
    if (!db->list(uri, listing)) {
        fail(Ack::no_exist, "No such directory");
    }
    for (const auto& folder : listing.folders) {
        add_folder(c, folder);
    }
    for (const auto* song : listing.songs) {
        c.out.add_song(*song, c.client.tags);
    }
    if (uri.empty()) {
        add_playlists(c);
    }
}

// Length of the longest common ancestor folder of two folder paths ("a/b" and "a/c" -> 1).
std::size_t common_folder(std::string_view a, std::string_view b) {
    std::size_t common = 0;
    std::size_t i = 0;
    while (i <= a.size()) {
        const auto slash = a.find('/', i);
        const auto end = slash == std::string_view::npos ? a.size() : slash;
        if (end == 0 || end > b.size() || a.substr(0, end) != b.substr(0, end) ||
            (end < b.size() && b[end] != '/')) {
            break;
        }
        common = end;
        i = end + 1;
    }
    return common;
}

// Every folder and song under `uri`, in path order, each folder before its contents. The songs
// are sorted by path, so a folder's songs are contiguous and each folder is printed once.
void list_all(CommandContext& c, bool info) {
    const auto uri = uri_arg(c, 0);
    const auto db = c.backend.database.songs();
    if (const auto* song = uri.empty() ? nullptr : db->find(uri)) {
        if (info) {
            c.out.add_song(*song, c.client.tags);
        } else {
            c.out.add("file", song->file);
        }
        return;
    }
    if (!db->is_directory(uri)) {
        fail(Ack::no_exist, "No such directory");
    }
    std::string_view open_dir = uri; // the folder of the previous song
    for (const auto& song : db->under(uri)) {
        const std::string_view file = song.file;
        const auto last_slash = file.rfind('/');
        const auto dir =
            last_slash == std::string_view::npos ? std::string_view{} : file.substr(0, last_slash);
        if (dir != open_dir) {
            // Print the folders below the common ancestor, outermost first.
            auto pos = common_folder(dir, open_dir);
            while (pos < dir.size()) {
                const auto slash = dir.find('/', pos + (pos == 0 ? 0 : 1));
                pos = slash == std::string_view::npos ? dir.size() : slash;
                c.out.add("directory", dir.substr(0, pos));
            }
            open_dir = dir;
        }
        if (info) {
            c.out.add_song(song, c.client.tags);
        } else {
            c.out.add("file", song.file);
        }
        if (c.out.overflowed()) {
            return;
        }
    }
}

void cmd_listall(CommandContext& c) {
    list_all(c, false);
}
void cmd_listallinfo(CommandContext& c) {
    list_all(c, true);
}

std::string_view base_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

void cmd_listfiles(CommandContext& c) {
    const auto uri = uri_arg(c, 0);
    const auto db = c.backend.database.songs();
    if (const auto* song = uri.empty() ? nullptr : db->find(uri)) {
        c.out.add("file", base_name(song->file));
        c.out.add("size", song->size);
        if (song->mtime > 0) {
            c.out.add("Last-Modified", pm::iso8601_utc(song->mtime));
        }
        return;
    }
    SongDatabase::Listing listing;
    if (!db->list(uri, listing)) {
        fail(Ack::no_exist, "No such directory");
    }
    for (const auto& folder : listing.folders) {
        c.out.add("directory", base_name(folder.path));
        if (folder.mtime > 0) {
            c.out.add("Last-Modified", pm::iso8601_utc(folder.mtime));
        }
    }
    for (const auto* song : listing.songs) {
        c.out.add("file", base_name(song->file));
        c.out.add("size", song->size);
        if (song->mtime > 0) {
            c.out.add("Last-Modified", pm::iso8601_utc(song->mtime));
        }
    }
}

// The songs a query selects, sorted and windowed as asked.
std::vector<const pm::Song*> select(const SongDatabase& db, const pm::QueryArgs& q, bool fold) {
    const auto filter = pm::SongFilter::parse(q.filter, fold);
    std::vector<const pm::Song*> found;
    for (const auto& song : db.songs()) {
        if (filter.matches(song)) {
            found.push_back(&song);
        }
    }
    if (q.sort || q.sort_by_modified) {
        const auto less = [&q](const pm::Song* a, const pm::Song* b) {
            if (q.sort_by_modified) {
                return a->mtime < b->mtime;
            }
            return pm::tag_value(*a, *q.sort) < pm::tag_value(*b, *q.sort);
        };
        std::stable_sort(found.begin(), found.end(), less);
        if (q.sort_descending) {
            std::reverse(found.begin(), found.end());
        }
    }
    if (q.window) {
        const auto w = q.window->clamped(found.size());
        found = std::vector<const pm::Song*>(found.begin() + static_cast<std::ptrdiff_t>(w.start),
                                             found.begin() + static_cast<std::ptrdiff_t>(w.end));
    }
    return found;
}

void find_songs(CommandContext& c, bool fold) {
    const auto q = pm::split_query_args(c.cmd.args, pm::query_sort_window);
    const auto db = c.backend.database.songs();
    for (const auto* song : select(*db, q, fold)) {
        c.out.add_song(*song, c.client.tags);
        if (c.out.overflowed()) {
            return;
        }
    }
}

void add_songs(CommandContext& c, bool fold) {
    const auto q = pm::split_query_args(c.cmd.args, pm::query_sort_window | pm::query_position);
    const auto db = c.backend.database.songs();
    auto position = q.position;
    if (position && *position > c.backend.queue.queue().items.size()) {
        fail(Ack::arg, "Bad song index");
    }
    for (const auto* song : select(*db, q, fold)) {
        c.backend.queue.add(song->file, position);
        if (position) {
            ++*position;
        }
    }
}

void cmd_find(CommandContext& c) {
    find_songs(c, false);
}
void cmd_search(CommandContext& c) {
    find_songs(c, true);
}
void cmd_findadd(CommandContext& c) {
    add_songs(c, false);
}
void cmd_searchadd(CommandContext& c) {
    add_songs(c, true);
}

void cmd_count(CommandContext& c) {
    const auto q = pm::split_query_args(c.cmd.args, pm::query_group);
    if (q.filter.empty() && q.groups.empty()) {
        fail(Ack::arg, "too few arguments for \"count\"");
    }
    if (q.groups.size() > 1) {
        fail(Ack::arg, "Too many groups");
    }
    const auto filter =
        q.filter.empty() ? pm::SongFilter{} : pm::SongFilter::parse(q.filter, false);
    const auto db = c.backend.database.songs();
    struct Totals {
        std::uint64_t songs = 0;
        double seconds = 0;
    };
    std::map<std::string, Totals, std::less<>> groups;
    Totals all;
    for (const auto& song : db->songs()) {
        if (!filter.matches(song)) {
            continue;
        }
        auto& t = q.groups.empty() ? all : groups[std::string(pm::tag_value(song, q.groups[0]))];
        ++t.songs;
        t.seconds += song.duration;
    }
    if (q.groups.empty()) {
        c.out.add("songs", all.songs);
        c.out.add("playtime", round_seconds(all.seconds));
        return;
    }
    for (const auto& [value, t] : groups) {
        c.out.add(pm::tag_name(q.groups[0]), value);
        c.out.add("songs", t.songs);
        c.out.add("playtime", round_seconds(t.seconds));
    }
}

void cmd_list(CommandContext& c) {
    const auto& type = c.arg(0);
    const std::span<const std::string> rest(c.cmd.args.data() + 1, c.cmd.args.size() - 1);
    const auto q = pm::split_query_args(rest, pm::query_group);
    const bool files = type == "file" || type == "File";
    std::optional<pm::Tag> tag;
    if (!files) {
        tag = pm::parse_tag(type);
        if (!tag) {
            fail(Ack::arg, "Unknown tag type: " + type);
        }
        for (auto g : q.groups) {
            if (g == *tag) {
                fail(Ack::arg, "Conflicting group");
            }
        }
    }
    pm::SongFilter filter;
    if (q.filter.size() == 1 && !q.filter[0].starts_with('(')) {
        // Legacy "list album ARTIST".
        if (tag != pm::Tag::album) {
            fail(Ack::arg, "should be \"Album\" for 3 arguments");
        }
        filter = pm::SongFilter::tag_equals(pm::Tag::artist, q.filter[0]);
    } else if (!q.filter.empty()) {
        filter = pm::SongFilter::parse(q.filter, false);
    }
    const auto db = c.backend.database.songs();
    if (files) {
        for (const auto& song : db->songs()) {
            if (filter.matches(song)) {
                c.out.add("file", song.file);
            }
        }
        return;
    }
    // Distinct (group values..., value) tuples in sorted order; a group line is printed when
    // its value differs from the previous tuple's.
    std::set<std::vector<std::string_view>> rows;
    for (const auto& song : db->songs()) {
        if (!filter.matches(song)) {
            continue;
        }
        const auto value = pm::tag_value(song, *tag);
        if (value.empty()) {
            continue; // songs without the tag are not listed, nor their groups
        }
        std::vector<std::string_view> row;
        row.reserve(q.groups.size() + 1);
        for (auto g : q.groups) {
            row.push_back(pm::tag_value(song, g));
        }
        row.push_back(value);
        rows.insert(std::move(row));
    }
    const std::vector<std::string_view>* previous = nullptr;
    for (const auto& row : rows) {
        for (std::size_t g = 0; g < q.groups.size(); ++g) {
            bool same_prefix = previous != nullptr;
            for (std::size_t k = 0; same_prefix && k <= g; ++k) {
                same_prefix = (*previous)[k] == row[k];
            }
            if (!same_prefix) {
                c.out.add(pm::tag_name(q.groups[g]), row[g]);
            }
        }
        c.out.add(pm::tag_name(*tag), row.back());
        previous = &row;
        if (c.out.overflowed()) {
            return;
        }
    }
}

void cmd_update(CommandContext& c) {
    const auto uri = uri_arg(c, 0);
    if (!uri.empty()) {
        const auto db = c.backend.database.songs();
        if (db->find(uri) == nullptr && !db->is_directory(uri)) {
            fail(Ack::arg, "Malformed path");
        }
    }
    c.out.add("updating_db", c.backend.database.update(uri));
}

// ---- stored playlists -----------------------------------------------------------------------

std::vector<std::string> stored(CommandContext& c, const std::string& name) {
    auto paths = c.backend.playlists.get(name);
    if (!paths) {
        fail(Ack::no_exist, "No such playlist");
    }
    return std::move(*paths);
}

void cmd_listplaylists(CommandContext& c) {
    for (const auto& p : c.backend.playlists.list()) {
        c.out.add("playlist", p.name);
        c.out.add("Last-Modified", pm::iso8601_utc(p.mtime));
    }
}

void cmd_listplaylist(CommandContext& c) {
    for (const auto& path : stored(c, c.arg(0))) {
        c.out.add("file", path);
    }
}

void cmd_listplaylistinfo(CommandContext& c) {
    const auto paths = stored(c, c.arg(0));
    const auto db = c.backend.database.songs();
    for (const auto& path : paths) {
        add_file(c, *db, path);
    }
}

void cmd_load(CommandContext& c) {
    const auto& name = c.arg(0);
    if (!c.has(1)) {
        if (!c.backend.playlists.load(name)) {
            fail(Ack::no_exist, "No such playlist");
        }
        return;
    }
    const auto paths = stored(c, name);
    const auto r = pm::parse_range(c.arg(1)).clamped(paths.size());
    const auto db = c.backend.database.songs();
    for (std::size_t i = r.start; i < r.end; ++i) {
        // Entries whose file left the library are skipped, as MPD does.
        if (db->find(paths[i]) != nullptr) {
            c.backend.queue.add(paths[i], std::nullopt);
        }
    }
}

void cmd_save(CommandContext& c) {
    const auto& name = c.arg(0);
    check_playlist_name(name);
    for (const auto& p : c.backend.playlists.list()) {
        if (p.name == name) {
            fail(Ack::exist, "Playlist already exists");
        }
    }
    c.backend.playlists.save(name);
}

void cmd_rm(CommandContext& c) {
    if (!c.backend.playlists.remove(c.arg(0))) {
        fail(Ack::no_exist, "No such playlist");
    }
}

// ---- outputs, decoders and the connection ---------------------------------------------------

void cmd_outputs(CommandContext& c) {
    c.out.add("outputid", 0);
    c.out.add("outputname", "TinyIce stream");
    c.out.add("plugin", "httpd");
    c.out.add("outputenabled", 1);
}

void cmd_output_switch(CommandContext& c) {
    // The one output is the station's stream, which is always on; switching is accepted so
    // that clients with output toggles do not show errors.
    if (pm::parse_unsigned(c.arg(0)) != 0) {
        fail(Ack::no_exist, "No such audio output");
    }
}

void cmd_decoders(CommandContext& c) {
    c.out.add("plugin", "ffmpeg");
    for (const auto* suffix : {"mp3", "m4a", "aac", "mp4", "ogg", "oga", "opus", "flac", "wav",
                               "aif", "aiff", "wma", "mka", "webm", "mp2", "ac3"}) {
        c.out.add("suffix", suffix);
    }
    for (const auto* mime :
         {"audio/mpeg", "audio/aac", "audio/mp4", "audio/ogg", "audio/opus", "audio/flac",
          "audio/wav", "audio/x-aiff", "audio/x-ms-wma", "audio/webm"}) {
        c.out.add("mime_type", mime);
    }
}

void cmd_nothing(CommandContext& /*c*/) {}

void cmd_tagtypes(CommandContext& c) {
    auto& tags = c.client.tags;
    if (!c.has(0)) {
        for (auto tag : pm::indexed_tags) {
            if ((tags & pm::tag_bit(tag)) != 0) {
                c.out.add("tagtype", pm::tag_name(tag));
            }
        }
        return;
    }
    const auto& sub = c.arg(0);
    if (sub == "clear" || sub == "all") {
        if (c.has(1)) {
            fail(Ack::arg, "Too many arguments");
        }
        tags = sub == "clear" ? 0 : pm::all_tags;
        return;
    }
    if (sub != "enable" && sub != "disable") {
        fail(Ack::arg, "Unknown sub command");
    }
    if (!c.has(1)) {
        fail(Ack::arg, "Not enough arguments");
    }
    pm::TagMask mask = 0;
    for (std::size_t i = 1; i < c.cmd.args.size(); ++i) {
        const auto tag = pm::parse_tag(c.arg(i));
        if (!tag) {
            fail(Ack::arg, "Unknown tag type: " + c.arg(i));
        }
        mask |= pm::tag_bit(*tag);
    }
    tags = sub == "enable" ? (tags | mask) : (tags & ~mask);
}

void cmd_commands(CommandContext& c) {
    for (const auto& info : Commands::table()) {
        if (c.commands.allowed(info, c.client)) {
            c.out.add("command", info.name);
        }
    }
}

void cmd_notcommands(CommandContext& c) {
    for (const auto& info : Commands::table()) {
        if (!c.commands.allowed(info, c.client)) {
            c.out.add("command", info.name);
        }
    }
}

void cmd_binarylimit(CommandContext& c) {
    if (pm::parse_unsigned(c.arg(0)) < 64) {
        fail(Ack::arg, "Value too small");
    }
    // No command here sends binary data, so the limit has nothing to bound.
}

void cmd_picture(CommandContext& /*c*/) {
    fail(Ack::no_exist, "No file exists");
}

// ---- client-to-client messages --------------------------------------------------------------

void cmd_channels(CommandContext& c) {
    for (const auto& name : c.board.channels()) {
        c.out.add("channel", name);
    }
}

void cmd_subscribe(CommandContext& c) {
    c.board.subscribe(c.client, c.arg(0));
}
void cmd_unsubscribe(CommandContext& c) {
    c.board.unsubscribe(c.client, c.arg(0));
}

void cmd_readmessages(CommandContext& c) {
    for (const auto& [channel, text] : c.client.messages) {
        c.out.add("channel", channel);
        c.out.add("message", text);
    }
    c.client.messages.clear();
}

void cmd_sendmessage(CommandContext& c) {
    if (!c.board.send(c.arg(0), c.arg(1))) {
        fail(Ack::no_exist, "nobody is subscribed to this channel");
    }
}

// Sorted by name (MPD's table is, and "commands" lists it in this order).
const std::vector<CommandInfo> command_table = {
    {"add", 1, 2, false, false, SessionCommand::none, cmd_add},
    {"addid", 1, 2, false, false, SessionCommand::none, cmd_addid},
    {"albumart", 2, 2, false, false, SessionCommand::none, cmd_picture},
    {"binarylimit", 1, 1, true, false, SessionCommand::none, cmd_binarylimit},
    {"channels", 0, 0, false, false, SessionCommand::none, cmd_channels},
    {"clear", 0, 0, false, false, SessionCommand::none, cmd_clear},
    {"clearerror", 0, 0, false, false, SessionCommand::none, cmd_nothing},
    {"close", 0, -1, true, false, SessionCommand::close, nullptr},
    {"commands", 0, 0, true, false, SessionCommand::none, cmd_commands},
    {"config", 0, 0, false, true, SessionCommand::none, cmd_nothing},
    {"consume", 1, 1, false, false, SessionCommand::none, cmd_consume},
    {"count", 1, -1, false, false, SessionCommand::none, cmd_count},
    {"crossfade", 1, 1, false, false, SessionCommand::none, cmd_crossfade},
    {"currentsong", 0, 0, false, false, SessionCommand::none, cmd_currentsong},
    {"decoders", 0, 0, false, false, SessionCommand::none, cmd_decoders},
    {"delete", 1, 1, false, false, SessionCommand::none, cmd_delete},
    {"deleteid", 1, 1, false, false, SessionCommand::none, cmd_deleteid},
    {"disableoutput", 1, 1, false, false, SessionCommand::none, cmd_output_switch},
    {"enableoutput", 1, 1, false, false, SessionCommand::none, cmd_output_switch},
    {"find", 1, -1, false, false, SessionCommand::none, cmd_find},
    {"findadd", 1, -1, false, false, SessionCommand::none, cmd_findadd},
    {"getvol", 0, 0, false, false, SessionCommand::none, cmd_getvol},
    {"idle", 0, -1, false, false, SessionCommand::idle, nullptr},
    {"list", 1, -1, false, false, SessionCommand::none, cmd_list},
    {"listall", 0, 1, false, false, SessionCommand::none, cmd_listall},
    {"listallinfo", 0, 1, false, false, SessionCommand::none, cmd_listallinfo},
    {"listfiles", 0, 1, false, false, SessionCommand::none, cmd_listfiles},
    {"listplaylist", 1, 1, false, false, SessionCommand::none, cmd_listplaylist},
    {"listplaylistinfo", 1, 1, false, false, SessionCommand::none, cmd_listplaylistinfo},
    {"listplaylists", 0, 0, false, false, SessionCommand::none, cmd_listplaylists},
    {"load", 1, 2, false, false, SessionCommand::none, cmd_load},
    {"lsinfo", 0, 1, false, false, SessionCommand::none, cmd_lsinfo},
    {"mixrampdb", 1, 1, false, false, SessionCommand::none, cmd_mixramp},
    {"mixrampdelay", 1, 1, false, false, SessionCommand::none, cmd_mixramp},
    {"move", 2, 2, false, false, SessionCommand::none, cmd_move},
    {"moveid", 2, 2, false, false, SessionCommand::none, cmd_moveid},
    {"next", 0, 0, false, false, SessionCommand::none, cmd_next},
    {"noidle", 0, 0, true, false, SessionCommand::noidle, nullptr},
    {"notcommands", 0, 0, true, false, SessionCommand::none, cmd_notcommands},
    {"outputs", 0, 0, false, false, SessionCommand::none, cmd_outputs},
    {"password", 1, 1, true, false, SessionCommand::password, nullptr},
    {"pause", 0, 1, false, false, SessionCommand::none, cmd_pause},
    {"ping", 0, 0, true, false, SessionCommand::none, cmd_nothing},
    {"play", 0, 1, false, false, SessionCommand::none, cmd_play},
    {"playid", 0, 1, false, false, SessionCommand::none, cmd_playid},
    {"playlist", 0, 0, false, false, SessionCommand::none, cmd_playlist},
    {"playlistfind", 1, -1, false, false, SessionCommand::none, cmd_playlistfind},
    {"playlistid", 0, 1, false, false, SessionCommand::none, cmd_playlistid},
    {"playlistinfo", 0, 1, false, false, SessionCommand::none, cmd_playlistinfo},
    {"playlistsearch", 1, -1, false, false, SessionCommand::none, cmd_playlistsearch},
    {"plchanges", 1, 2, false, false, SessionCommand::none, cmd_plchanges},
    {"plchangesposid", 1, 2, false, false, SessionCommand::none, cmd_plchangesposid},
    {"previous", 0, 0, false, false, SessionCommand::none, cmd_previous},
    {"prio", 2, -1, false, false, SessionCommand::none, cmd_prio},
    {"prioid", 2, -1, false, false, SessionCommand::none, cmd_prioid},
    {"random", 1, 1, false, false, SessionCommand::none, cmd_random},
    {"readmessages", 0, 0, false, false, SessionCommand::none, cmd_readmessages},
    {"readpicture", 2, 2, false, false, SessionCommand::none, cmd_picture},
    {"repeat", 1, 1, false, false, SessionCommand::none, cmd_repeat},
    {"replay_gain_mode", 1, 1, false, false, SessionCommand::none, cmd_replay_gain_mode},
    {"replay_gain_status", 0, 0, false, false, SessionCommand::none, cmd_replay_gain_status},
    {"rescan", 0, 1, false, false, SessionCommand::none, cmd_update},
    {"rm", 1, 1, false, false, SessionCommand::none, cmd_rm},
    {"save", 1, 1, false, false, SessionCommand::none, cmd_save},
    {"search", 1, -1, false, false, SessionCommand::none, cmd_search},
    {"searchadd", 1, -1, false, false, SessionCommand::none, cmd_searchadd},
    {"seek", 2, 2, false, false, SessionCommand::none, cmd_seek},
    {"seekcur", 1, 1, false, false, SessionCommand::none, cmd_seekcur},
    {"seekid", 2, 2, false, false, SessionCommand::none, cmd_seekid},
    {"sendmessage", 2, 2, false, false, SessionCommand::none, cmd_sendmessage},
    {"setvol", 1, 1, false, false, SessionCommand::none, cmd_setvol},
    {"shuffle", 0, 1, false, false, SessionCommand::none, cmd_shuffle},
    {"single", 1, 1, false, false, SessionCommand::none, cmd_single},
    {"stats", 0, 0, false, false, SessionCommand::none, cmd_stats},
    {"status", 0, 0, false, false, SessionCommand::none, cmd_status},
    {"stop", 0, 0, false, false, SessionCommand::none, cmd_stop},
    {"subscribe", 1, 1, false, false, SessionCommand::none, cmd_subscribe},
    {"swap", 2, 2, false, false, SessionCommand::none, cmd_swap},
    {"swapid", 2, 2, false, false, SessionCommand::none, cmd_swapid},
    {"tagtypes", 0, -1, true, false, SessionCommand::none, cmd_tagtypes},
    {"toggleoutput", 1, 1, false, false, SessionCommand::none, cmd_output_switch},
    {"unsubscribe", 1, 1, false, false, SessionCommand::none, cmd_unsubscribe},
    {"update", 0, 1, false, false, SessionCommand::none, cmd_update},
    {"urlhandlers", 0, 0, false, false, SessionCommand::none, cmd_nothing},
    {"volume", 1, 1, false, false, SessionCommand::none, cmd_volume},
};

bool valid_channel_name(std::string_view name) {
    if (name.empty() || name.size() > MessageBoard::max_channel_name) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
               ch == '_' || ch == '-' || ch == '.' || ch == ':';
    });
}

} // namespace

// ---- MessageBoard -----------------------------------------------------------------------------

void MessageBoard::join(ClientState& client) {
    clients_.push_back(&client);
}

void MessageBoard::leave(ClientState& client, bool notify) {
    std::erase(clients_, &client);
    if (!client.channels.empty()) {
        client.channels.clear();
        if (notify) {
            notify_all(pm::idle_subscription);
        }
    }
}

void MessageBoard::subscribe(ClientState& client, const std::string& channel) {
    if (!valid_channel_name(channel)) {
        fail(Ack::arg, "invalid channel name");
    }
    if (std::find(client.channels.begin(), client.channels.end(), channel) !=
        client.channels.end()) {
        fail(Ack::exist, "already subscribed to this channel");
    }
    if (client.channels.size() >= ClientState::max_channels) {
        fail(Ack::playlist_max, "subscription list is full");
    }
    client.channels.push_back(channel);
    notify_all(pm::idle_subscription);
}

void MessageBoard::unsubscribe(ClientState& client, const std::string& channel) {
    const auto it = std::find(client.channels.begin(), client.channels.end(), channel);
    if (it == client.channels.end()) {
        fail(Ack::no_exist, "not subscribed to this channel");
    }
    client.channels.erase(it);
    notify_all(pm::idle_subscription);
}

std::vector<std::string> MessageBoard::channels() const {
    std::set<std::string> names;
    for (const auto* client : clients_) {
        names.insert(client->channels.begin(), client->channels.end());
    }
    return {names.begin(), names.end()};
}

bool MessageBoard::send(const std::string& channel, const std::string& text) {
    if (!valid_channel_name(channel)) {
        fail(Ack::arg, "invalid channel name");
    }
    if (text.size() > max_message_bytes) {
        fail(Ack::arg, "message too long");
    }
    bool delivered = false;
    for (auto* client : clients_) {
        if (std::find(client->channels.begin(), client->channels.end(), channel) ==
            client->channels.end()) {
            continue;
        }
        delivered = true;
        // A reader that never reads loses its oldest messages, not the server its memory.
        if (client->messages.size() >= ClientState::max_messages) {
            client->messages.pop_front();
        }
        client->messages.emplace_back(channel, text);
        if (client->notify) {
            client->notify(pm::idle_message);
        }
    }
    return delivered;
}

void MessageBoard::notify_all(unsigned idle) {
    for (auto* client : clients_) {
        if (client->notify) {
            client->notify(idle);
        }
    }
}

// ---- Commands ---------------------------------------------------------------------------------

Commands::Commands(Backend backend, Options options) : backend_(backend), options_(options) {}

const std::vector<CommandInfo>& Commands::table() {
    return command_table;
}

const CommandInfo* Commands::find(std::string_view name) {
    const auto it =
        std::lower_bound(command_table.begin(), command_table.end(), name,
                         [](const CommandInfo& info, std::string_view n) { return info.name < n; });
    if (it == command_table.end() || it->name != name) {
        return nullptr;
    }
    return &*it;
}

bool Commands::allowed(const CommandInfo& info, const ClientState& client) const {
    if (info.refused) {
        return false;
    }
    return info.always_allowed || !options_.password_required || client.authenticated;
}

void Commands::check(const CommandInfo& info, const pm::Command& cmd,
                     const ClientState& client) const {
    if (!allowed(info, client)) {
        fail(Ack::permission, fmt::format("you don't have permission for \"{}\"", info.name));
    }
    const auto n = static_cast<int>(cmd.args.size());
    if (info.min_args == info.max_args && n != info.max_args) {
        fail(Ack::arg, fmt::format("wrong number of arguments for \"{}\"", info.name));
    }
    if (n < info.min_args) {
        fail(Ack::arg, fmt::format("too few arguments for \"{}\"", info.name));
    }
    if (info.max_args >= 0 && n > info.max_args) {
        fail(Ack::arg, fmt::format("too many arguments for \"{}\"", info.name));
    }
}

void Commands::run(const CommandInfo& info, const pm::Command& cmd, ClientState& client,
                   pm::Response& out) {
    if (info.handler == nullptr) {
        fail(Ack::system, fmt::format("\"{}\" is not available here", info.name));
    }
    CommandContext context{backend_, *this, board_, client, cmd, out, options_.started};
    info.handler(context);
}

} // namespace tinyice::mpd
