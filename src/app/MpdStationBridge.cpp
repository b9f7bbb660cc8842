#include "app/MpdStationBridge.hpp"

#include "protocol/mpd/Ack.hpp"
#include "protocol/mpd/Idle.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tinyice::app {

namespace pm = protocol::mpd;

MpdStationBridge::MpdStationBridge(autodj::Station& station) : station_(station) {}

mpd::Backend MpdStationBridge::backend() {
    return mpd::Backend{*this, *this, *this, *this, *this, *this};
}

unsigned MpdStationBridge::idle_events(unsigned station_events) {
    unsigned idle = 0;
    if ((station_events & autodj::event_player) != 0) {
        idle |= pm::idle_player;
    }
    if ((station_events & autodj::event_playlist) != 0) {
        idle |= pm::idle_playlist;
    }
    if ((station_events & autodj::event_options) != 0) {
        idle |= pm::idle_options;
    }
    if ((station_events & autodj::event_mixer) != 0) {
        idle |= pm::idle_mixer;
    }
    if ((station_events & autodj::event_stored_playlist) != 0) {
        idle |= pm::idle_stored_playlist;
    }
    if ((station_events & autodj::event_database) != 0) {
        idle |= pm::idle_database;
    }
    if ((station_events & autodj::event_update) != 0) {
        idle |= pm::idle_update;
    }
    return idle;
}

mpd::Song MpdStationBridge::to_song(const autodj::Track& track) {
    mpd::Song song;
    song.file = track.path;
    song.artist = track.artist;
    song.title = track.title;
    song.album = track.album;
    song.genre = track.genre;
    song.date = track.date;
    song.track = track.track_no;
    song.duration = track.duration;
    song.mtime = track.mtime;
    song.size = track.size;
    return song;
}

// ---- player -------------------------------------------------------------------------------

mpd::PlayerStatus MpdStationBridge::status() {
    const auto np = station_.now_playing();
    mpd::PlayerStatus st;
    switch (np.state) {
    case autodj::PlayState::playing:
        st.state = mpd::PlayState::play;
        break;
    case autodj::PlayState::paused:
        st.state = mpd::PlayState::pause;
        break;
    case autodj::PlayState::stopped:
        st.state = mpd::PlayState::stop;
        break;
    }
    st.volume = static_cast<int>(std::clamp(std::lround(np.volume * 100), 0L, 100L));
    st.options.random = np.modes.random;
    st.options.repeat = np.modes.repeat;
    st.options.single = np.modes.single ? mpd::SingleMode::on : mpd::SingleMode::off;
    st.options.consume = np.modes.consume;
    st.crossfade_seconds = np.crossfade_seconds;
    st.queue_version = np.playlist_version;
    st.queue_length = np.playlist_length;
    if (np.current) {
        st.current_file = np.current->path;
        if (np.position) {
            st.current_position = np.position;
            st.current_id = np.current->id;
        }
    }
    if (np.next && np.next_position) {
        // Only a song from the playlist has a queue position (not one from the up-next queue).
        st.next_position = np.next_position;
        st.next_id = np.next->id;
    }
    st.elapsed = np.elapsed;
    st.duration =
        np.duration > 0 ? np.duration : (np.current_track ? np.current_track->duration : 0.0);
    st.bitrate_kbps = static_cast<unsigned>(std::max(0, np.encoder.bitrate_kbps));
    if (np.encoder.sample_rate > 0) {
        st.audio_format = fmt::format("{}:f:{}", np.encoder.sample_rate, np.encoder.channels);
    }
    st.replay_gain = station_.settings().normalize;

    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    const bool playing = np.state == autodj::PlayState::playing;
    if (playing && was_playing_) {
        play_time_ += std::chrono::duration<double>(now - last_sample_).count();
    }
    was_playing_ = playing;
    last_sample_ = now;
    st.play_time = play_time_;
    return st;
}

bool MpdStationBridge::play(std::optional<std::size_t> position) {
    if (position) {
        return station_.jump_to(*position); // also starts playback
    }
    station_.play();
    return true;
}

bool MpdStationBridge::play_id(std::uint64_t id) {
    return station_.jump_to_id(id);
}

void MpdStationBridge::pause(std::optional<bool> paused) {
    if (!paused) {
        station_.toggle_pause();
    } else if (*paused) {
        station_.pause();
    } else {
        station_.play();
    }
}

void MpdStationBridge::stop() {
    station_.stop_playback();
}
void MpdStationBridge::next() {
    station_.next();
}
void MpdStationBridge::previous() {
    station_.previous();
}

bool MpdStationBridge::seek(double seconds, bool relative) {
    return station_.seek(seconds, relative);
}

// ---- settings -----------------------------------------------------------------------------

