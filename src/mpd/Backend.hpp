#pragma once
// What an MPD server controls, as small role-split interfaces with plain structs, so that
// src/mpd knows nothing about the AutoDJ (app/MpdStationBridge implements them on top of an
// autodj::Station) and tests can use an in-memory fake.
//
// Threads: the server calls every method from its own strand (one call at a time per server),
// except EventSource::subscribe's callback, which the backend may call from any thread. Calls
// must return quickly (no decoding, no disk scans): a slow call stalls every client of this
// server.
//
// Errors: a method may throw protocol::mpd::CommandError (e.g. Ack::no_exist for an unknown
// path), which the client receives as that ACK; any other std::exception becomes
// "ACK [52@n] {cmd} <what()>" (MPD's "system error").

#include "mpd/SongDatabase.hpp"
#include "protocol/mpd/Song.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::mpd {

using protocol::mpd::Song;

enum class PlayState { stop, play, pause };
enum class SingleMode { off, on, oneshot };

struct PlayOptions {
    bool random = false;
    bool repeat = false;
    SingleMode single = SingleMode::off;
    bool consume = false;
    bool operator==(const PlayOptions&) const = default;
};

struct PlayerStatus {
    PlayState state = PlayState::stop;
    int volume = -1; // 0..100; -1 = no volume control
    PlayOptions options;
    double crossfade_seconds = 0;
    std::uint64_t queue_version = 0; // MPD "playlist": changes with every queue change
    std::size_t queue_length = 0;
    // The current song: its file (also when it is no longer in the queue) and, while it is in
    // the queue, its position and id.
    std::string current_file;
    std::optional<std::size_t> current_position;
    std::optional<std::uint64_t> current_id;
    std::optional<std::size_t> next_position;
    std::optional<std::uint64_t> next_id;
    double elapsed = 0;  // seconds into the current song
    double duration = 0; // seconds; 0 = unknown
    unsigned bitrate_kbps = 0;
    std::string audio_format; // "44100:f:2"; "" = unknown
    bool replay_gain = false; // loudness normalisation is on ("track" mode)
    double play_time = 0;     // seconds of music played since the backend started
};

// Transport and the state shown by "status".
class Player {
public:
    Player() = default;
    virtual ~Player() = default;
    Player(const Player&) = delete;
    Player& operator=(const Player&) = delete;
    Player(Player&&) = delete;
    Player& operator=(Player&&) = delete;
    [[nodiscard]] virtual PlayerStatus status() = 0;
    // Starts or resumes; with a position or id, plays that queue entry. false = no such entry.
    virtual bool play(std::optional<std::size_t> position) = 0;
    virtual bool play_id(std::uint64_t id) = 0;
    virtual void pause(std::optional<bool> paused) = 0; // nullopt = toggle
    virtual void stop() = 0;
    virtual void next() = 0;
    virtual void previous() = 0;
    // Seeks in the current song; false when there is none or it cannot seek.
    virtual bool seek(double seconds, bool relative) = 0;
};

// Volume and the playback options (MPD's "mixer" and "options" subsystems).
class PlayerSettings {
public:
    PlayerSettings() = default;
    virtual ~PlayerSettings() = default;
    PlayerSettings(const PlayerSettings&) = delete;
    PlayerSettings& operator=(const PlayerSettings&) = delete;
    PlayerSettings(PlayerSettings&&) = delete;
    PlayerSettings& operator=(PlayerSettings&&) = delete;
    virtual void set_volume(int percent) = 0; // 0..100
    virtual void set_options(const PlayOptions& options) = 0;
    virtual void set_crossfade(double seconds) = 0;
};

struct QueueItem {
    std::uint64_t id = 0;      // stays with the entry when it moves
    std::string file;          // library-relative path
    std::uint64_t version = 0; // queue version at which it was added or last moved
};

struct QueueSnapshot {
    std::uint64_t version = 0;
    std::vector<QueueItem> items; // in queue order: items[i] is at position i
};

