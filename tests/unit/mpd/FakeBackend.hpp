#pragma once
// An in-memory MPD backend for the server tests: a queue, a simple player, a song database,
// stored playlists and change events, guarded by one mutex (the server calls it from its
// io thread while the test inspects it from the main thread).

#include "mpd/Backend.hpp"
#include "protocol/mpd/Ack.hpp"
#include "protocol/mpd/Idle.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace tinyice::mpd::testing {

namespace pm = protocol::mpd;

inline std::vector<Song> test_songs() {
    auto song = [](std::string file, std::string artist, std::string album, std::string title,
                   double duration) {
        Song s;
        s.file = std::move(file);
        s.artist = std::move(artist);
        s.album = std::move(album);
        s.title = std::move(title);
        s.duration = duration;
        s.mtime = 1600000000;
        s.size = 1000;
        return s;
    };
    std::vector<Song> songs;
    songs.push_back(
        song("Jazz/Miles Davis/So What.mp3", "Miles Davis", "Kind of Blue", "So What", 562.5));
    songs.back().genre = "Jazz";
    songs.back().date = "1959";
    songs.back().track = "1";
    songs.push_back(song("Jazz/Miles Davis/Blue in Green.mp3", "Miles Davis", "Kind of Blue",
                         "Blue in Green", 337));
    songs.push_back(song("Jazz/Coltrane/Naima.flac", "John Coltrane", "Giant Steps", "Naima", 261));
    songs.push_back(song("Rock/Queen/Bohemian Rhapsody.mp3", "Queen", "A Night at the Opera",
                         "Bohemian Rhapsody", 354));
    songs.back().genre = "Rock";
    songs.push_back(song("Rock/Queen/Love of My Life.mp3", "Queen", "A Night at the Opera",
                         "Love of My Life", 219));
    songs.back().genre = "Rock";
    songs.push_back(song("top.ogg", "", "", "Top Level", 10));
    return songs;
}

