#pragma once
// One AutoDJ instance: plays a music library on its own into one mount, in real time, whether
// or not anyone listens. It is "just another source": it claims its mount through MountAccess
// like an encoder would, and listeners, fallbacks, bursts and ICY titles work as for any source.
//
// Threads: every public method is thread-safe and returns quickly (no decoding, no disk I/O
// beyond a state save; HTTP handlers and MPD sessions call them). The station's own thread
// decodes, mixes (crossfade, gain), encodes and paces output to a monotonic clock: audio is
// produced in 20 ms blocks, written a little ahead of real time, with sample counting so that
// nothing drifts over days. Decoding and encoding never run on an event loop.
//
// Transport:
//   play      start (or resume) playback
//   pause     keep the position; listeners hear silence (the stream continues, so players stay
//             connected); play/resume continues exactly where it paused
//   stop      as pause, but the next play starts the current song from its beginning
//   next / previous / jump / seek
// While the station runs it always holds its mount (silence when paused, stopped or when the
// library is empty), so listeners are never dropped by a transport action. start()/stop()
// of the whole station claim and release the mount.
//
// Track changes: ICY title ("Artist - Title") and, for Ogg output, a new chain with the track's
// comments; a play-history row; the on-play hook. Unreadable files are skipped with a log line
// (at most one every 10 s, with a count of the others) and kept out of rotation for a while
// (back-off doubling from 1 minute to 1 hour). When nothing is playable (every file tried for a
// block failed, the playlist is empty, or the music folder itself is missing) the station plays
// silence and retries with a back-off (1 s doubling to 10 s), never spinning the CPU.
//
// Hooks run as child processes, at most one next-track hook and one on-play hook per station at
// a time; stop() kills the ones still running (SIGTERM to their process group, SIGKILL shortly
// after).
//
// Lifetime: a Station keeps its Library alive (API handlers may still hold a station that was
// just removed). A station its owner has retired never starts again.

#include "autodj/Library.hpp"
#include "autodj/MountAccess.hpp"
#include "autodj/PlayQueue.hpp"
#include "codec/AudioTypes.hpp"
#include "codec/StreamEncoder.hpp"
#include "storage/AutoDjStore.hpp"
#include "storage/HistoryStore.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tinyice::autodj {

// An external command run without a shell: argv[0] is the program (searched in PATH when it has
// no '/'), the rest its arguments. Empty argv = no hook.
struct HookCommand {
    std::vector<std::string> argv;
    std::uint32_t timeout_ms = 5000;
    bool operator==(const HookCommand&) const = default;
};

struct StationSettings {
    std::string name;               // unique station name ("main")
    std::string mount;              // "/autodj"
    codec::EncoderSettings encoder; // codec, bitrate, sample rate (0 = 44100; opus 48000), channels
    double crossfade_seconds = 0;   // 0 = gapless
    bool normalize = true;          // loudness normalisation (ReplayGain or measured R128)
    double target_lufs = -16;
    double volume = 1.0;          // 0..1, applied after normalisation
    PlayModes initial_modes;      // random/repeat/... when the station has no saved state
    std::string initial_playlist; // M3U/PLS (library-relative or absolute inside the
                                  // library) loaded when there is no saved state; "" = the
                                  // whole library, in path order
    // Next-track hook: prints a library path (first line of stdout) to play next; consulted
    // after the up-next queue and before the playlist. On-play hook: run at every track start.
    // Both get TINYICE_STATION, TINYICE_MOUNT, TINYICE_FILE, TINYICE_ARTIST, TINYICE_TITLE,
    // TINYICE_ALBUM, TINYICE_DURATION in their environment (on-play: the track starting;
    // next-track: the track playing now).
    HookCommand next_track_command;
    HookCommand on_play_command;
    // Stream description for listeners (icy-name etc.).
    std::string stream_name;
    std::string description;
    std::string genre;
    std::string url;
    bool is_public = false;
    bool operator==(const StationSettings&) const = default;
};

enum class PlayState { stopped, playing, paused };

struct NowPlaying {
    std::string station;
    std::string mount;
    bool running = false; // the station thread runs
    bool on_air = false;  // it holds its mount (false while a live source has it)
    PlayState state = PlayState::stopped;
    std::optional<QueueEntry> current;
    TrackPtr current_track;         // library data of the current song (null if unknown)
    double elapsed = 0;             // seconds into the current song
    double duration = 0;            // seconds; 0 = unknown
    std::int64_t started_at = 0;    // unix ms when the current song started
    std::optional<QueueEntry> next; // what plays next, when known (not with a next-track hook)
    TrackPtr next_track;
    std::optional<std::size_t> next_position; // of `next` in the playlist (not from up-next)
    std::optional<std::size_t> position;      // of the current song in the playlist
    std::size_t playlist_length = 0;
    std::uint64_t playlist_version = 0;
    std::size_t up_next_length = 0;
    PlayModes modes;
    double volume = 1.0;
    double crossfade_seconds = 0;
    codec::EncoderSettings encoder;
    std::uint64_t listeners = 0;
    std::uint64_t bytes_sent = 0;    // encoded bytes written to the mount since start
    std::string last_error;          // last skipped file and why, for the UI
    std::uint64_t open_attempts = 0; // files opened to play them, since the station was made
    std::uint64_t open_failures = 0; // of which could not be played
};

// Thrown by Station::save_playlist() when the station already stores max_stored_playlists
// playlists and the name is a new one.
class PlaylistLimitError : public std::length_error {
public:
    using std::length_error::length_error;
};

