#pragma once
// What a station plays, as a plain model with no I/O and no threads (the Station guards it with
// its mutex): the playlist (MPD calls it "the queue"), the up-next queue of songs that play
// before the playlist continues, the current song, and the play modes.
//
// Playlist entries have ids that stay with the entry when it moves (MPD song ids) and the
// playlist has a version that increments at every change; each entry remembers the version at
// which it was added or its position last changed, so changes_since(v) answers MPD's plchanges.
//
// Choosing the next song (advance):
//   1. the head of the up-next queue (it is removed from there);
//   2. otherwise the playlist: in order, or with `random` in a shuffled order that visits every
//      entry once before any repeats (entries added later join the unplayed part; a new round
//      is reshuffled so that its first song differs from the last one played when possible);
//   3. at the end of the playlist, with `repeat` it starts over, without it advance() returns
//      nullopt (the station goes quiet until told to play).
// `single`: when the current song ends, stop (or, with `repeat`, play it again).
// `consume`: a playlist entry is removed once it has been played.
// previous() walks back through the songs actually played (a bounded history of 100).

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace tinyice::autodj {

struct QueueEntry {
    std::uint64_t id = 0;      // unique within this PlayQueue, never reused
    std::string path;          // library-relative path
    std::uint64_t version = 0; // playlist version at which it was added or last moved
    bool operator==(const QueueEntry&) const = default;
};

struct PlayModes {
    bool random = false;
    bool repeat = true;
    bool single = false;
    bool consume = false;
    bool operator==(const PlayModes&) const = default;
};

class PlayQueue {
public:
    struct Pick {
        QueueEntry entry;
        bool from_up_next = false;
        // In the playlist, when it is there (for current(): kept up to date as the playlist
        // changes; nullopt once the entry was removed).
        std::optional<std::size_t> position;
    };

    static constexpr std::size_t max_playlist_length = 100'000;
    static constexpr std::size_t max_up_next_length = 10'000;
    static constexpr std::size_t max_history = 100;

    PlayQueue();

    // ---- playlist ----------------------------------------------------------------------
    [[nodiscard]] const std::vector<QueueEntry>& playlist() const { return playlist_; }
    [[nodiscard]] std::uint64_t version() const { return version_; }
    // Inserts at `position` (clamped; default: the end). Returns the new entry's id, or 0 when
    // the playlist already holds max_playlist_length entries.
    std::uint64_t add(std::string path, std::optional<std::size_t> position = std::nullopt);
    // Inserts `paths`, in order, at `position` (clamped; default: the end) as one change: one
    // shift of the entries after it and one new version, so a large folder inserted at the top of
    // a large playlist costs one pass, not one per entry. Adds what fits under
    // max_playlist_length and returns the new ids (fewer than paths.size() when it filled up).
    std::vector<std::uint64_t> add_many(std::vector<std::string> paths,
                                        std::optional<std::size_t> position = std::nullopt);
    // Removes [start, end) (clamped); returns how many were removed. Removing the current
    // entry leaves the current song playing but detached from the playlist.
    std::size_t remove(std::size_t start, std::size_t end);
    bool remove_id(std::uint64_t id);
    // Moves [start, end) so that it starts at `to` (in the list without the range), as MPD's
    // move does. false when out of range.
    bool move(std::size_t start, std::size_t end, std::size_t to);
    bool move_id(std::uint64_t id, std::size_t to);
    void clear();
    // Shuffles the entries in [start, end) (MPD "shuffle").
    void shuffle(std::size_t start, std::size_t end);
    [[nodiscard]] std::optional<std::size_t> position_of(std::uint64_t id) const;
    // Entries added or moved after playlist version `version`, in playlist order (all of them
    // when `version` is newer than version(), e.g. a client that saw a queue before a restart).
    [[nodiscard]] std::vector<QueueEntry> changes_since(std::uint64_t version) const;

    // ---- up-next queue -------------------------------------------------------------------
    [[nodiscard]] const std::vector<QueueEntry>& up_next() const { return up_next_; }
    // Inserts at `position` (clamped; default: the end). Returns the id, or 0 when the up-next
    // queue already holds max_up_next_length entries.
    std::uint64_t enqueue(std::string path, std::optional<std::size_t> position = std::nullopt);
    // As add_many(), for the up-next queue (bounded by max_up_next_length).
    std::vector<std::uint64_t> enqueue_many(std::vector<std::string> paths,
                                            std::optional<std::size_t> position = std::nullopt);
    bool dequeue(std::size_t index);
    bool move_up_next(std::size_t from, std::size_t to);
    void clear_up_next();

    // ---- playing -------------------------------------------------------------------------
    [[nodiscard]] const PlayModes& modes() const { return modes_; }
    void set_modes(const PlayModes& modes);
    // The song playing now (nullopt when stopped at the end or never started).
    [[nodiscard]] const std::optional<Pick>& current() const { return current_; }
    // The playlist position of the current song, if it is (still) in the playlist.
    [[nodiscard]] std::optional<std::size_t> current_position() const;

    // Makes the next song current (rules above) and returns it; nullopt when there is none.
    std::optional<Pick> advance();
    // What advance() would pick now, without changing anything.
    [[nodiscard]] std::optional<Pick> peek_next() const;
    // The current song ended by itself (not skipped): applies consume; with single (and no
    // repeat) returns false, meaning "stop instead of advancing".
    bool finished_current();
    // Goes back to the previously played song (or the previous playlist entry when there is
    // no history); nullopt when there is nothing before. The song left is what the next
    // advance() returns when it came from up-next or was picked at random, so previous then
    // next comes back to it.
    std::optional<Pick> previous();
    // Plays playlist entry `position` / `id` next, now.
    std::optional<Pick> jump_to(std::size_t position);
    std::optional<Pick> jump_to_id(std::uint64_t id);
    // Forgets the current song (stop); the next advance() starts from the playlist position
    // after the one stopped at (or the start).
    void stop();

    // ---- persistence ---------------------------------------------------------------------
    // Everything above including the shuffle order and the current song, so a restart resumes
    // where it left off (only the random generator is not kept: shuffle rounds after the
    // current one are drawn afresh). from_json() accepts anything to_json() produced and ignores
    // entries it cannot read (returns an empty queue for garbage).
    [[nodiscard]] boost::json::value to_json() const;
    static PlayQueue from_json(const boost::json::value& v);

private:
    // Marks the entries in [from, to) (clamped) as changed at a new version.
    void touch(std::size_t from, std::size_t to);
    // What advance() would do now. When it has to start a new shuffle round, the round is
    // drawn from `rng` into `round`, so advance() can keep it and peek_next() can discard it.
    std::optional<Pick> choose(std::mt19937_64& rng, std::vector<std::uint64_t>& round) const;
    std::vector<std::uint64_t> new_round(std::mt19937_64& rng) const;
    void rebuild_order();
    // Keeps the position of the current song and the continuation point right after the
    // playlist changed.
    void after_playlist_change();
    void make_current(Pick pick);
    void remember(const Pick& pick); // appends to the history
    [[nodiscard]] Pick playlist_pick(std::size_t position) const;
    [[nodiscard]] std::optional<std::uint64_t> last_played_id() const;

    std::vector<QueueEntry> playlist_;
    std::vector<QueueEntry> up_next_;
    std::uint64_t version_ = 1;
    std::uint64_t next_id_ = 1;
    PlayModes modes_;
    std::optional<Pick> current_;
    // The playlist entry that playback in order continues after (the last one played, or the
    // one before a removed range that held it); none = continue at the start.
    std::optional<std::uint64_t> anchor_;
    std::vector<std::uint64_t> order_;  // random: ids not yet played this round, next first
    std::vector<std::uint64_t> played_; // random: ids already played this round
    std::vector<Pick> history_;         // songs played before the current one, newest last
    bool repeat_current_ = false;       // single + repeat: the song that ended plays again
    std::mt19937_64 rng_;
};

} // namespace tinyice::autodj
