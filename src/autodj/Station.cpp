#include "autodj/Station.hpp"

#include "autodj/BackgroundCommand.hpp"
#include "autodj/Deck.hpp"
#include "autodj/Mixer.hpp"
#include "autodj/Pacer.hpp"
#include "autodj/PlaylistFiles.hpp"
#include "autodj/StationState.hpp"
#include "autodj/StreamInfo.hpp"
#include "codec/FileDecoder.hpp"
#include "codec/Loudness.hpp"
#include "storage/Database.hpp"
#include "util/Log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <utility>

namespace tinyice::autodj {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto block_length = 20ms;
// Audio kept ahead of real time in the mount, so that opening a file or a slow disk never
// starves listeners.
constexpr auto lead = 250ms;
constexpr auto max_lag = 2s;
constexpr auto claim_retry = 2s;
// The next track is opened this long before it is needed (before the crossfade starts).
constexpr auto preopen = 2s;
// Volume and play/pause changes, and the fade under a skip.
constexpr auto ramp = 50ms;
constexpr auto save_debounce = 2s;
// While playing, the position is saved this often even without changes (crash recovery).
constexpr auto position_save_interval = 30s;
constexpr auto idle_retry_min = 1s;
constexpr auto idle_retry_max = 10s;
constexpr auto bad_file_min = 1min;
constexpr auto bad_file_max = 1h;
constexpr std::size_t max_bad_files = 10'000;
// Files opened while looking for a playable one, per block. When all of them fail the station
// idles (silence, with the idle back-off) before it tries the next ones, so a playlist of broken
// files costs a few opens a second at most, and a run of them cannot stall the output.
constexpr int max_opens_per_block = 4;
// Picks still in their bad-file back-off that one search walks past without opening; more
// means "nothing playable now" (idle). Bounds the time under the lock for huge playlists.
constexpr std::size_t max_skips_per_search = 1000;
// At most one "skipping <file>" line per interval; the others are counted in the next one.
constexpr auto skip_log_interval = 10s;
// An unexpected error in the station thread: the stream restarts after this, doubling up to
// failure_backoff_max while errors keep coming.
constexpr auto failure_backoff_max = 60s;
// How long stop() waits for the hooks it cancelled to end (they get SIGKILL well within it).
constexpr auto hook_stop_wait = 150ms;
constexpr auto seek_wait = 500ms;
constexpr double max_crossfade = 30;

int engine_rate(const codec::EncoderSettings& encoder) {
    if (encoder.codec == codec::OutputCodec::opus) {
        return 48000;
    }
    return encoder.sample_rate > 0 ? encoder.sample_rate : 44100;
}

// The volume control is perceptual: a cubic curve, as most software mixers use, so that the
// middle of a slider is clearly quieter rather than barely different.
double volume_gain(double volume) {
    const double v = std::clamp(volume, 0.0, 1.0);
    return v * v * v;
}

std::uint64_t to_frames(double seconds, int rate) {
    if (!(seconds > 0)) {
        return 0;
    }
    return static_cast<std::uint64_t>(std::llround(seconds * rate));
}

template <class Rep, class Period>
std::uint64_t to_frames(std::chrono::duration<Rep, Period> d, int rate) {
    return to_frames(std::chrono::duration<double>(d).count(), rate);
}

bool has_control_char(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f;
    });
}

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(first, last - first + 1));
}

// A caller's path for an error message: cut short so that one bad value cannot flood a log.
std::string shown_path(std::string_view path) {
    constexpr std::size_t max_shown = 200;
    return path.size() <= max_shown ? fmt::format("'{}'", path)
                                    : fmt::format("'{}...'", path.substr(0, max_shown));
}

// "Jazz/" and "./Jazz" mean "Jazz"; "" is the whole library.
std::string normalise_path(std::string_view path) {
    std::string p = trim(path);
    while (p.starts_with("./")) {
        p.erase(0, 2);
    }
    while (!p.empty() && p.back() == '/') {
        p.pop_back();
    }
    return p;
}

void validate(const StationSettings& s) {
    if (s.name.empty() || s.name.size() > 200 || has_control_char(s.name)) {
        throw std::invalid_argument(
            "autodj: a station needs a name of 1 to 200 printable characters");
    }
    if (!s.mount.starts_with('/') || s.mount.size() < 2 || has_control_char(s.mount)) {
        throw std::invalid_argument(
            fmt::format("autodj {}: mount '{}' must start with '/'", s.name, s.mount));
    }
    if (!(s.crossfade_seconds >= 0 && s.crossfade_seconds <= max_crossfade)) {
        throw std::invalid_argument(
            fmt::format("autodj {}: crossfade must be 0 to 30 seconds", s.name));
    }
    if (!(s.volume >= 0 && s.volume <= 1)) {
        throw std::invalid_argument(fmt::format("autodj {}: volume must be 0 to 1", s.name));
    }
    if (!(s.target_lufs >= -70 && s.target_lufs <= 0)) {
        throw std::invalid_argument(
            fmt::format("autodj {}: target loudness must be -70 to 0 LUFS", s.name));
    }
    for (const auto* hook : {&s.next_track_command, &s.on_play_command}) {
        if (hook->argv.empty()) {
            continue;
        }
        if (hook->argv.front().empty()) {
            throw std::invalid_argument(
                fmt::format("autodj {}: a hook command needs a program", s.name));
        }
        if (hook->timeout_ms == 0 || hook->timeout_ms > 600'000) {
            throw std::invalid_argument(
                fmt::format("autodj {}: a hook timeout must be 1 ms to 10 minutes", s.name));
        }
    }
}

// What the engine knows about a track it plays or is about to play.
struct TrackInfo {
    QueueEntry entry;
    bool from_hook = false; // chosen by the next-track hook
    TrackPtr track;         // library data, when indexed
    std::filesystem::path file;
    std::string artist; // what listeners see
    std::string title;
    std::string album;
    double duration = 0;
};

class StationDeck : public Deck {
public:
    StationDeck(std::uint64_t id, std::unique_ptr<codec::FileDecoder> decoder, double gain,
                std::uint64_t expected_frames, std::size_t max_block_frames, TrackInfo info)
        : Deck(id, std::move(decoder), gain, expected_frames, max_block_frames),
          info(std::move(info)) {}
    TrackInfo info;
};

const TrackInfo& info_of(const Deck& deck) {
    // Every deck the station's mixer holds is a StationDeck.
    return dynamic_cast<const StationDeck&>(deck).info;
}