// Change notifications (MPD idle subsystems; the web studio's live updates).
enum Event : unsigned {
    event_player = 1U << 0,   // state, current song, seek
    event_playlist = 1U << 1, // playlist or up-next changed
    event_options = 1U << 2,  // random/repeat/single/consume/crossfade
    event_mixer = 1U << 3,    // volume
    event_stored_playlist = 1U << 4,
    event_database = 1U << 5, // library index changed
    event_update = 1U << 6,   // library scan started or finished
};

class Station {
public:
    struct Dependencies {
        MountAccess& mounts;
        std::shared_ptr<Library> library; // never null; kept alive as long as the station
        storage::AutoDjStore& store;
        storage::HistoryStore& history;
    };

    static constexpr std::size_t max_stored_playlists = 1000;
    static constexpr std::size_t max_playlist_name = 128; // bytes

    // Validates the settings (throws codec::CodecError for an encoder FFmpeg cannot provide,
    // std::invalid_argument for bad values, and for a null library). Loads the saved state.
    // Does not start.
    Station(StationSettings settings, Dependencies deps);
    // The constructor's checks of `settings` alone (a trial encoder included), so a caller can
    // refuse a change before touching a running station.
    static void validate_settings(const StationSettings& settings);
    ~Station(); // stop()
    Station(const Station&) = delete;
    Station& operator=(const Station&) = delete;

    [[nodiscard]] const StationSettings& settings() const { return settings_; }

    // Starts the station thread (claims the mount; retries every 2 s while another source holds
    // it). stop() releases the mount, saves the state, joins and kills running hooks; both
    // idempotent. An unexpected error in the station thread restarts the stream after a
    // back-off (2 s doubling to 1 min; NowPlaying.last_error says why); should the thread end
    // anyway, running() turns false and start() starts it again.
    void start();
    void stop();
    [[nodiscard]] bool running() const;
    // stop(), for good: start() does nothing afterwards (the owner removed or replaced the
    // station while someone may still hold it).
    void retire();

    // ---- transport -----------------------------------------------------------------------
    void play();
    void pause();
    void toggle_pause();
    void stop_playback();
    void next();
    void previous();
    bool jump_to(std::size_t position);
    bool jump_to_id(std::uint64_t id);
    // Seeks within the current song (seconds from its start); false if there is none or the
    // file cannot seek. `relative` adds to the current position.
    bool seek(double seconds, bool relative = false);
    // Clamped to 0..1; perceptual (the gain is volume cubed, as software mixers do) and
    // applied smoothly over ~50 ms.
    void set_volume(double volume);
    void set_modes(const PlayModes& modes);
    void set_crossfade(double seconds); // clamped to 0..30

    // ---- playlist and up-next (paths are library-relative; folders add every track under
    // them, in path order; paths outside the library or not in it are refused) ----------------
    [[nodiscard]] std::vector<QueueEntry> playlist() const;
    [[nodiscard]] std::vector<QueueEntry> playlist_changes(std::uint64_t since_version) const;
    // Returns the ids added (empty when nothing matched). Throws std::invalid_argument naming
    // the path when it is outside the library or unknown.
    std::vector<std::uint64_t> add(const std::string& path,
                                   std::optional<std::size_t> position = std::nullopt);
    std::size_t remove(std::size_t start, std::size_t end);
    bool remove_id(std::uint64_t id);
    bool move(std::size_t start, std::size_t end, std::size_t to);
    bool move_id(std::uint64_t id, std::size_t to);
    void clear();
    void shuffle(std::size_t start, std::size_t end);
    [[nodiscard]] std::vector<QueueEntry> up_next() const;
    std::uint64_t enqueue(const std::string& path,
                          std::optional<std::size_t> position = std::nullopt);
    bool dequeue(std::size_t index);
    bool move_up_next(std::size_t from, std::size_t to);
    void clear_up_next();

    // ---- stored playlists and files ------------------------------------------------------
    [[nodiscard]] std::vector<storage::StoredPlaylistInfo> stored_playlists() const;
    [[nodiscard]] std::optional<std::vector<std::string>>
    stored_playlist(const std::string& name) const;
    // Stores the current playlist as `name` (creates or replaces). Throws std::invalid_argument
    // for a name that is empty, longer than max_playlist_name or has control characters, and
    // PlaylistLimitError for a new name when max_stored_playlists are stored already.
    void save_playlist(const std::string& name);
    // Appends the stored playlist to the playlist; false when there is no such playlist.
    bool load_playlist(const std::string& name);
    bool remove_playlist(const std::string& name);
    // M3U/PLS text of the playlist (paths relative to the library, or absolute when
    // `absolute`), and import (appends; entries outside the library or unknown are skipped and
    // counted in the result).
    [[nodiscard]] std::string export_playlist(bool pls, bool absolute = false) const;
    struct ImportResult {
        std::size_t added = 0;
        std::size_t skipped = 0;
    };
    ImportResult import_playlist(std::string_view text);

    // ---- state -----------------------------------------------------------------------------
    [[nodiscard]] NowPlaying now_playing() const;
    [[nodiscard]] Library& library() { return *deps_.library; }

    // `on_event(mask)` is called from whichever thread made the change; keep it short and do
    // not call back into the station from it. Returns an id for unsubscribe().
    std::uint64_t subscribe(std::function<void(unsigned)> on_event);
    void unsubscribe(std::uint64_t id);

private:
    struct Engine; // the station thread's state (decks, mixer, encoder); Station.cpp

    StationSettings settings_;
    Dependencies deps_;
    std::unique_ptr<Engine> engine_;
};

} // namespace tinyice::autodj