// The queue (MPD's "current playlist"). Positions are 0-based; ranges are half-open.
class Queue {
public:
    Queue() = default;
    virtual ~Queue() = default;
    Queue(const Queue&) = delete;
    Queue& operator=(const Queue&) = delete;
    Queue(Queue&&) = delete;
    Queue& operator=(Queue&&) = delete;
    [[nodiscard]] virtual QueueSnapshot queue() = 0;
    // Adds a song, or every song under a folder ("" = the whole library), at `position`
    // (default: the end). Returns the ids added. Throws CommandError(Ack::no_exist) for a path
    // that is not in the library (including anything outside it).
    virtual std::vector<std::uint64_t> add(const std::string& uri,
                                           std::optional<std::size_t> position) = 0;
    virtual std::size_t remove(std::size_t start, std::size_t end) = 0;
    virtual bool remove_id(std::uint64_t id) = 0;
    // MPD's move: [start, end) ends up starting at `to` in the resulting list.
    virtual bool move(std::size_t start, std::size_t end, std::size_t to) = 0;
    virtual bool move_id(std::uint64_t id, std::size_t to) = 0;
    virtual void clear() = 0;
    virtual void shuffle(std::size_t start, std::size_t end) = 0;
};

struct UpdateState {
    std::optional<std::uint64_t> job; // the running update's id
    std::int64_t last_update = 0;     // unix seconds of the last finished update; 0 = never
};

// The music database (read-only snapshots) and updates.
class Database {
public:
    Database() = default;
    virtual ~Database() = default;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    Database(Database&&) = delete;
    Database& operator=(Database&&) = delete;
    // The current contents; cheap to call (a shared immutable snapshot).
    [[nodiscard]] virtual std::shared_ptr<const SongDatabase> songs() = 0;
    // Starts (or joins) an update of `uri` ("" = everything); returns its job id.
    virtual std::uint64_t update(std::string_view uri) = 0;
    [[nodiscard]] virtual UpdateState update_state() = 0;
};

struct StoredPlaylist {
    std::string name;
    std::int64_t mtime = 0; // unix seconds
};

class StoredPlaylists {
public:
    StoredPlaylists() = default;
    virtual ~StoredPlaylists() = default;
    StoredPlaylists(const StoredPlaylists&) = delete;
    StoredPlaylists& operator=(const StoredPlaylists&) = delete;
    StoredPlaylists(StoredPlaylists&&) = delete;
    StoredPlaylists& operator=(StoredPlaylists&&) = delete;
    [[nodiscard]] virtual std::vector<StoredPlaylist> list() = 0;
    // The playlist's paths; nullopt when there is no such playlist.
    [[nodiscard]] virtual std::optional<std::vector<std::string>> get(const std::string& name) = 0;
    virtual void save(const std::string& name) = 0; // the queue, as `name` (create or replace)
    virtual bool load(const std::string& name) = 0; // append to the queue; false = no such
    virtual bool remove(const std::string& name) = 0;
};

// Change notifications as protocol::mpd::Idle bits.
class EventSource {
public:
    EventSource() = default;
    virtual ~EventSource() = default;
    EventSource(const EventSource&) = delete;
    EventSource& operator=(const EventSource&) = delete;
    EventSource(EventSource&&) = delete;
    EventSource& operator=(EventSource&&) = delete;
    // `on_event(mask)` may be called from any thread; it must be cheap and must not call back
    // into the backend. Returns an id for unsubscribe().
    virtual std::uint64_t subscribe(std::function<void(unsigned)> on_event) = 0;
    virtual void unsubscribe(std::uint64_t id) = 0;
};

// Everything a server needs; one object may implement several roles.
struct Backend {
    Player& player;
    PlayerSettings& settings;
    Queue& queue;
    Database& database;
    StoredPlaylists& playlists;
    EventSource& events;
};

} // namespace tinyice::mpd