Environment hook_environment(const StationSettings& settings, const TrackInfo* track) {
    Environment env{{"TINYICE_STATION", settings.name}, {"TINYICE_MOUNT", settings.mount}};
    env.emplace_back("TINYICE_FILE", track != nullptr ? track->file.string() : "");
    env.emplace_back("TINYICE_ARTIST", track != nullptr ? track->artist : "");
    env.emplace_back("TINYICE_TITLE", track != nullptr ? track->title : "");
    env.emplace_back("TINYICE_ALBUM", track != nullptr ? track->album : "");
    env.emplace_back("TINYICE_DURATION",
                     track != nullptr ? fmt::format("{:.3f}", track->duration) : "0");
    return env;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// The engine: everything behind the public API. `mutex` guards the shared part (the play queue,
// the transport state and the values callers set or read); the station thread owns the rest and
// takes the mutex only for short moments, never while decoding, encoding or writing.

struct Station::Engine : Mixer::Listener {
    Engine(const StationSettings& settings, Dependencies& deps);

    // ---- control (any thread) ----
    void restore();
    void start();
    void stop();
    void wake_locked() {
        wake = true;
        wake_cv.notify_all();
    }
    void notify(unsigned events);
    // Runs `op(*this)` under the lock; when it reports a change, the state is saved later, the
    // station thread wakes up and subscribers hear `events` (plus event_playlist when the
    // playlist changed on the way).
    template <class Op>
    bool command(unsigned events, Op&& op);
    // The station thread loads queue.current() from its start.
    void reload_locked() {
        ++change_gen;
        start_position = 0;
    }
    // Adds songs to the playlist or the up-next queue; returns their ids.
    std::vector<std::uint64_t> append(std::vector<std::string> paths,
                                      std::optional<std::size_t> position, bool up_next);
    // The library tracks a path names: the track, or every track under a folder. Throws
    // std::invalid_argument for paths outside the library or not in it.
    std::vector<std::string> expand(const std::string& path) const;
    bool expand_into(const std::string& path, std::vector<std::string>& out) const;
    // A playlist file's location as a library path: relative ones as they are, absolute ones
    // when inside the library; nullopt for URLs and anything outside.
    std::optional<std::string> library_path(const std::string& location) const;
    std::optional<TrackInfo> choose_locked(bool* waiting_for_hook = nullptr);
    void poll_hook_locked();
    TrackInfo make_info(const QueueEntry& entry, bool from_hook) const;
    double elapsed_locked() const;
    std::string state_json_locked() const;
    void save_now();
    void initial_fill();
    std::vector<std::string> read_initial_playlist() const;
    void retire();
    // Ends the hooks still running (stop()); waits briefly for them.
    void cancel_hooks();

    // ---- station thread ----
    void run();
    // One turn of run()'s loop; true when it produced a block.
    bool cycle();
    // After an exception in cycle(): releases the mount and waits `backoff` (or until stop()).
    void recover(const std::string& what, Clock::duration backoff);
    // The station thread is ending after an exception that run() did not handle.
    void fail(const std::string& what);
    bool claim();
    void release(bool finish_stream);
    void sync();
    void load(std::optional<TrackInfo> target, double start_at);
    void produce_block();
    void encode(std::size_t from, std::size_t to);
    void flush_output();
    void announce(const TrackInfo& info);
    void housekeeping(Clock::time_point now);
    // Saves the state when it changed (at most every save_debounce) or, while playing, every
    // position_save_interval.
    void save_if_due(Clock::time_point now);
    void preload();
    void maybe_launch_hook(Clock::time_point now);
    void start_idle_track();
    std::unique_ptr<StationDeck> next_track(bool natural);
    std::unique_ptr<StationDeck> open_deck(TrackInfo info);
    std::unique_ptr<StationDeck> take_preloaded(const TrackInfo& info);
    void mark_bad(const std::string& path, const std::string& reason);
    void evict_bad_files(Clock::time_point now);
    void report_skip(Clock::time_point now, const std::string& path, Clock::duration backoff,
                     const std::string& reason);
    void flush_skip_log(Clock::time_point now);
    bool in_backoff(const std::string& path) const;
    // The music folder is there (a NAS may be unmounted); logs when that changes.
    bool library_root_ok();
    void begin_idle(const std::string& why);
    bool wait_until(Clock::time_point when);

    // Mixer::Listener
    std::unique_ptr<Deck> on_next_deck(bool at_end) override;
    void on_deck_started(const Deck& deck, std::size_t offset) override;
    void on_deck_ended(const Deck& deck, bool was_current) override;

    const StationSettings& settings;
    Dependencies& deps;
    const std::shared_ptr<spdlog::logger> log;
    const codec::PcmFormat format;

    // ---- shared, guarded by `mutex` ----
    mutable std::mutex mutex;
    std::condition_variable wake_cv; // the station thread sleeps on it
    std::condition_variable done_cv; // callers wait on it for a seek
    PlayQueue queue;
    PlayState state = PlayState::playing;
    double volume = settings.volume;
    double crossfade = settings.crossfade_seconds;
    // The station thread (re)loads queue.current() whenever this moves (skip, jump, play after
    // stop, start), at `start_position` seconds.
    std::uint64_t change_gen = 1;
    std::uint64_t loaded_gen = 0; // the change_gen the station thread has acted on
    double start_position = 0;
    std::optional<double> seek_target;
    std::uint64_t seek_requested = 0;
    std::uint64_t seek_done = 0;
    bool seek_ok = false;
    bool stopping = false;
    bool wake = false;
    bool thread_running = false;
    bool on_air = false;
    bool dirty = false;
    bool needs_initial_fill = false;
    std::optional<TrackInfo> announced; // the current song as listeners know it
    std::int64_t started_at = 0;
    std::string last_error;
    // The next-track hook in flight: at most one per station. It is never abandoned (that
    // would let skips start any number of them); when its answer is no longer wanted (a song
    // was picked without it) it is marked stale and the answer is dropped when it comes.
    std::shared_ptr<BackgroundCommand> hook_call;
    bool hook_stale = false;
    std::optional<std::string> hook_path; // its answer, checked, not used yet

    std::atomic<std::uint64_t> elapsed_frames{0};
    std::atomic<std::uint64_t> bytes_sent{0};
    std::atomic<std::uint64_t> listeners{0};
    std::atomic<bool> library_changed{false};
    std::atomic<bool> queue_grew{false}; // songs were added: an idle station tries at once
    std::atomic<std::uint64_t> open_attempts{0};
    std::atomic<std::uint64_t> open_failures{0};

    std::mutex subscribers_mutex;
    std::uint64_t next_subscriber = 1;
    std::vector<std::pair<std::uint64_t, std::function<void(unsigned)>>> subscribers;
    std::uint64_t library_subscription = 0;

    // Serialises save_playlist() so that two clients cannot both pass the count check.
    std::mutex stored_playlists_mutex;

    // ---- station thread only (and start()/stop(), serialised by `lifecycle`) ----
    std::mutex lifecycle;
    bool retired = false; // guarded by `lifecycle`
    // Cleared once a retired station has saved its state for the last time: a replacement
    // with the same name owns the saved state from then on (and a deleted station has none).
    bool persist = true; // guarded by `lifecycle`
    std::thread thread;
    std::unique_ptr<SourceSession> session;
    std::unique_ptr<codec::StreamEncoder> encoder;
    codec::StreamTags encoder_tags;
    Pacer pacer;
    Mixer mixer;
    std::vector<float> block;
    std::vector<std::uint8_t> out;
    std::vector<std::pair<std::size_t, TrackInfo>> starts; // track starts in the next block
    std::unique_ptr<StationDeck> preloaded;
    std::uint64_t preload_checked_for = 0; // current deck id the preload was tried for
    std::uint64_t hook_asked_for = 0;      // current deck id the hook was launched for
    std::uint64_t finished_deck = 0;       // deck id finished_current() was applied for
    Clock::time_point hook_retry_at{};
    std::uint64_t next_deck_id = 1;
    struct BadFile {
        Clock::time_point until;
        Clock::duration backoff{};
    };
    std::map<std::string, BadFile> bad_files;
    Clock::time_point idle_until{};
    Clock::duration idle_backoff = idle_retry_min;
    std::string idle_reason; // logged when it changes; cleared when a song plays
    bool root_missing = false;
    Clock::time_point skip_log_at{}; // the next "skipping" line may be logged from then
    std::size_t skips_unlogged = 0;
    std::string last_unlogged_skip;
    bool claim_logged = false;
    Clock::time_point next_claim_at{};
    Clock::time_point last_save{};
    std::shared_ptr<BackgroundCommand> on_play_call;
    unsigned pending_events = 0; // raised by the station thread, sent after each block
};

Station::Engine::Engine(const StationSettings& s, Dependencies& d)
    : settings(s), deps(d),
      log(util::logger("autodj")), format{engine_rate(s.encoder), s.encoder.channels},
      pacer(Pacer::Settings{format.sample_rate, block_length,
                            std::chrono::duration_cast<std::chrono::milliseconds>(lead),
                            std::chrono::duration_cast<std::chrono::milliseconds>(max_lag)}),
      mixer(format, pacer.max_block_frames(), to_frames(ramp, format.sample_rate)),
      block(pacer.max_block_frames() * static_cast<std::size_t>(format.channels)) {}

// ---- persistence ------------------------------------------------------------------------------

void Station::Engine::restore() {
    std::optional<std::string> text;
    try {
        text = deps.store.load_state(settings.name);
    } catch (const std::exception& e) {
        log->warn("{}: cannot load the saved state, starting afresh: {}", settings.name, e.what());
    }
    std::optional<SavedState> saved;
    if (text) {
        saved = parse_state(*text);
        if (!saved) {
            log->warn("{}: the saved state is unreadable, starting afresh", settings.name);
        }
    }
    std::lock_guard lock(mutex);
    if (!saved) {
        queue.set_modes(settings.initial_modes);
        needs_initial_fill = true;
        return;
    }
    queue = std::move(saved->queue);
    const auto& v = saved->values;
    state = v.state;
    // A value changed in the config since the state was saved is the operator's new choice.
    volume = v.configured_volume == settings.volume ? v.volume : settings.volume;
    crossfade = v.configured_crossfade == settings.crossfade_seconds ? v.crossfade_seconds
                                                                     : settings.crossfade_seconds;
    start_position = queue.current() ? v.position : 0;
}

double Station::Engine::elapsed_locked() const {
    if (state == PlayState::stopped) {
        return 0;
    }
    if (!thread_running || loaded_gen != change_gen) {
        return start_position;
    }
    return static_cast<double>(elapsed_frames.load(std::memory_order_relaxed)) / format.sample_rate;
}

std::string Station::Engine::state_json_locked() const {
    StateValues v;
    v.state = state;
    v.volume = volume;
    v.crossfade_seconds = crossfade;
    v.position = queue.current() ? elapsed_locked() : 0;
    v.configured_volume = settings.volume;
    v.configured_crossfade = settings.crossfade_seconds;
    return serialize_state(queue, v);
}

void Station::Engine::save_now() {
    std::string doc;
    {
        std::lock_guard lock(mutex);
        doc = state_json_locked();
        dirty = false;
    }
    try {
        deps.store.save_state(settings.name, doc);
    } catch (const std::exception& e) {
        log->warn("{}: cannot save the state: {}", settings.name, e.what());
        std::lock_guard lock(mutex);
        dirty = true;
    }
}

std::vector<std::string> Station::Engine::read_initial_playlist() const {
    const auto rel = library_path(settings.initial_playlist);
    const auto file = rel ? deps.library->resolve(*rel) : std::nullopt;
    if (!file) {
        log->warn("{}: initial playlist '{}' is outside the library; playing the whole library",
                  settings.name, settings.initial_playlist);
        return {};
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(*file, ec);
    std::ifstream in(*file, std::ios::binary);
    std::string text(ec ? 0 : std::min<std::uintmax_t>(size, max_playlist_bytes), '\0');
    if (ec || !in || !in.read(text.data(), static_cast<std::streamsize>(text.size()))) {
        log->warn("{}: cannot read initial playlist {}; playing the whole library", settings.name,
                  file->string());
        return {};
    }
    std::vector<std::string> paths;
    for (const auto& item : parse_playlist(text)) {
        // Entries not (yet) in the library are left out, as in an import.
        if (const auto path = library_path(item.location)) {
            expand_into(*path, paths);
        }
    }
    if (paths.empty()) {
        log->warn("{}: initial playlist {} has no track of the library; playing the whole library",
                  settings.name, file->string());
    }
    return paths;
}

void Station::Engine::initial_fill() {
    {
        std::lock_guard lock(mutex);
        if (!needs_initial_fill) {
            return;
        }
    }
    const auto index = deps.library->index();
    if (!index || index->tracks().empty()) {
        return; // the first scan has not found anything yet; the library tells us when it does
    }
    std::vector<std::string> paths;
    if (!settings.initial_playlist.empty()) {
        paths = read_initial_playlist();
    }
    if (paths.empty()) {
        for (const auto& t : index->tracks()) {
            paths.push_back(t->path);
        }
    }
    {
        std::lock_guard lock(mutex);
        if (!needs_initial_fill) {
            return;
        }
        needs_initial_fill = false;
        if (!queue.playlist().empty()) {
            return;
        }
        queue.add_many(std::move(paths));
        dirty = true;
        queue_grew = true;
        log->info("{}: playlist filled with {} tracks", settings.name, queue.playlist().size());
        wake_locked();
    }
    notify(event_playlist);
}

// ---- helpers for callers ----------------------------------------------------------------------

void Station::Engine::notify(unsigned events) {
    if (events == 0) {
        return;
    }
    std::vector<std::function<void(unsigned)>> targets;
    {
        std::lock_guard lock(subscribers_mutex);
        targets.reserve(subscribers.size());
        for (const auto& [id, fn] : subscribers) {
            targets.push_back(fn);
        }
    }
    for (const auto& fn : targets) {
        try {
            fn(events);
        } catch (const std::exception& e) {
            log->warn("{}: an event subscriber failed: {}", settings.name, e.what());
        }
    }
}

std::vector<std::string> Station::Engine::expand(const std::string& path) const {
    const std::string wanted = normalise_path(path);
    if (!deps.library->resolve(wanted)) {
        throw std::invalid_argument(fmt::format("{} is outside the library", shown_path(path)));
    }
    const auto index = deps.library->index();
    std::vector<std::string> out;
    if (!index) {
        throw std::invalid_argument(fmt::format("{} is not in the library", shown_path(path)));
    }
    if (index->find(wanted)) {
        out.push_back(wanted);
        return out;
    }
    const auto tracks = index->under(wanted);
    if (tracks.empty() && !wanted.empty()) {
        throw std::invalid_argument(fmt::format("{} is not in the library", shown_path(path)));
    }
    out.reserve(tracks.size());
    for (const auto& t : tracks) {
        out.push_back(t->path);
    }
    return out;
}

bool Station::Engine::expand_into(const std::string& path, std::vector<std::string>& out) const {
    try {
        auto paths = expand(path);
        out.insert(out.end(), std::make_move_iterator(paths.begin()),
                   std::make_move_iterator(paths.end()));
        return true;
    } catch (const std::invalid_argument&) {
        return false;
    }
}

std::optional<std::string> Station::Engine::library_path(const std::string& location) const {
    if (location.find("://") != std::string::npos) {
        return std::nullopt;
    }
    const std::filesystem::path path(location);
    if (path.is_absolute()) {
        return deps.library->relative(path);
    }
    return normalise_path(location);
}

template <class Op>
bool Station::Engine::command(unsigned events, Op&& op) {
    bool changed = false;
    {
        std::lock_guard lock(mutex);
        const auto version = queue.version();
        changed = op(*this);
        if (!changed) {
            return false;
        }
        if (queue.version() != version) {
            events |= event_playlist;
        }
        dirty = true;
        wake_locked();
    }
    notify(events);
    return true;
}

std::vector<std::uint64_t> Station::Engine::append(std::vector<std::string> paths,
                                                   std::optional<std::size_t> position,
                                                   bool up_next) {
    std::vector<std::uint64_t> ids;
    {
        std::lock_guard lock(mutex);
        // One insertion, however many paths: a big folder added at the top of a big playlist
        // must not hold the lock (and the audio thread) for long.
        ids = up_next ? queue.enqueue_many(std::move(paths), position)
                      : queue.add_many(std::move(paths), position);
        if (ids.empty()) {
            return ids;
        }
        dirty = true;
        needs_initial_fill = false; // the operator chose what to play
        queue_grew = true;
        wake_locked();
    }
    notify(event_playlist);
    return ids;
}

TrackInfo Station::Engine::make_info(const QueueEntry& entry, bool from_hook) const {
    TrackInfo info;
    info.entry = entry;
    info.from_hook = from_hook;
    if (const auto index = deps.library->index()) {
        info.track = index->find(entry.path);
    }
    return info;
}

// Reads the next-track hook's answer once it is there. The path it printed must be a file of
// the library (relative to it, or absolute inside it); whether it opens is found out when it is
// opened, like any other pick.
void Station::Engine::poll_hook_locked() {
    if (!hook_call || !hook_call->done()) {
        return;
    }
    const auto result = hook_call->result();
    hook_call.reset();
    if (std::exchange(hook_stale, false)) {
        log->debug("{}: the next-track hook answered after a song was picked without it; its "
                   "answer is ignored",
                   settings.name);
        return;
    }
    const std::chrono::milliseconds timeout(settings.next_track_command.timeout_ms);
    if (!result || !result->ok()) {
        log->warn("{}: next-track hook {}; playing from the playlist", settings.name,
                  result ? describe_failure(*result, timeout) : "gave no result");
        return;
    }
    const std::string line = trim(result->out.substr(0, result->out.find('\n')));
    if (line.empty()) {
        log->warn("{}: next-track hook printed nothing; playing from the playlist", settings.name);
        return;
    }
    std::optional<std::string> rel;
    const std::filesystem::path printed(line);
    if (printed.is_absolute()) {
        rel = deps.library->relative(printed);
    } else if (deps.library->resolve(normalise_path(line))) {
        rel = normalise_path(line);
    }
    if (!rel || rel->empty()) {
        log->warn("{}: next-track hook printed '{}', which is not a file in the library; playing "
                  "from the playlist",
                  settings.name, line.substr(0, 300));
        return;
    }
    hook_path = std::move(*rel);
}

// The song after the current one: the up-next queue first, then the next-track hook's answer,
// then the playlist. Advances the queue.
std::optional<TrackInfo> Station::Engine::choose_locked(bool* waiting_for_hook) {
    if (queue.up_next().empty() && !settings.next_track_command.argv.empty()) {
        poll_hook_locked();
        if (hook_path) {
            const auto path = std::move(*hook_path);
            hook_path.reset();
            // Through the up-next queue, so that it becomes the current song like any other
            // (previous() returns to it, the history lists it).
            if (queue.enqueue(path, 0) != 0) {
                if (auto pick = queue.advance()) {
                    return make_info(pick->entry, true);
                }
            }
        } else if (hook_call) {
            if (!queue.peek_next()) {
                // Nothing else to play: wait for the answer rather than give up on it (even an
                // answer asked for an earlier song beats silence).
                hook_stale = false;
                if (waiting_for_hook != nullptr) {
                    *waiting_for_hook = true;
                }
                return std::nullopt;
            }
            if (!hook_stale) {
                log->info("{}: next-track hook is still running; playing from the playlist",
                          settings.name);
                // Not abandoned: no other hook starts until this one has ended.
                hook_stale = true;
            }
        }
    }
    if (auto pick = queue.advance()) {
        return make_info(pick->entry, false);
    }
    return std::nullopt;
}

// ---- lifecycle --------------------------------------------------------------------------------

void Station::Engine::start() {
    std::lock_guard serial(lifecycle);
    if (retired) {
        log->warn("{}: not started: the station was removed or replaced", settings.name);
        return;
    }
    {
        std::lock_guard lock(mutex);
        if (thread_running) {
            return;
        }
    }
    if (thread.joinable()) {
        thread.join(); // a thread that ended after an error (fail()); it is finishing or done
    }
    {
        std::lock_guard lock(mutex);
        thread_running = true;
        stopping = false;
        ++change_gen; // load the current song (at start_position) as soon as the thread runs
    }
    initial_fill();
    log->info("{}: started for {}", settings.name, settings.mount);
    try {
        thread = std::thread([this] {
            // run() handles errors itself (the stream restarts after a back-off); this is the
            // last line: the station goes quiet instead of taking the server down, and can be
            // started again.
            try {
                run();
            } catch (const std::exception& e) {
                fail(e.what());
            } catch (...) {
                fail("unknown error");
            }
        });
    } catch (...) {
        std::lock_guard lock(mutex);
        thread_running = false;
        throw;
    }
    notify(event_player);
}

void Station::Engine::stop() {
    std::lock_guard serial(lifecycle);
    bool was_running = false;
    {
        std::lock_guard lock(mutex);
        was_running = thread_running;
        if (was_running) {
            stopping = true;
            wake_locked();
        }
    }
    if (thread.joinable()) {
        thread.join();
    }
    cancel_hooks();
    bool save = false;
    {
        std::lock_guard lock(mutex);
        save = persist && (was_running || dirty);
        thread_running = false;
        stopping = false;
        on_air = false;
    }
    if (save) {
        save_now();
    }
    if (was_running) {
        log->info("{}: stopped", settings.name);
        notify(event_player);
    }
}

void Station::Engine::retire() {
    {
        std::lock_guard serial(lifecycle);
        retired = true;
    }
    stop();
    std::lock_guard serial(lifecycle);
    persist = false;
}

// Called with the station thread joined (or never started): the hooks' handles are ours alone.
void Station::Engine::cancel_hooks() {
    std::vector<std::shared_ptr<BackgroundCommand>> live;
    {
        std::lock_guard lock(mutex);
        if (hook_call) {
            live.push_back(std::move(hook_call));
        }
        hook_call.reset();
        hook_stale = false;
        hook_path.reset();
    }
    if (on_play_call) {
        live.push_back(std::move(on_play_call));
    }
    on_play_call.reset();
    std::erase_if(live, [](const auto& c) { return c->done(); });
    if (live.empty()) {
        return;
    }
    for (const auto& c : live) {
        c->cancel();
    }
    // A hook that ignores SIGTERM gets SIGKILL after util::cancel_grace, well within the wait;
    // stop() stays short either way.
    const auto deadline = Clock::now() + hook_stop_wait;
    for (const auto& c : live) {
        if (!c->wait_until(deadline)) {
            log->warn(
                "{}: a hook did not end within {} ms of the stop; it is being killed",
                settings.name,
                std::chrono::duration_cast<std::chrono::milliseconds>(hook_stop_wait).count());
        }
    }
}

// ---- the station thread -----------------------------------------------------------------------

bool Station::Engine::wait_until(Clock::time_point when) {
    std::unique_lock lock(mutex);
    wake_cv.wait_until(lock, when, [this] { return stopping || wake; });
    wake = false;
    return !stopping;
}

void Station::Engine::run() {
    Clock::duration backoff = claim_retry;
    while (true) {
        {
            std::lock_guard lock(mutex);
            if (stopping) {
                break;
            }
        }
        try {
            if (cycle()) {
                backoff = claim_retry;
            }
        } catch (const std::exception& e) {
            // Whatever failed (encoding, a track's decoder, the mount, a state change), the
            // station keeps its state and starts the stream afresh after a back-off.
            recover(e.what(), backoff);
            backoff = std::min<Clock::duration>(backoff * 2, failure_backoff_max);
        }
    }
    release(true);
    {
        std::lock_guard lock(mutex);
        // Where to resume: the position in the current song, unless a change is still pending.
        if (loaded_gen == change_gen && state != PlayState::stopped) {
            start_position = static_cast<double>(elapsed_frames.load()) / format.sample_rate;
        }
        loaded_gen = 0;
    }
    mixer.clear();
    preloaded.reset();
    starts.clear();
    flush_skip_log(Clock::time_point::max());
    notify(std::exchange(pending_events, 0U));
}

bool Station::Engine::cycle() {
    if (!session) {
        // Off air: claim the mount when the back-off allows; meanwhile keep answering callers
        // (a seek, a skip) so that the state they see stays right.
        const auto now = Clock::now();
        if (now < next_claim_at || !claim()) {
            if (now >= next_claim_at) {
                next_claim_at = now + claim_retry;
            } else {
                sync();
            }
            save_if_due(now);
            notify(std::exchange(pending_events, 0U));
            wait_until(next_claim_at);
            return false;
        }
    }
    sync();
    const auto now = Clock::now();
    if (pacer.rebase_if_stalled(now)) {
        log->warn("{}: the station thread fell more than {} s behind real time (machine "
                  "suspended?); continuing from now",
                  settings.name, std::chrono::duration_cast<std::chrono::seconds>(max_lag).count());
    }
    if (now < pacer.due()) {
        wait_until(pacer.due());
        return false;
    }
    produce_block();
    if (session && session->killed()) {
        log->info("{}: removed from {} by an admin; claiming it again in {} s", settings.name,
                  settings.mount,
                  std::chrono::duration_cast<std::chrono::seconds>(claim_retry).count());
        release(false);
        next_claim_at = Clock::now() + claim_retry;
        return true;
    }
    housekeeping(Clock::now());
    notify(std::exchange(pending_events, 0U));
    return true;
}

void Station::Engine::recover(const std::string& what, Clock::duration backoff) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(backoff).count();
    log->error("{}: {}; restarting the stream in {} s", settings.name, what, seconds);
    {
        std::lock_guard lock(mutex);
        last_error = fmt::format("stream restarted after an error: {}", what);
    }
    release(false);
    pending_events |= event_player;
    notify(std::exchange(pending_events, 0U));
    // The whole back-off, not only until the next caller's wake-up: a step that fails at once
    // must not turn into a busy loop. stop() still ends the wait.
    next_claim_at = Clock::now() + backoff;
    while (Clock::now() < next_claim_at && wait_until(next_claim_at)) {
    }
}

void Station::Engine::fail(const std::string& what) {
    log->critical("{}: the station thread failed; the station is stopped: {}", settings.name, what);
    encoder.reset();
    session.reset();
    mixer.clear();
    preloaded.reset();
    starts.clear();
    listeners.store(0, std::memory_order_relaxed);
    {
        std::lock_guard lock(mutex);
        on_air = false;
        thread_running = false; // start() joins this thread and starts a new one
        stopping = false;
        loaded_gen = 0;
        last_error = fmt::format("the station stopped after an internal error: {}", what);
        done_cv.notify_all();
    }
    notify(event_player);
}

bool Station::Engine::claim() {
    // The stream starts with whatever plays now, so its first title and (Ogg) tags are right.
    sync();
    std::unique_ptr<SourceSession> claimed;
    codec::StreamTags tags;
    if (const Deck* current = mixer.current()) {
        const auto& info = info_of(*current);
        tags = {info.artist, info.title, info.album, {}};
    }
    try {
        auto enc = codec::StreamEncoder::create(settings.encoder, format, tags);
        claimed =
            deps.mounts.open_source(settings.mount, make_source_info(settings, enc->content_type(),
                                                                     enc->output_sample_rate()));
        if (claimed) {
            encoder = std::move(enc);
        }
    } catch (const std::exception& e) {
        log->error("{}: cannot start the stream: {}", settings.name, e.what());
        return false;
    }
    if (!claimed) {
        if (!claim_logged) {
            log->info("{}: {} is in use by another source; retrying every {} s", settings.name,
                      settings.mount,
                      std::chrono::duration_cast<std::chrono::seconds>(claim_retry).count());
            claim_logged = true;
        }
        return false;
    }
    claim_logged = false;
    session = std::move(claimed);
    encoder_tags = tags;
    pacer.start(Clock::now());
    if (const Deck* current = mixer.current()) {
        // Listeners of the new source need the title; the song itself is not starting again.
        const auto& info = info_of(*current);
        session->set_title(info.artist, info.title);
    }
    {
        std::lock_guard lock(mutex);
        on_air = true;
    }
    log->info("{}: on air at {}", settings.name, settings.mount);
    pending_events |= event_player;
    return true;
}

void Station::Engine::release(bool finish_stream) {
    if (session && encoder && finish_stream) {
        try {
            out.clear();
            encoder->finish(out);
            flush_output();
        } catch (const std::exception& e) {
            log->warn("{}: cannot end the stream cleanly: {}", settings.name, e.what());
        }
    }
    bool was = false;
    {
        std::lock_guard lock(mutex);
        was = std::exchange(on_air, false);
    }
    encoder.reset();
    session.reset();
    out.clear();
    listeners.store(0, std::memory_order_relaxed);
    if (was) {
        pending_events |= event_player;
    }
}

// Applies what callers asked for since the last block.
void Station::Engine::sync() {
    PlayState st{};
    double vol = 0;
    double xfade = 0;
    bool reload = false;
    double start_at = 0;
    std::optional<TrackInfo> target;
    std::optional<double> seek;
    std::uint64_t seek_seq = 0;
    {
        std::lock_guard lock(mutex);
        st = state;
        vol = volume;
        xfade = crossfade;
        if (loaded_gen != change_gen) {
            loaded_gen = change_gen;
            reload = true;
            start_at = std::exchange(start_position, 0.0);
            if (const auto& current = queue.current()) {
                target = make_info(current->entry, false);
            }
        }
        seek = std::exchange(seek_target, std::nullopt);
        seek_seq = seek_requested;
    }
    if (library_changed.exchange(false)) {
        initial_fill();
    }
    mixer.set_volume(volume_gain(vol));
    mixer.set_crossfade(to_frames(xfade, format.sample_rate));
    mixer.set_playing(st == PlayState::playing);
    if (reload) {
        if (st == PlayState::stopped) {
            preloaded.reset();
            elapsed_frames.store(0, std::memory_order_relaxed);
        } else {
            load(std::move(target), start_at);
        }
    }
    if (st == PlayState::stopped && mixer.silent() && !mixer.idle()) {
        mixer.clear();
        preloaded.reset();
        elapsed_frames.store(0, std::memory_order_relaxed);
    }
    if (seek) {
        bool ok = false;
        if (Deck* current = mixer.current()) {
            ok = current->seek(*seek);
            if (ok) {
                elapsed_frames.store(current->position_frames(), std::memory_order_relaxed);
                pending_events |= event_player;
            } else {
                log->info("{}: cannot seek in {}", settings.name, info_of(*current).entry.path);
            }
        }
        std::lock_guard lock(mutex);
        seek_done = seek_seq;
        seek_ok = ok;
        done_cv.notify_all();
    }
}

// Makes `target` the current song at once (a skip, a jump, play after stop, the start).
void Station::Engine::load(std::optional<TrackInfo> target, double start_at) {
    std::unique_ptr<StationDeck> deck;
    if (target) {
        deck = take_preloaded(*target);
        if (!deck) {
            deck = open_deck(std::move(*target));
        }
        if (!deck) {
            deck = next_track(false); // unreadable: move on to the next pick
        } else if (start_at > 0 && !deck->seek(start_at)) {
            log->info("{}: cannot resume {} at {:.1f} s; playing it from the start", settings.name,
                      deck->info.entry.path, start_at);
        }
    }
    const auto fade = mixer.current() != nullptr ? to_frames(ramp, format.sample_rate) : 0;
    // A song loaded but not yet heard (several skips while off air) is not announced.
    starts.clear();
    if (deck) {
        elapsed_frames.store(deck->position_frames(), std::memory_order_relaxed);
        starts.emplace_back(0, deck->info);
    } else {
        elapsed_frames.store(0, std::memory_order_relaxed);
    }
    mixer.start(std::move(deck), fade);
    preload_checked_for = 0;
}

void Station::Engine::produce_block() {
    const std::size_t frames = pacer.block_frames();
    mixer.render(block, frames, *this);
    std::size_t at = 0;
    for (const auto& [offset, info] : starts) {
        encode(at, offset);
        // Everything before the change goes out under the old title.
        flush_output();
        announce(info);
        at = offset;
    }
    starts.clear();
    encode(at, frames);
    flush_output();
    pacer.advance();
    const Deck* current = mixer.current();
    elapsed_frames.store(current != nullptr ? current->position_frames() : 0,
                         std::memory_order_relaxed);
    listeners.store(session->listeners(), std::memory_order_relaxed);
}

void Station::Engine::encode(std::size_t from, std::size_t to) {
    if (to <= from) {
        return;
    }
    const auto channels = static_cast<std::size_t>(format.channels);
    encoder->push(std::span<const float>(block.data() + from * channels, (to - from) * channels),
                  out);
}

void Station::Engine::flush_output() {
    if (out.empty()) {
        return;
    }
    session->write(out);
    bytes_sent.fetch_add(out.size(), std::memory_order_relaxed);
    out.clear();
}

// A song starts being heard: title, Ogg tags, history, on-play hook, now-playing.
void Station::Engine::announce(const TrackInfo& info) {
    session->set_title(info.artist, info.title);
    codec::StreamTags tags{info.artist, info.title, info.album, {}};
    if (tags != encoder_tags) {
        encoder->set_tags(tags, out);
        encoder_tags = std::move(tags);
    }
    const auto now_ms = storage::unix_ms_now();
    storage::PlayRecord play;
    play.mount = settings.mount;
    play.started_at = now_ms;
    play.artist = info.artist;
    play.title = info.title;
    play.file = info.entry.path;
    play.duration = info.duration;
    play.listeners = session->listeners();
    play.source = "autodj";
    deps.history.record(std::move(play));

    if (!settings.on_play_command.argv.empty()) {
        if (on_play_call && !on_play_call->done()) {
            log->warn("{}: on-play hook still running from the previous song; not run for {}",
                      settings.name, info.entry.path);
        } else {
            const std::chrono::milliseconds timeout(settings.on_play_command.timeout_ms);
            on_play_call = BackgroundCommand::launch(
                settings.on_play_command.argv, hook_environment(settings, &info), timeout,
                [log = log, name = settings.name, timeout](const util::CommandResult& r) {
                    if (!r.ok() && !r.cancelled) { // cancelled: the station stopped
                        log->warn("{}: on-play hook {}", name, describe_failure(r, timeout));
                    }
                });
        }
    }
    log->info("{}: playing {}", settings.name, info.entry.path);
    {
        std::lock_guard lock(mutex);
        announced = info;
        started_at = now_ms;
        dirty = true;
    }
    pending_events |= event_player;
}

void Station::Engine::save_if_due(Clock::time_point now) {
    if (now - last_save < save_debounce) {
        return;
    }
    {
        std::lock_guard lock(mutex);
        const bool playing = state == PlayState::playing;
        if (!dirty && !(playing && now - last_save >= position_save_interval)) {
            return;
        }
    }
    last_save = now;
    save_now();
}

void Station::Engine::housekeeping(Clock::time_point now) {
    bool playing = false;
    {
        std::lock_guard lock(mutex);
        playing = state == PlayState::playing;
    }
    if (queue_grew.exchange(false)) {
        idle_until = now;
        idle_backoff = idle_retry_min;
    }
    if (playing && mixer.current() == nullptr && now >= idle_until) {
        start_idle_track();
    }
    preload();
    maybe_launch_hook(now);
    flush_skip_log(now);
    save_if_due(now);
}

void Station::Engine::start_idle_track() {
    initial_fill();
    auto deck = next_track(false);
    if (!deck) {
        return;
    }
    elapsed_frames.store(0, std::memory_order_relaxed);
    starts.emplace_back(0, deck->info);
    mixer.start(std::move(deck), 0);
    preload_checked_for = 0;
}

// Opens the song after the current one ahead of time, so the transition never waits for a disk.
void Station::Engine::preload() {
    const Deck* current = mixer.current();
    if (current == nullptr || preloaded || preload_checked_for == current->id()) {
        return;
    }
    const auto until = mixer.frames_until_transition();
    if (!until || *until > to_frames(preopen, format.sample_rate)) {
        return;
    }
    std::optional<TrackInfo> peek;
    {
        std::lock_guard lock(mutex);
        if (state != PlayState::playing || queue.modes().single) {
            preload_checked_for = current->id(); // single: what plays next is decided at the end
            return;
        }
        if (queue.up_next().empty() && !settings.next_track_command.argv.empty()) {
            poll_hook_locked();
            if (hook_path) {
                peek = make_info(QueueEntry{0, *hook_path, 0}, true);
            } else if (hook_call && !hook_stale) {
                return; // still thinking: look again at the next block
            }
        }
        if (!peek) {
            if (auto pick = queue.peek_next()) {
                peek = make_info(pick->entry, false);
            }
        }
    }
    preload_checked_for = current->id();
    if (!peek || in_backoff(peek->entry.path)) {
        return;
    }
    preloaded = open_deck(std::move(*peek));
}

// Starts the next-track hook for the song after the current one, early enough that its answer
// is there before the transition (its timeout, plus the preload margin, before the crossfade).
void Station::Engine::maybe_launch_hook(Clock::time_point now) {
    const auto& hook = settings.next_track_command;
    if (hook.argv.empty()) {
        return;
    }
    const Deck* current = mixer.current();
    if (current != nullptr) {
        if (hook_asked_for == current->id()) {
            return;
        }
        const auto until = mixer.frames_until_transition();
        const auto margin =
            std::chrono::milliseconds(hook.timeout_ms) + preopen + std::chrono::seconds(1);
        if (until && *until > to_frames(margin, format.sample_rate)) {
            return;
        }
    } else if (now < hook_retry_at) {
        return;
    }
    std::lock_guard lock(mutex);
    // A hook that has ended (a stale one included) makes room for the next one.
    poll_hook_locked();
    if (state != PlayState::playing || hook_call || hook_path || !queue.up_next().empty()) {
        return; // at most one hook at a time; its answer, when still wanted, comes first
    }
    if (current != nullptr) {
        hook_asked_for = current->id();
    } else {
        hook_retry_at = now + idle_backoff;
    }
    hook_call = BackgroundCommand::launch(
        hook.argv, hook_environment(settings, current != nullptr ? &info_of(*current) : nullptr),
        std::chrono::milliseconds(hook.timeout_ms));
    if (current == nullptr) {
        idle_until = now; // an idle station looks for the answer at every block
    }
}

std::unique_ptr<StationDeck> Station::Engine::take_preloaded(const TrackInfo& info) {
    if (!preloaded) {
        return nullptr;
    }
    const auto& have = preloaded->info;
    // A deck opened for the hook's answer had no queue entry yet.
    const bool same =
        have.entry.path == info.entry.path && (have.from_hook || have.entry.id == info.entry.id);
    if (!same) {
        log->debug("{}: {} was opened ahead but is no longer next", settings.name, have.entry.path);
        preloaded.reset();
        return nullptr;
    }
    auto deck = std::move(preloaded);
    deck->info.entry = info.entry;
    deck->info.from_hook = info.from_hook;
    return deck;
}

// Picks and opens the song after the current one, skipping unreadable files. `natural`: the
// current song ends by itself (consume and single apply).
std::unique_ptr<StationDeck> Station::Engine::next_track(bool natural) {
    unsigned events = 0;
    std::unique_ptr<StationDeck> deck;
    bool finished_applied = !natural;
    if (natural) {
        // Once per song, even when it is asked about at its crossfade point and again at its end.
        const Deck* ending = mixer.current();
        const std::uint64_t id = ending != nullptr ? ending->id() : 0;
        if (id != 0 && id == finished_deck) {
            finished_applied = true;
        }
        finished_deck = id;
    }
    // Without the music folder (a NAS unmounted) nothing can open: wait for it rather than walk
    // the playlist marking every file bad.
    const bool root_ok = library_root_ok();
    int opens = 0;
    std::size_t skipped = 0;
    bool idling = false;      // begin_idle() was called below
    bool handed_over = false; // a caller chose the next song
    while (!deck && opens < max_opens_per_block) {
        std::optional<TrackInfo> pick;
        bool empty = false;
        bool waiting = false;
        bool exhausted = false;
        {
            std::lock_guard lock(mutex);
            if (loaded_gen != change_gen) {
                // A caller chose the song (next, jump, play): the next sync() loads it. Leave the
                // queue alone meanwhile.
                handed_over = true;
                break;
            }
            const auto version = queue.version();
            if (!finished_applied) {
                finished_applied = true;
                dirty = true;
                const bool go_on = queue.finished_current();
                if (queue.version() != version) {
                    events |= event_playlist;
                }
                if (!go_on) {
                    state = PlayState::stopped; // single mode: stop after this song
                    events |= event_player;
                    break;
                }
            }
            if (!root_ok) {
                break;
            }
            // Songs still in their bad-file back-off are passed over here, under one lock, up to
            // once around the playlist.
            const std::size_t pass = queue.playlist().size() + queue.up_next().size() + 1;
            for (;;) {
                pick = choose_locked(&waiting);
                if (!pick || !in_backoff(pick->entry.path)) {
                    break;
                }
                pick.reset();
                if (++skipped >= std::min(pass, max_skips_per_search)) {
                    exhausted = true;
                    break;
                }
            }
            if (queue.version() != version) {
                events |= event_playlist;
            }
            empty = queue.playlist().empty() && queue.up_next().empty();
            if (!pick && !empty && !waiting && !exhausted) {
                // The end of the playlist without repeat: quiet until told to play.
                state = PlayState::stopped;
                events |= event_player;
                log->info("{}: end of the playlist", settings.name);
            }
            dirty = true;
        }
        if (exhausted) {
            begin_idle("no file of the playlist can be played now");
            idling = true;
            break;
        }
        if (!pick) {
            if (empty && !waiting) {
                begin_idle("nothing to play (the playlist is empty)");
                idling = true;
            }
            break;
        }
        deck = take_preloaded(*pick);
        if (!deck) {
            ++opens;
            deck = open_deck(std::move(*pick));
        }
    }
    if (!root_ok) {
        begin_idle(fmt::format("the music folder {} is missing or unreadable",
                               deps.library->root().string()));
    } else if (!deck && opens > 0 && !idling && !handed_over) {
        // Every file opened for this block failed: silence and the idle back-off before the
        // next ones are tried, so a playlist of broken files (or of files that vanished) costs a
        // few opens a second at most instead of hundreds.
        begin_idle("the files tried could not be played");
    }
    pending_events |= events;
    if (deck) {
        idle_backoff = idle_retry_min;
        idle_reason.clear();
    }
    return deck;
}

std::unique_ptr<StationDeck> Station::Engine::open_deck(TrackInfo info) {
    const std::string path = info.entry.path;
    open_attempts.fetch_add(1, std::memory_order_relaxed);
    const auto file = deps.library->resolve(path);
    if (!file) {
        mark_bad(path, "outside the library");
        return nullptr;
    }
    info.file = *file;
    try {
        auto decoder = codec::FileDecoder::open(*file, format);
        const auto& tags = decoder->tags();
        if (info.track) {
            info.artist = info.track->artist;
            info.title = info.track->title_or_name();
            info.album = info.track->album;
        } else {
            info.artist = tags.artist;
            info.title =
                tags.title.empty() ? std::filesystem::path(path).stem().string() : tags.title;
            info.album = tags.album;
        }
        info.duration = tags.duration > 0 ? tags.duration : info.track ? info.track->duration : 0.0;
        double gain = 1.0;
        if (settings.normalize) {
            codec::TrackTags merged = tags;
            std::optional<codec::LoudnessResult> measured;
            if (info.track) {
                if (info.track->rg_track_gain_db) {
                    merged.rg_track_gain_db = info.track->rg_track_gain_db;
                    merged.rg_track_peak = info.track->rg_track_peak;
                }
                if (info.track->loudness_lufs) {
                    measured = codec::LoudnessResult{*info.track->loudness_lufs,
                                                     info.track->loudness_peak.value_or(0.0),
                                                     info.track->duration};
                }
            }
            if (const auto db =
                    codec::normalisation_gain_db(merged, measured, settings.target_lufs)) {
                gain = db_to_gain(*db);
            }
        }
        auto deck = std::make_unique<StationDeck>(next_deck_id++, std::move(decoder), gain,
                                                  to_frames(info.duration, format.sample_rate),
                                                  pacer.max_block_frames(), std::move(info));
        if (!deck->prime()) {
            const auto& why = deck->decoder().error();
            mark_bad(path, why.empty() ? "no audio" : why);
            return nullptr;
        }
        bad_files.erase(path);
        return deck;
    } catch (const std::exception& e) {
        mark_bad(path, e.what());
        return nullptr;
    }
}

void Station::Engine::mark_bad(const std::string& path, const std::string& reason) {
    const auto now = Clock::now();
    open_failures.fetch_add(1, std::memory_order_relaxed);
    if (bad_files.size() >= max_bad_files && !bad_files.contains(path)) {
        evict_bad_files(now);
    }
    auto& bad = bad_files[path];
    bad.backoff = bad.backoff == Clock::duration::zero()
                      ? std::chrono::duration_cast<Clock::duration>(bad_file_min)
                      : std::min<Clock::duration>(bad.backoff * 2, bad_file_max);
    bad.until = now + bad.backoff;
    report_skip(now, path, bad.backoff, reason);
    std::lock_guard lock(mutex);
    last_error = fmt::format("{}: {}", path, reason);
}

// Makes room in the full bad-file map: the entries whose back-off has ended, else the tenth
// whose back-off ends soonest (they would be tried again first anyway). Dropping a tenth at once
// keeps this off the path of every later failure.
void Station::Engine::evict_bad_files(Clock::time_point now) {
    std::erase_if(bad_files, [now](const auto& kv) { return kv.second.until <= now; });
    if (bad_files.size() < max_bad_files) {
        return;
    }
    std::vector<decltype(bad_files)::iterator> entries;
    entries.reserve(bad_files.size());
    for (auto it = bad_files.begin(); it != bad_files.end(); ++it) {
        entries.push_back(it);
    }
    const std::size_t drop = std::max<std::size_t>(1, max_bad_files / 10);
    std::nth_element(
        entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(drop - 1), entries.end(),
        [](const auto& a, const auto& b) { return a->second.until < b->second.until; });
    for (std::size_t i = 0; i < drop; ++i) {
        bad_files.erase(entries[i]);
    }
}

// "skipping <file>" at most once per skip_log_interval; the files skipped in between are
// counted and summed up in the next line (or by flush_skip_log()).
void Station::Engine::report_skip(Clock::time_point now, const std::string& path,
                                  Clock::duration backoff, const std::string& reason) {
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(backoff).count();
    if (now < skip_log_at) {
        ++skips_unlogged;
        last_unlogged_skip = fmt::format("{}: {}", path, reason);
        return;
    }
    if (skips_unlogged > 0) {
        log->warn("{}: skipping {} for {} min: {} ({} more unplayable files since the last "
                  "report)",
                  settings.name, path, minutes, reason, skips_unlogged);
    } else {
        log->warn("{}: skipping {} for {} min: {}", settings.name, path, minutes, reason);
    }
    skips_unlogged = 0;
    last_unlogged_skip.clear();
    skip_log_at = now + skip_log_interval;
}

void Station::Engine::flush_skip_log(Clock::time_point now) {
    if (skips_unlogged == 0 || now < skip_log_at) {
        return;
    }
    log->warn("{}: {} more unplayable files skipped (the last: {})", settings.name, skips_unlogged,
              last_unlogged_skip);
    skips_unlogged = 0;
    last_unlogged_skip.clear();
    skip_log_at = now == Clock::time_point::max() ? Clock::time_point{} : now + skip_log_interval;
}

bool Station::Engine::in_backoff(const std::string& path) const {
    const auto it = bad_files.find(path);
    return it != bad_files.end() && Clock::now() < it->second.until;
}

bool Station::Engine::library_root_ok() {
    const auto& root = deps.library->root();
    std::error_code ec;
    const bool ok =
        std::filesystem::is_directory(root, ec) && ::access(root.c_str(), R_OK | X_OK) == 0;
    if (ok && root_missing) {
        log->info("{}: the music folder {} is back", settings.name, root.string());
    }
    root_missing = !ok;
    return ok;
}

void Station::Engine::begin_idle(const std::string& why) {
    if (why != idle_reason) {
        log->info("{}: {}; playing silence and trying again", settings.name, why);
        idle_reason = why;
    }
    idle_until = Clock::now() + idle_backoff;
    idle_backoff = std::min<Clock::duration>(idle_backoff * 2, idle_retry_max);
}

std::unique_ptr<Deck> Station::Engine::on_next_deck(bool at_end) {
    if (!at_end && !preloaded) {
        return nullptr; // crossfade only into a track opened ahead: never wait for a disk here
    }
    return next_track(true);
}

void Station::Engine::on_deck_started(const Deck& deck, std::size_t offset) {
    starts.emplace_back(offset, info_of(deck));
    preload_checked_for = 0;
}

void Station::Engine::on_deck_ended(const Deck& deck, bool /*was_current*/) {
    const auto& error = deck.decoder().error();
    if (!error.empty()) {
        const auto& path = info_of(deck).entry.path;
        log->warn("{}: {} ended early: {}", settings.name, path, error);
        std::lock_guard lock(mutex);
        last_error = fmt::format("{}: {}", path, error);
    }
}

// ---------------------------------------------------------------------------------------------
// Station

void Station::validate_settings(const StationSettings& settings) {
    validate(settings);
    const codec::PcmFormat format{engine_rate(settings.encoder), settings.encoder.channels};
    // Throws CodecError for an encoder FFmpeg cannot provide; the real one is made per claim.
    (void)codec::StreamEncoder::create(settings.encoder, format);
}

Station::Station(StationSettings settings, Dependencies deps)
    : settings_(std::move(settings)), deps_(std::move(deps)) {
    if (!deps_.library) {
        throw std::invalid_argument("autodj: a station needs a library");
    }
    validate_settings(settings_);
    engine_ = std::make_unique<Engine>(settings_, deps_);
    engine_->restore();
    engine_->initial_fill();
    Engine* engine = engine_.get();
    engine_->library_subscription = deps_.library->subscribe([engine] {
        // Called on the library's thread: no station lock here (the library may hold its own).
        engine->library_changed.store(true);
        engine->notify(event_database | event_update);
    });
}

Station::~Station() {
    deps_.library->unsubscribe(engine_->library_subscription);
    stop();
}

void Station::start() {
    engine_->start();
}

void Station::stop() {
    engine_->stop();
}

bool Station::running() const {
    std::lock_guard lock(engine_->mutex);
    return engine_->thread_running;
}

void Station::retire() {
    engine_->retire();
}

// ---- transport ------------------------------------------------------------------------------

void Station::play() {
    engine_->command(event_player, [](Engine& e) {
        if (e.state == PlayState::playing) {
            return false;
        }
        if (e.state == PlayState::stopped) {
            // Stopped: the current song again from its start, else the next one.
            if (!e.queue.current() && !e.choose_locked() && !e.queue.playlist().empty()) {
                e.queue.jump_to(0); // played to the end without repeat: start over
            }
            e.reload_locked();
        }
        e.state = PlayState::playing;
        return true;
    });
}

void Station::pause() {
    engine_->command(event_player, [](Engine& e) {
        if (e.state != PlayState::playing) {
            return false;
        }
        e.state = PlayState::paused;
        return true;
    });
}

void Station::toggle_pause() {
    bool playing = false;
    {
        std::lock_guard lock(engine_->mutex);
        playing = engine_->state == PlayState::playing;
    }
    if (playing) {
        pause();
    } else {
        play();
    }
}

void Station::stop_playback() {
    engine_->command(event_player, [](Engine& e) {
        if (e.state == PlayState::stopped) {
            return false;
        }
        e.state = PlayState::stopped;
        e.start_position = 0;
        return true;
    });
}

void Station::next() {
    engine_->command(event_player, [](Engine& e) {
        bool waiting = false;
        const bool found = e.choose_locked(&waiting).has_value();
        if (waiting) {
            return false; // only the next-track hook can say what is next, and it has not yet
        }
        if (!found) {
            e.state = PlayState::stopped; // past the end of the playlist without repeat
        } else if (e.state == PlayState::paused) {
            e.state = PlayState::playing;
        }
        e.reload_locked();
        return true;
    });
}

void Station::previous() {
    engine_->command(event_player, [](Engine& e) {
        if (!e.queue.previous()) {
            return false;
        }
        if (e.state == PlayState::paused) {
            e.state = PlayState::playing;
        }
        e.reload_locked();
        return true;
    });
}

bool Station::jump_to(std::size_t position) {
    return engine_->command(event_player, [position](Engine& e) {
        if (!e.queue.jump_to(position)) {
            return false;
        }
        e.state = PlayState::playing;
        e.reload_locked();
        return true;
    });
}

bool Station::jump_to_id(std::uint64_t id) {
    return engine_->command(event_player, [id](Engine& e) {
        if (!e.queue.jump_to_id(id)) {
            return false;
        }
        e.state = PlayState::playing;
        e.reload_locked();
        return true;
    });
}

bool Station::seek(double seconds, bool relative) {
    auto& e = *engine_;
    std::unique_lock lock(e.mutex);
    if (!e.queue.current() || !std::isfinite(seconds)) {
        return false;
    }
    const double target = std::max(relative ? e.elapsed_locked() + seconds : seconds, 0.0);
    if (!e.thread_running || e.state == PlayState::stopped || e.loaded_gen != e.change_gen) {
        // Nothing decodes this song now: it starts there when it is loaded (MPD: a seek while
        // stopped starts playing).
        if (e.state == PlayState::stopped && e.thread_running) {
            e.state = PlayState::playing;
            e.reload_locked();
        }
        e.start_position = target;
        e.dirty = true;
        e.wake_locked();
        lock.unlock();
        e.notify(event_player);
        return true;
    }
    // The decoder belongs to the station thread: ask it, and wait (briefly) for the answer.
    e.seek_target = target;
    const auto ticket = ++e.seek_requested;
    e.wake_locked();
    e.done_cv.wait_for(lock, seek_wait,
                       [&e, ticket] { return e.seek_done >= ticket || !e.thread_running; });
    const bool ok = e.seek_done >= ticket && e.seek_ok;
    e.dirty = e.dirty || ok;
    lock.unlock();
    if (ok) {
        e.notify(event_player);
    }
    return ok;
}

void Station::set_volume(double volume) {
    if (std::isfinite(volume)) {
        engine_->command(event_mixer, [volume](Engine& e) {
            e.volume = std::clamp(volume, 0.0, 1.0);
            return true;
        });
    }
}

void Station::set_modes(const PlayModes& modes) {
    engine_->command(event_options, [&modes](Engine& e) {
        e.queue.set_modes(modes);
        return true;
    });
}

void Station::set_crossfade(double seconds) {
    if (std::isfinite(seconds)) {
        engine_->command(event_options, [seconds](Engine& e) {
            e.crossfade = std::clamp(seconds, 0.0, max_crossfade);
            return true;
        });
    }
}

// ---- playlist and up-next -------------------------------------------------------------------

std::vector<QueueEntry> Station::playlist() const {
    std::lock_guard lock(engine_->mutex);
    return engine_->queue.playlist();
}

std::vector<QueueEntry> Station::playlist_changes(std::uint64_t since_version) const {
    std::lock_guard lock(engine_->mutex);
    return engine_->queue.changes_since(since_version);
}

std::vector<std::uint64_t> Station::add(const std::string& path,
                                        std::optional<std::size_t> position) {
    return engine_->append(engine_->expand(path), position, false);
}

std::size_t Station::remove(std::size_t start, std::size_t end) {
    std::size_t n = 0;
    engine_->command(event_playlist, [&](Engine& e) {
        n = e.queue.remove(start, end);
        return n > 0;
    });
    return n;
}

bool Station::remove_id(std::uint64_t id) {
    return engine_->command(event_playlist, [id](Engine& e) { return e.queue.remove_id(id); });
}

bool Station::move(std::size_t start, std::size_t end, std::size_t to) {
    return engine_->command(event_playlist,
                            [=](Engine& e) { return e.queue.move(start, end, to); });
}

bool Station::move_id(std::uint64_t id, std::size_t to) {
    return engine_->command(event_playlist, [=](Engine& e) { return e.queue.move_id(id, to); });
}

void Station::clear() {
    engine_->command(event_playlist, [](Engine& e) {
        // The song playing now plays on (detached from the playlist): no dead air.
        e.queue.clear();
        return true;
    });
}

void Station::shuffle(std::size_t start, std::size_t end) {
    engine_->command(event_playlist, [=](Engine& e) {
        e.queue.shuffle(start, end);
        return true;
    });
}

std::vector<QueueEntry> Station::up_next() const {
    std::lock_guard lock(engine_->mutex);
    return engine_->queue.up_next();
}

std::uint64_t Station::enqueue(const std::string& path, std::optional<std::size_t> position) {
    const auto ids = engine_->append(engine_->expand(path), position, true);
    return ids.empty() ? 0 : ids.front();
}

bool Station::dequeue(std::size_t index) {
    return engine_->command(event_playlist, [index](Engine& e) { return e.queue.dequeue(index); });
}

bool Station::move_up_next(std::size_t from, std::size_t to) {
    return engine_->command(event_playlist,
                            [=](Engine& e) { return e.queue.move_up_next(from, to); });
}

void Station::clear_up_next() {
    engine_->command(event_playlist, [](Engine& e) {
        e.queue.clear_up_next();
        return true;
    });
}

// ---- stored playlists and files -------------------------------------------------------------

std::vector<storage::StoredPlaylistInfo> Station::stored_playlists() const {
    return deps_.store.list_playlists(settings_.name);
}

std::optional<std::vector<std::string>> Station::stored_playlist(const std::string& name) const {
    return deps_.store.load_playlist(settings_.name, name);
}

void Station::save_playlist(const std::string& name) {
    if (name.empty() || name.size() > max_playlist_name || has_control_char(name)) {
        throw std::invalid_argument(fmt::format(
            "a playlist name must be 1 to {} bytes without control characters", max_playlist_name));
    }
    // Counting and saving under one lock: two clients cannot both take the last place.
    std::lock_guard serial(engine_->stored_playlists_mutex);
    const auto stored = deps_.store.list_playlists(settings_.name);
    const bool replaces = std::any_of(stored.begin(), stored.end(),
                                      [&name](const auto& p) { return p.name == name; });
    if (!replaces && stored.size() >= max_stored_playlists) {
        throw PlaylistLimitError(fmt::format(
            "station '{}' stores {} playlists already, the most it keeps; delete one first",
            settings_.name, stored.size()));
    }
    std::vector<std::string> paths;
    {
        std::lock_guard lock(engine_->mutex);
        const auto& list = engine_->queue.playlist();
        paths.reserve(list.size());
        for (const auto& entry : list) {
            paths.push_back(entry.path);
        }
    }
    deps_.store.save_playlist(settings_.name, name, paths);
    engine_->notify(event_stored_playlist);
}

bool Station::load_playlist(const std::string& name) {
    const auto stored = deps_.store.load_playlist(settings_.name, name);
    if (!stored) {
        return false;
    }
    std::vector<std::string> paths;
    for (const auto& p : *stored) {
        engine_->expand_into(p, paths); // songs gone from the library since are left out
    }
    engine_->append(std::move(paths), std::nullopt, false);
    return true;
}

bool Station::remove_playlist(const std::string& name) {
    const bool removed = deps_.store.remove_playlist(settings_.name, name);
    if (removed) {
        engine_->notify(event_stored_playlist);
    }
    return removed;
}

std::string Station::export_playlist(bool pls, bool absolute) const {
    const std::vector<QueueEntry> entries = playlist();
    const auto index = deps_.library->index();
    std::vector<PlaylistItem> items;
    items.reserve(entries.size());
    for (const auto& entry : entries) {
        PlaylistItem item;
        item.location = absolute ? (deps_.library->root() / entry.path).string() : entry.path;
        if (const auto track = index ? index->find(entry.path) : nullptr) {
            item.title = track->display_title();
            item.duration = track->duration > 0 ? track->duration : -1;
        }
        items.push_back(std::move(item));
    }
    return pls ? write_pls(items) : write_m3u(items);
}

Station::ImportResult Station::import_playlist(std::string_view text) {
    ImportResult result;
    std::vector<std::string> paths;
    for (const auto& item : parse_playlist(text)) {
        const auto rel = engine_->library_path(item.location);
        if (!rel || !engine_->expand_into(*rel, paths)) {
            ++result.skipped;
        }
    }
    const auto wanted = paths.size();
    result.added = engine_->append(std::move(paths), std::nullopt, false).size();
    result.skipped += wanted - result.added; // beyond the playlist's size limit
    return result;
}

// ---- state ----------------------------------------------------------------------------------

NowPlaying Station::now_playing() const {
    const auto& e = *engine_;
    const auto index = deps_.library->index();
    const auto find = [&index](const std::string& path) -> TrackPtr {
        return index ? index->find(path) : nullptr;
    };
    NowPlaying np;
    np.station = settings_.name;
    np.mount = settings_.mount;
    np.encoder = settings_.encoder;
    np.encoder.sample_rate = e.format.sample_rate;
    np.listeners = e.listeners.load(std::memory_order_relaxed);
    np.bytes_sent = e.bytes_sent.load(std::memory_order_relaxed);
    std::lock_guard lock(e.mutex);
    np.running = e.thread_running;
    np.on_air = e.on_air;
    np.state = e.state;
    if (const auto& current = e.queue.current()) {
        np.current = current->entry;
        np.position = current->position;
        np.current_track = find(current->entry.path);
        np.elapsed = e.elapsed_locked();
        if (e.announced && e.announced->entry.id == current->entry.id &&
            e.loaded_gen == e.change_gen) {
            np.duration = e.announced->duration;
            np.started_at = e.started_at;
        } else if (np.current_track) {
            np.duration = np.current_track->duration;
        }
    }
    if (settings_.next_track_command.argv.empty() || !e.queue.up_next().empty()) {
        if (const auto next = e.queue.peek_next()) {
            np.next = next->entry;
            np.next_track = find(next->entry.path);
            if (!next->from_up_next) {
                np.next_position = next->position;
            }
        }
    }
    np.playlist_length = e.queue.playlist().size();
    np.playlist_version = e.queue.version();
    np.up_next_length = e.queue.up_next().size();
    np.modes = e.queue.modes();
    np.volume = e.volume;
    np.crossfade_seconds = e.crossfade;
    np.last_error = e.last_error;
    np.open_attempts = e.open_attempts.load(std::memory_order_relaxed);
    np.open_failures = e.open_failures.load(std::memory_order_relaxed);
    return np;
}

std::uint64_t Station::subscribe(std::function<void(unsigned)> on_event) {
    auto& e = *engine_;
    std::lock_guard lock(e.subscribers_mutex);
    const auto id = e.next_subscriber++;
    e.subscribers.emplace_back(id, std::move(on_event));
    return id;
}

void Station::unsubscribe(std::uint64_t id) {
    auto& e = *engine_;
    std::lock_guard lock(e.subscribers_mutex);
    std::erase_if(e.subscribers, [id](const auto& s) { return s.first == id; });
}

} // namespace tinyice::autodj