class FakeBackend : public Player,
                    public PlayerSettings,
                    public Queue,
                    public Database,
                    public StoredPlaylists,
                    public EventSource {
public:
    explicit FakeBackend(std::vector<Song> songs = test_songs())
        : db_(std::make_shared<SongDatabase>(std::move(songs))) {}

    Backend backend() { return Backend{*this, *this, *this, *this, *this, *this}; }

    // ---- Player ---------------------------------------------------------------------------
    PlayerStatus status() override {
        std::lock_guard lock(mutex_);
        PlayerStatus st;
        st.state = state_;
        st.volume = volume_;
        st.options = options_;
        st.crossfade_seconds = crossfade_;
        st.queue_version = version_;
        st.queue_length = items_.size();
        if (current_ && *current_ < items_.size()) {
            st.current_file = items_[*current_].file;
            st.current_position = *current_;
            st.current_id = items_[*current_].id;
            if (*current_ + 1 < items_.size()) {
                st.next_position = *current_ + 1;
                st.next_id = items_[*current_ + 1].id;
            }
            if (const auto* song = db_->find(st.current_file)) {
                st.duration = song->duration;
            }
        }
        st.elapsed = elapsed_;
        st.bitrate_kbps = 128;
        st.audio_format = "44100:f:2";
        return st;
    }
    bool play(std::optional<std::size_t> position) override {
        {
            std::lock_guard lock(mutex_);
            if (position && *position >= items_.size()) {
                return false;
            }
            if (position) {
                current_ = position;
                elapsed_ = 0;
            } else if (!current_ && !items_.empty()) {
                current_ = 0;
            }
            if (!current_) {
                return true; // nothing to play: stays stopped, like MPD
            }
            state_ = PlayState::play;
        }
        emit(pm::idle_player);
        return true;
    }
    bool play_id(std::uint64_t id) override {
        std::optional<std::size_t> pos;
        {
            std::lock_guard lock(mutex_);
            pos = position_of(id);
        }
        return pos && play(pos);
    }
    void pause(std::optional<bool> paused) override {
        {
            std::lock_guard lock(mutex_);
            const bool now_paused = paused.value_or(state_ == PlayState::play);
            if (state_ != PlayState::stop) {
                state_ = now_paused ? PlayState::pause : PlayState::play;
            }
        }
        emit(pm::idle_player);
    }
    void stop() override {
        {
            std::lock_guard lock(mutex_);
            state_ = PlayState::stop;
            elapsed_ = 0;
        }
        emit(pm::idle_player);
    }
    void next() override {
        {
            std::lock_guard lock(mutex_);
            if (current_ && *current_ + 1 < items_.size()) {
                ++*current_;
            } else {
                current_.reset();
                state_ = PlayState::stop;
            }
            elapsed_ = 0;
        }
        emit(pm::idle_player);
    }
    void previous() override {
        {
            std::lock_guard lock(mutex_);
            if (current_ && *current_ > 0) {
                --*current_;
            }
            elapsed_ = 0;
        }
        emit(pm::idle_player);
    }
    bool seek(double seconds, bool relative) override {
        {
            std::lock_guard lock(mutex_);
            if (!current_) {
                return false;
            }
            elapsed_ = std::max(0.0, relative ? elapsed_ + seconds : seconds);
        }
        emit(pm::idle_player);
        return true;
    }

    // ---- PlayerSettings -------------------------------------------------------------------
    void set_volume(int percent) override {
        {
            std::lock_guard lock(mutex_);
            volume_ = percent;
        }
        emit(pm::idle_mixer);
    }
    void set_options(const PlayOptions& options) override {
        {
            std::lock_guard lock(mutex_);
            options_ = options;
        }
        emit(pm::idle_options);
    }
    void set_crossfade(double seconds) override {
        {
            std::lock_guard lock(mutex_);
            crossfade_ = seconds;
        }
        emit(pm::idle_options);
    }

    // ---- Queue ----------------------------------------------------------------------------
    QueueSnapshot queue() override {
        std::lock_guard lock(mutex_);
        return QueueSnapshot{version_, items_};
    }
    std::vector<std::uint64_t> add(const std::string& uri,
                                   std::optional<std::size_t> position) override {
        std::vector<std::uint64_t> ids;
        {
            std::lock_guard lock(mutex_);
            std::vector<std::string> files;
            if (const auto* song = db_->find(uri)) {
                files.push_back(song->file);
            } else if (db_->is_directory(uri)) {
                for (const auto& s : db_->under(uri)) {
                    files.push_back(s.file);
                }
            } else {
                throw pm::CommandError(pm::Ack::no_exist, "No such directory");
            }
            auto pos = std::min(position.value_or(items_.size()), items_.size());
            const auto first = pos;
            ++version_;
            for (auto& f : files) {
                items_.insert(items_.begin() + static_cast<std::ptrdiff_t>(pos),
                              QueueItem{next_id_, f, version_});
                ids.push_back(next_id_++);
                ++pos;
            }
            touch_from(first);
        }
        emit(pm::idle_playlist);
        return ids;
    }
    std::size_t remove(std::size_t start, std::size_t end) override {
        std::size_t n = 0;
        {
            std::lock_guard lock(mutex_);
            end = std::min(end, items_.size());
            if (start >= end) {
                return 0;
            }
            items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(start),
                         items_.begin() + static_cast<std::ptrdiff_t>(end));
            n = end - start;
            ++version_;
            touch_from(start);
        }
        emit(pm::idle_playlist);
        return n;
    }
    bool remove_id(std::uint64_t id) override {
        std::optional<std::size_t> pos;
        {
            std::lock_guard lock(mutex_);
            pos = position_of(id);
        }
        return pos && remove(*pos, *pos + 1) == 1;
    }
    bool move(std::size_t start, std::size_t end, std::size_t to) override {
        {
            std::lock_guard lock(mutex_);
            if (start >= end || end > items_.size() || to + (end - start) > items_.size()) {
                return false;
            }
            std::vector<QueueItem> range(items_.begin() + static_cast<std::ptrdiff_t>(start),
                                         items_.begin() + static_cast<std::ptrdiff_t>(end));
            items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(start),
                         items_.begin() + static_cast<std::ptrdiff_t>(end));
            items_.insert(items_.begin() + static_cast<std::ptrdiff_t>(to), range.begin(),
                          range.end());
            ++version_;
            touch_from(std::min(start, to));
        }
        emit(pm::idle_playlist);
        return true;
    }
    bool move_id(std::uint64_t id, std::size_t to) override {
        std::optional<std::size_t> pos;
        {
            std::lock_guard lock(mutex_);
            pos = position_of(id);
        }
        return pos && move(*pos, *pos + 1, to);
    }
    void clear() override {
        {
            std::lock_guard lock(mutex_);
            items_.clear();
            current_.reset();
            state_ = PlayState::stop;
            ++version_;
        }
        emit(pm::idle_playlist | pm::idle_player);
    }
    void shuffle(std::size_t start, std::size_t end) override {
        {
            std::lock_guard lock(mutex_);
            // Deterministic "shuffle" for tests: reverse the range.
            end = std::min(end, items_.size());
            if (start < end) {
                std::reverse(items_.begin() + static_cast<std::ptrdiff_t>(start),
                             items_.begin() + static_cast<std::ptrdiff_t>(end));
            }
            ++version_;
            touch_from(start);
        }
        emit(pm::idle_playlist);
    }

    // ---- Database -------------------------------------------------------------------------
    std::shared_ptr<const SongDatabase> songs() override {
        std::lock_guard lock(mutex_);
        return db_;
    }
    std::uint64_t update(std::string_view uri) override {
        std::uint64_t job = 0;
        {
            std::lock_guard lock(mutex_);
            last_update_uri_ = std::string(uri);
            job = ++job_;
            updating_ = true;
        }
        emit(pm::idle_update);
        return job;
    }
    UpdateState update_state() override {
        std::lock_guard lock(mutex_);
        UpdateState u;
        if (updating_) {
            u.job = job_;
        }
        u.last_update = 1700000000;
        return u;
    }
    void finish_update() {
        {
            std::lock_guard lock(mutex_);
            updating_ = false;
        }
        emit(pm::idle_update | pm::idle_database);
    }

    // ---- StoredPlaylists ------------------------------------------------------------------
    std::vector<StoredPlaylist> list() override {
        std::lock_guard lock(mutex_);
        std::vector<StoredPlaylist> out;
        for (const auto& [name, files] : playlists_) {
            out.push_back(StoredPlaylist{name, 1650000000});
        }
        return out;
    }
    std::optional<std::vector<std::string>> get(const std::string& name) override {
        std::lock_guard lock(mutex_);
        const auto it = playlists_.find(name);
        if (it == playlists_.end()) {
            return std::nullopt;
        }
        return it->second;
    }
    void save(const std::string& name) override {
        {
            std::lock_guard lock(mutex_);
            auto& files = playlists_[name];
            files.clear();
            for (const auto& item : items_) {
                files.push_back(item.file);
            }
        }
        emit(pm::idle_stored_playlist);
    }
    bool load(const std::string& name) override {
        const auto files = get(name);
        if (!files) {
            return false;
        }
        for (const auto& f : *files) {
            if (songs()->find(f) != nullptr) {
                add(f, std::nullopt);
            }
        }
        return true;
    }
    bool remove(const std::string& name) override {
        {
            std::lock_guard lock(mutex_);
            if (playlists_.erase(name) == 0) {
                return false;
            }
        }
        emit(pm::idle_stored_playlist);
        return true;
    }
    void put_playlist(const std::string& name, std::vector<std::string> files) {
        std::lock_guard lock(mutex_);
        playlists_[name] = std::move(files);
    }

    // ---- EventSource ----------------------------------------------------------------------
    std::uint64_t subscribe(std::function<void(unsigned)> on_event) override {
        std::lock_guard lock(mutex_);
        subscribers_[next_subscriber_] = std::move(on_event);
        return next_subscriber_++;
    }
    void unsubscribe(std::uint64_t id) override {
        std::lock_guard lock(mutex_);
        subscribers_.erase(id);
    }
    void emit(unsigned mask) {
        std::vector<std::function<void(unsigned)>> targets;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [id, fn] : subscribers_) {
                targets.push_back(fn);
            }
        }
        for (const auto& fn : targets) {
            fn(mask);
        }
    }
    std::size_t subscribers() {
        std::lock_guard lock(mutex_);
        return subscribers_.size();
    }

    // ---- inspection -----------------------------------------------------------------------
    std::vector<std::string> files() {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const auto& item : items_) {
            out.push_back(item.file);
        }
        return out;
    }
    PlayState state() {
        std::lock_guard lock(mutex_);
        return state_;
    }
    std::optional<std::size_t> current() {
        std::lock_guard lock(mutex_);
        return current_;
    }
    int volume() {
        std::lock_guard lock(mutex_);
        return volume_;
    }
    PlayOptions options() {
        std::lock_guard lock(mutex_);
        return options_;
    }
    double elapsed() {
        std::lock_guard lock(mutex_);
        return elapsed_;
    }
    std::uint64_t update_jobs() {
        std::lock_guard lock(mutex_);
        return job_;
    }

private:
    std::optional<std::size_t> position_of(std::uint64_t id) const {
        for (std::size_t i = 0; i < items_.size(); ++i) {
            if (items_[i].id == id) {
                return i;
            }
        }
        return std::nullopt;
    }
    void touch_from(std::size_t pos) {
        for (std::size_t i = pos; i < items_.size(); ++i) {
            items_[i].version = version_;
        }
    }

    std::mutex mutex_;
    std::shared_ptr<const SongDatabase> db_;
    std::vector<QueueItem> items_;
    std::uint64_t version_ = 1;
    std::uint64_t next_id_ = 1;
    PlayState state_ = PlayState::stop;
    std::optional<std::size_t> current_;
    double elapsed_ = 0;
    int volume_ = 50;
    PlayOptions options_{false, true, SingleMode::off, false};
    double crossfade_ = 0;
    std::uint64_t job_ = 0;
    bool updating_ = false;
    std::string last_update_uri_;
    std::map<std::string, std::vector<std::string>> playlists_;
    std::map<std::uint64_t, std::function<void(unsigned)>> subscribers_;
    std::uint64_t next_subscriber_ = 1;
};

} // namespace tinyice::mpd::testing
