#pragma once
// Lets an MPD server control an AutoDJ station: implements the MPD backend interfaces
// (src/mpd/Backend.hpp) on top of autodj::Station and its Library. A thin mapping; app/ is the
// only place that knows both sides.
//
//   MPD                                  Station
//   queue ("current playlist")           playlist (ids, versions and positions carry over)
//   play/pause/stop/next/previous/seek   the transport methods of the same names
//   setvol 0..100                        set_volume 0..1
//   random/repeat/single/consume         PlayModes (single "oneshot" is treated as single on)
//   database                             the Library's index, converted once per change
//   update / rescan                      Library::rescan (the whole folder; the URI is checked
//                                        by the server but a rescan is always incremental)
//   stored playlists                     the station's stored playlists
//   idle events                          Station::subscribe (autodj::Event bits)
//
// Thread-safe; the MPD server calls it from its strand.

#include "autodj/Station.hpp"
#include "mpd/Backend.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

namespace tinyice::app {

class MpdStationBridge final : public mpd::Player,
                               public mpd::PlayerSettings,
                               public mpd::Queue,
                               public mpd::Database,
                               public mpd::StoredPlaylists,
                               public mpd::EventSource {
public:
    explicit MpdStationBridge(autodj::Station& station);

    // Every role of the MPD backend, for mpd::MpdServer's constructor.
    [[nodiscard]] mpd::Backend backend();

    // ---- mpd::Player --------------------------------------------------------------------
    [[nodiscard]] mpd::PlayerStatus status() override;
    bool play(std::optional<std::size_t> position) override;
    bool play_id(std::uint64_t id) override;
    void pause(std::optional<bool> paused) override;
    void stop() override;
    void next() override;
    void previous() override;
    bool seek(double seconds, bool relative) override;

    // ---- mpd::PlayerSettings ------------------------------------------------------------
    void set_volume(int percent) override;
    void set_options(const mpd::PlayOptions& options) override;
    void set_crossfade(double seconds) override;

    // ---- mpd::Queue ---------------------------------------------------------------------
    [[nodiscard]] mpd::QueueSnapshot queue() override;
    std::vector<std::uint64_t> add(const std::string& uri,
                                   std::optional<std::size_t> position) override;
    std::size_t remove(std::size_t start, std::size_t end) override;
    bool remove_id(std::uint64_t id) override;
    bool move(std::size_t start, std::size_t end, std::size_t to) override;
    bool move_id(std::uint64_t id, std::size_t to) override;
    void clear() override;
    void shuffle(std::size_t start, std::size_t end) override;

    // ---- mpd::Database ------------------------------------------------------------------
    [[nodiscard]] std::shared_ptr<const mpd::SongDatabase> songs() override;
    std::uint64_t update(std::string_view uri) override;
    [[nodiscard]] mpd::UpdateState update_state() override;

    // ---- mpd::StoredPlaylists -----------------------------------------------------------
    [[nodiscard]] std::vector<mpd::StoredPlaylist> list() override;
    [[nodiscard]] std::optional<std::vector<std::string>> get(const std::string& name) override;
    void save(const std::string& name) override;
    bool load(const std::string& name) override;
    bool remove(const std::string& name) override;

    // ---- mpd::EventSource ---------------------------------------------------------------
    std::uint64_t subscribe(std::function<void(unsigned)> on_event) override;
    void unsubscribe(std::uint64_t id) override;

    // autodj::Event bits -> protocol::mpd::Idle bits.
    [[nodiscard]] static unsigned idle_events(unsigned station_events);
    [[nodiscard]] static mpd::Song to_song(const autodj::Track& track);

private:
    using Clock = std::chrono::steady_clock;

    autodj::Station& station_;

    std::mutex mutex_;
    // The database snapshot and the library index it was made from.
    std::shared_ptr<const autodj::LibraryIndex> indexed_;
    std::shared_ptr<const mpd::SongDatabase> songs_;
    // MPD's "playtime" stat, sampled at each status(): time between two samples that both
    // found the station playing counts as played.
    double play_time_ = 0;
    bool was_playing_ = false;
    Clock::time_point last_sample_ = Clock::now();
};

} // namespace tinyice::app