void MpdStationBridge::set_volume(int percent) {
    station_.set_volume(std::clamp(percent, 0, 100) / 100.0);
}

void MpdStationBridge::set_options(const mpd::PlayOptions& options) {
    autodj::PlayModes modes;
    modes.random = options.random;
    modes.repeat = options.repeat;
    modes.single = options.single != mpd::SingleMode::off;
    modes.consume = options.consume;
    station_.set_modes(modes);
}

void MpdStationBridge::set_crossfade(double seconds) {
    station_.set_crossfade(seconds);
}

// ---- queue --------------------------------------------------------------------------------

mpd::QueueSnapshot MpdStationBridge::queue() {
    mpd::QueueSnapshot q;
    // The version first: if the playlist changes in between, the client sees those changes
    // again at its next plchanges rather than missing them.
    q.version = station_.now_playing().playlist_version;
    const auto entries = station_.playlist();
    q.items.reserve(entries.size());
    for (const auto& e : entries) {
        q.items.push_back(mpd::QueueItem{e.id, e.path, e.version});
    }
    return q;
}

std::vector<std::uint64_t> MpdStationBridge::add(const std::string& uri,
                                                 std::optional<std::size_t> position) {
    try {
        return station_.add(uri, position);
    } catch (const std::invalid_argument&) {
        // Outside the library or not in it: MPD's answer for an unknown URI.
        throw pm::CommandError(pm::Ack::no_exist, "No such directory");
    }
}

std::size_t MpdStationBridge::remove(std::size_t start, std::size_t end) {
    return station_.remove(start, end);
}

bool MpdStationBridge::remove_id(std::uint64_t id) {
    return station_.remove_id(id);
}

bool MpdStationBridge::move(std::size_t start, std::size_t end, std::size_t to) {
    return station_.move(start, end, to);
}

bool MpdStationBridge::move_id(std::uint64_t id, std::size_t to) {
    return station_.move_id(id, to);
}

void MpdStationBridge::clear() {
    station_.clear();
}

void MpdStationBridge::shuffle(std::size_t start, std::size_t end) {
    station_.shuffle(start, end);
}

// ---- database -----------------------------------------------------------------------------

std::shared_ptr<const mpd::SongDatabase> MpdStationBridge::songs() {
    auto index = station_.library().index();
    std::lock_guard lock(mutex_);
    if (!songs_ || index != indexed_) {
        // Once per library change (the index is an immutable snapshot), not per request.
        std::vector<mpd::Song> converted;
        if (index) {
            converted.reserve(index->tracks().size());
            for (const auto& track : index->tracks()) {
                converted.push_back(to_song(*track));
            }
        }
        songs_ = std::make_shared<const mpd::SongDatabase>(std::move(converted));
        indexed_ = std::move(index);
    }
    return songs_;
}

std::uint64_t MpdStationBridge::update(std::string_view /*uri*/) {
    return station_.library().rescan();
}

mpd::UpdateState MpdStationBridge::update_state() {
    const auto progress = station_.library().progress();
    mpd::UpdateState state;
    if (progress.scanning) {
        state.job = progress.scan_id;
    }
    state.last_update = progress.last_scan_finished / 1000;
    return state;
}

// ---- stored playlists ---------------------------------------------------------------------

std::vector<mpd::StoredPlaylist> MpdStationBridge::list() {
    std::vector<mpd::StoredPlaylist> out;
    for (const auto& p : station_.stored_playlists()) {
        out.push_back(mpd::StoredPlaylist{p.name, p.updated_at / 1000});
    }
    return out;
}

std::optional<std::vector<std::string>> MpdStationBridge::get(const std::string& name) {
    return station_.stored_playlist(name);
}

void MpdStationBridge::save(const std::string& name) {
    try {
        station_.save_playlist(name);
    } catch (const autodj::PlaylistLimitError& e) {
        throw pm::CommandError(pm::Ack::playlist_max, e.what());
    } catch (const std::invalid_argument& e) {
        throw pm::CommandError(pm::Ack::arg, e.what());
    }
}

bool MpdStationBridge::load(const std::string& name) {
    return station_.load_playlist(name);
}

bool MpdStationBridge::remove(const std::string& name) {
    return station_.remove_playlist(name);
}

// ---- events -------------------------------------------------------------------------------

std::uint64_t MpdStationBridge::subscribe(std::function<void(unsigned)> on_event) {
    return station_.subscribe([on_event = std::move(on_event)](unsigned events) {
        if (const unsigned idle = idle_events(events); idle != 0) {
            on_event(idle);
        }
    });
}

void MpdStationBridge::unsubscribe(std::uint64_t id) {
    station_.unsubscribe(id);
}

} // namespace tinyice::app
