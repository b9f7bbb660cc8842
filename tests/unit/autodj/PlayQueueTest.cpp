#include "autodj/PlayQueue.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace tinyice::autodj {
namespace {

namespace json = boost::json;

std::string song(std::size_t i) {
    return "music/song" + std::to_string(i) + ".mp3";
}

PlayQueue make_queue(std::size_t n, PlayModes modes = {}) {
    PlayQueue q;
    q.set_modes(modes);
    for (std::size_t i = 0; i < n; ++i) {
        q.add(song(i));
    }
    return q;
}

std::vector<std::string> paths(const std::vector<QueueEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) {
        out.push_back(e.path);
    }
    return out;
}

bool same_pick(const std::optional<PlayQueue::Pick>& a, const std::optional<PlayQueue::Pick>& b) {
    if (a.has_value() != b.has_value()) {
        return false;
    }
    return !a || (a->entry.id == b->entry.id && a->entry.path == b->entry.path &&
                  a->from_up_next == b->from_up_next && a->position == b->position);
}

std::string describe(const std::optional<PlayQueue::Pick>& p) {
    if (!p) {
        return "none";
    }
    return p->entry.path + " id " + std::to_string(p->entry.id) +
           (p->from_up_next ? " up-next" : "") +
           (p->position ? " at " + std::to_string(*p->position) : " detached");
}

// advance(), after checking that peek_next() announced exactly that.
std::optional<PlayQueue::Pick> checked_advance(PlayQueue& q) {
    const auto expected = q.peek_next();
    auto got = q.advance();
    EXPECT_TRUE(same_pick(expected, got))
        << "peek_next said " << describe(expected) << ", advance gave " << describe(got);
    return got;
}

// The invariants every operation must keep.
void expect_consistent(const PlayQueue& q) {
    std::set<std::uint64_t> ids;
    for (const auto& e : q.playlist()) {
        EXPECT_NE(e.id, 0U);
        EXPECT_TRUE(ids.insert(e.id).second) << "duplicate id " << e.id;
        EXPECT_LE(e.version, q.version());
    }
    for (const auto& e : q.up_next()) {
        EXPECT_TRUE(ids.insert(e.id).second) << "duplicate id " << e.id;
    }
    if (q.current()) {
        EXPECT_EQ(q.current_position(), q.position_of(q.current()->entry.id));
        EXPECT_EQ(q.current()->position, q.current_position());
        if (q.current_position()) {
            EXPECT_EQ(q.playlist()[*q.current_position()].id, q.current()->entry.id);
        }
    } else {
        EXPECT_FALSE(q.current_position());
    }
}

// ---- playlist editing ------------------------------------------------------------------------

TEST(PlayQueueTest, AddGivesUniqueIdsAndBumpsTheVersion) {
    PlayQueue q;
    const auto v0 = q.version();
    const auto a = q.add("a.mp3");
    const auto b = q.add("b.mp3");
    const auto c = q.add("c.mp3", 0);
    EXPECT_NE(a, 0U);
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
    EXPECT_EQ(q.version(), v0 + 3);
    EXPECT_EQ(paths(q.playlist()), (std::vector<std::string>{"c.mp3", "a.mp3", "b.mp3"}));
    EXPECT_EQ(q.position_of(c), 0U);
    EXPECT_EQ(q.position_of(a), 1U);
    EXPECT_FALSE(q.position_of(999));
    // A position past the end is clamped.
    q.add("d.mp3", 100);
    EXPECT_EQ(q.playlist().back().path, "d.mp3");
}

TEST(PlayQueueTest, IdsAreNeverReused) {
    PlayQueue q;
    const auto a = q.add("a.mp3");
    q.remove_id(a);
    q.clear();
    const auto up = q.enqueue("u.mp3");
    const auto b = q.add("b.mp3");
    EXPECT_GT(up, a);
    EXPECT_GT(b, up);
}

TEST(PlayQueueTest, RemoveRangesAreClamped) {
    auto q = make_queue(5);
    EXPECT_EQ(q.remove(3, 100), 2U);
    EXPECT_EQ(q.remove(4, 5), 0U);
    EXPECT_EQ(q.remove(2, 1), 0U);
    EXPECT_EQ(paths(q.playlist()), (std::vector<std::string>{song(0), song(1), song(2)}));
    EXPECT_TRUE(q.remove_id(q.playlist()[1].id));
    EXPECT_FALSE(q.remove_id(12345));
    EXPECT_EQ(paths(q.playlist()), (std::vector<std::string>{song(0), song(2)}));
}

TEST(PlayQueueTest, MoveFollowsMpdSemantics) {
    auto q = make_queue(5); // 0 1 2 3 4
    const auto ids_before = q.playlist();
    // [1, 3) starts at position 2 of the list without it (0 3 4): 0 3 1 2 4.
    ASSERT_TRUE(q.move(1, 3, 2));
    EXPECT_EQ(paths(q.playlist()),
              (std::vector<std::string>{song(0), song(3), song(1), song(2), song(4)}));
    // Ids travel with their entries.
    EXPECT_EQ(q.playlist()[2].id, ids_before[1].id);
    EXPECT_EQ(q.playlist()[1].id, ids_before[3].id);
    // Backwards: the last one to the front.
    ASSERT_TRUE(q.move(4, 5, 0));
    EXPECT_EQ(paths(q.playlist()),
              (std::vector<std::string>{song(4), song(0), song(3), song(1), song(2)}));
    ASSERT_TRUE(q.move_id(ids_before[4].id, 4));
    EXPECT_EQ(q.playlist().back().path, song(4));
    EXPECT_TRUE(q.move(2, 3, 2)); // onto itself
    EXPECT_FALSE(q.move(3, 2, 0));
    EXPECT_FALSE(q.move(0, 6, 0));
    EXPECT_FALSE(q.move(0, 2, 4)); // would run past the end
    EXPECT_FALSE(q.move_id(ids_before[0].id, 5));
    EXPECT_FALSE(q.move_id(999, 0));
    EXPECT_EQ(q.playlist().size(), 5U);
}

TEST(PlayQueueTest, MovesAndRemovesKeepTheCurrentPosition) {
    auto q = make_queue(6);
    const auto current_id = q.playlist()[2].id;
    ASSERT_TRUE(q.jump_to(2));
    ASSERT_TRUE(q.move(0, 1, 5)); // 1 2 3 4 5 0
    EXPECT_EQ(q.current_position(), 1U);
    ASSERT_TRUE(q.move_id(current_id, 4)); // 1 3 4 5 2 0
    EXPECT_EQ(q.current_position(), 4U);
    q.add("new.mp3", 0); // new 1 3 4 5 2 0
    EXPECT_EQ(q.current_position(), 5U);
    EXPECT_EQ(q.remove(0, 2), 2U); // 3 4 5 2 0
    EXPECT_EQ(q.current_position(), 3U);
    EXPECT_EQ(q.current()->entry.id, current_id);
    expect_consistent(q);
}

TEST(PlayQueueTest, RemovingTheCurrentSongDetachesItAndPlaybackContinuesInItsPlace) {
    auto q = make_queue(5);
    q.jump_to(1);
    const auto playing = q.current()->entry;
    EXPECT_EQ(q.remove(1, 3), 2U); // 0 3 4
    ASSERT_TRUE(q.current());
    EXPECT_EQ(q.current()->entry.path, playing.path);
    EXPECT_FALSE(q.current_position());
    EXPECT_FALSE(q.current()->position);
    const auto next = checked_advance(q);
    ASSERT_TRUE(next);
    EXPECT_EQ(next->entry.path, song(3));
    EXPECT_EQ(next->position, 1U);
}

TEST(PlayQueueTest, RemovingTheCurrentSongAtTheStartContinuesAtTheStart) {
    auto q = make_queue(3);
    q.advance();
    q.remove(0, 1);
    EXPECT_EQ(checked_advance(q)->entry.path, song(1));
}

TEST(PlayQueueTest, ClearKeepsTheCurrentSongDetached) {
    auto q = make_queue(3);
    q.advance();
    q.clear();
    EXPECT_TRUE(q.playlist().empty());
    ASSERT_TRUE(q.current());
    EXPECT_FALSE(q.current_position());
    PlayModes modes;
    modes.repeat = true;
    q.set_modes(modes);
    EXPECT_FALSE(checked_advance(q));
    q.add("x.mp3");
    EXPECT_EQ(checked_advance(q)->entry.path, "x.mp3");
}

TEST(PlayQueueTest, ShuffleKeepsEntriesAndPutsThePlayingSongFirst) {
    auto q = make_queue(20);
    q.jump_to(7);
    const auto playing = q.current()->entry.id;
    const auto before = q.playlist();
    q.shuffle(5, 15);
    const auto& after = q.playlist();
    ASSERT_EQ(after.size(), before.size());
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(after[i].id, before[i].id);
        EXPECT_EQ(after[i + 15].id, before[i + 15].id);
    }
    std::multiset<std::uint64_t> a;
    std::multiset<std::uint64_t> b;
    for (std::size_t i = 5; i < 15; ++i) {
        a.insert(before[i].id);
        b.insert(after[i].id);
    }
    EXPECT_EQ(a, b);
    EXPECT_EQ(after[5].id, playing);
    EXPECT_EQ(q.current_position(), 5U);
    EXPECT_EQ(checked_advance(q)->position, 6U);
}

TEST(PlayQueueTest, ChangesSinceReportsAddedAndMovedEntries) {
    auto q = make_queue(5);
    const auto v = q.version();
    EXPECT_TRUE(q.changes_since(v).empty());
    EXPECT_EQ(q.changes_since(0).size(), 5U);

    q.add("end.mp3");
    auto changed = q.changes_since(v);
    ASSERT_EQ(changed.size(), 1U);
    EXPECT_EQ(changed[0].path, "end.mp3");

    const auto v2 = q.version();
    ASSERT_TRUE(q.move(1, 2, 3)); // 0 2 3 1 4 end: positions 1..3 changed
    changed = q.changes_since(v2);
    EXPECT_EQ(paths(changed), (std::vector<std::string>{song(2), song(3), song(1)}));

    const auto v3 = q.version();
    q.remove(3, 4); // 0 2 3 4 end: everything from 3 shifted
    EXPECT_EQ(paths(q.changes_since(v3)), (std::vector<std::string>{song(4), "end.mp3"}));
    EXPECT_GT(q.version(), v3);

    // A version from the future (a client that saw a queue before a restart): everything.
    EXPECT_EQ(q.changes_since(q.version() + 10).size(), q.playlist().size());

    const auto v4 = q.version();
    q.clear();
    EXPECT_GT(q.version(), v4);
    EXPECT_TRUE(q.changes_since(v4).empty());
}

TEST(PlayQueueTest, ThePlaylistIsBounded) {
    PlayQueue q;
    for (std::size_t i = 0; i < PlayQueue::max_playlist_length; ++i) {
        ASSERT_NE(q.add("x.mp3"), 0U);
    }
    EXPECT_EQ(q.add("one-too-many.mp3"), 0U);
    EXPECT_EQ(q.playlist().size(), PlayQueue::max_playlist_length);
    for (std::size_t i = 0; i < PlayQueue::max_up_next_length; ++i) {
        ASSERT_NE(q.enqueue("u.mp3"), 0U);
    }
    EXPECT_EQ(q.enqueue("one-too-many.mp3"), 0U);
}

TEST(PlayQueueTest, AddManyInsertsInOrderAsOneChange) {
    auto q = make_queue(4);
    ASSERT_TRUE(q.jump_to(2));
    const auto v0 = q.version();
    const auto ids = q.add_many({"x.mp3", "y.mp3", "z.mp3"}, 1);
    ASSERT_EQ(ids.size(), 3U);
    EXPECT_LT(ids[0], ids[1]);
    EXPECT_LT(ids[1], ids[2]);
    EXPECT_EQ(q.version(), v0 + 1);
    EXPECT_EQ(paths(q.playlist()), (std::vector<std::string>{song(0), "x.mp3", "y.mp3", "z.mp3",
                                                             song(1), song(2), song(3)}));
    EXPECT_EQ(q.position_of(ids[1]), 2U);
    // The playing song moved down by three; what is before the insertion did not change.
    EXPECT_EQ(q.current_position(), 5U);
    EXPECT_EQ(paths(q.changes_since(v0)),
              (std::vector<std::string>{"x.mp3", "y.mp3", "z.mp3", song(1), song(2), song(3)}));
    expect_consistent(q);
    // Clamped to the end; nothing to add is no change.
    EXPECT_EQ(q.add_many({"end.mp3"}, 100).size(), 1U);
    EXPECT_EQ(q.playlist().back().path, "end.mp3");
    const auto v1 = q.version();
    EXPECT_TRUE(q.add_many({}, 0).empty());
    EXPECT_EQ(q.version(), v1);
    // Playback in order continues after the playing song.
    EXPECT_EQ(checked_advance(q)->entry.path, song(3));
}

TEST(PlayQueueTest, AddManyJoinsTheUnplayedPartOfARandomRound) {
    auto q = make_queue(3, PlayModes{true, false, false, false});
    checked_advance(q);
    q.add_many({"x.mp3", "y.mp3"}, 0);
    expect_consistent(q);
    std::set<std::string> rest;
    while (const auto pick = checked_advance(q)) {
        rest.insert(pick->entry.path);
    }
    EXPECT_EQ(rest.size(), 4U); // the two left of the round and the two added, once each
    EXPECT_TRUE(rest.contains("x.mp3"));
    EXPECT_TRUE(rest.contains("y.mp3"));
}

TEST(PlayQueueTest, AddManyStopsAtTheLimits) {
    PlayQueue q;
    q.add_many(std::vector<std::string>(PlayQueue::max_playlist_length - 2, "x.mp3"));
    const auto ids = q.add_many({"a.mp3", "b.mp3", "c.mp3"}, 0);
    EXPECT_EQ(ids.size(), 2U);
    EXPECT_EQ(q.playlist().size(), PlayQueue::max_playlist_length);
    EXPECT_EQ(q.playlist()[1].path, "b.mp3");
    EXPECT_TRUE(q.add_many({"d.mp3"}).empty());

    q.enqueue_many(std::vector<std::string>(PlayQueue::max_up_next_length - 1, "u.mp3"));
    const auto queued = q.enqueue_many({"v.mp3", "w.mp3"}, 0);
    ASSERT_EQ(queued.size(), 1U);
    EXPECT_EQ(q.up_next().front().path, "v.mp3");
    EXPECT_EQ(q.up_next().size(), PlayQueue::max_up_next_length);
}

TEST(PlayQueueTest, EnqueueManyInsertsInOrder) {
    PlayQueue q;
    q.enqueue_many({"a", "b"});
    const auto ids = q.enqueue_many({"c", "d"}, 1);
    ASSERT_EQ(ids.size(), 2U);
    EXPECT_EQ(paths(q.up_next()), (std::vector<std::string>{"a", "c", "d", "b"}));
    expect_consistent(q);
}

// A big folder inserted at the top of a big playlist is one shift of the vector, not one per
// entry (that was quadratic, under the station's lock, for seconds).
TEST(PlayQueueTest, AddManyAtTheStartOfALargePlaylistIsFast) {
    PlayQueue q;
    std::vector<std::string> initial;
    for (std::size_t i = 0; i < 50'000; ++i) {
        initial.push_back(song(i));
    }
    q.add_many(std::move(initial));
    q.jump_to(49'999);
    std::vector<std::string> folder;
    for (std::size_t i = 0; i < 20'000; ++i) {
        folder.push_back("folder/" + std::to_string(i) + ".mp3");
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto ids = q.add_many(std::move(folder), 0);
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(ids.size(), 20'000U);
    EXPECT_LT(took, std::chrono::milliseconds(100));
    ASSERT_EQ(q.playlist().size(), 70'000U);
    EXPECT_EQ(q.playlist()[0].path, "folder/0.mp3");
    EXPECT_EQ(q.playlist()[20'000].path, song(0));
    EXPECT_EQ(q.current_position(), 69'999U);
}

// ---- up-next ---------------------------------------------------------------------------------

TEST(PlayQueueTest, UpNextEditing) {
    PlayQueue q;
    q.enqueue("a");
    q.enqueue("b");
    q.enqueue("c", 0);
    q.enqueue("d", 1);
    EXPECT_EQ(paths(q.up_next()), (std::vector<std::string>{"c", "d", "a", "b"}));
    EXPECT_TRUE(q.move_up_next(0, 3));
    EXPECT_EQ(paths(q.up_next()), (std::vector<std::string>{"d", "a", "b", "c"}));
    EXPECT_TRUE(q.move_up_next(2, 0));
    EXPECT_EQ(paths(q.up_next()), (std::vector<std::string>{"b", "d", "a", "c"}));
    EXPECT_FALSE(q.move_up_next(4, 0));
    EXPECT_FALSE(q.move_up_next(0, 4));
    EXPECT_TRUE(q.dequeue(1));
    EXPECT_FALSE(q.dequeue(3));
    EXPECT_EQ(paths(q.up_next()), (std::vector<std::string>{"b", "a", "c"}));
    q.clear_up_next();
    EXPECT_TRUE(q.up_next().empty());
}

TEST(PlayQueueTest, UpNextPlaysBeforeThePlaylistWhichThenContinues) {
    auto q = make_queue(4);
    EXPECT_EQ(checked_advance(q)->entry.path, song(0));
    q.enqueue("u1");
    q.enqueue("u2");
    auto p = checked_advance(q);
    EXPECT_EQ(p->entry.path, "u1");
    EXPECT_TRUE(p->from_up_next);
    EXPECT_FALSE(p->position);
    EXPECT_FALSE(q.current_position());
    EXPECT_EQ(checked_advance(q)->entry.path, "u2");
    EXPECT_TRUE(q.up_next().empty());
    // The playlist continues after the last playlist song played.
    p = checked_advance(q);
    EXPECT_EQ(p->entry.path, song(1));
    EXPECT_FALSE(p->from_up_next);
    EXPECT_EQ(p->position, 1U);
}

// ---- playing in order ------------------------------------------------------------------------

TEST(PlayQueueTest, InOrderWithoutRepeatStopsAtTheEndThenStartsOver) {
    PlayModes modes;
    modes.repeat = false;
    auto q = make_queue(3, modes);
    EXPECT_FALSE(q.current());
    for (std::size_t i = 0; i < 3; ++i) {
        const auto p = checked_advance(q);
        ASSERT_TRUE(p);
        EXPECT_EQ(p->entry.path, song(i));
        EXPECT_EQ(p->position, i);
        EXPECT_EQ(q.current_position(), i);
    }
    EXPECT_FALSE(checked_advance(q));
    EXPECT_FALSE(q.current());
    // Told to play again: from the start.
    EXPECT_EQ(checked_advance(q)->entry.path, song(0));
}

TEST(PlayQueueTest, InOrderWithRepeatWraps) {
    auto q = make_queue(3);
    for (std::size_t i = 0; i < 7; ++i) {
        EXPECT_EQ(checked_advance(q)->entry.path, song(i % 3));
    }
}

TEST(PlayQueueTest, EmptyQueueHasNothingToPlay) {
    PlayQueue q;
    EXPECT_FALSE(q.peek_next());
    EXPECT_FALSE(q.advance());
    EXPECT_FALSE(q.previous());
    EXPECT_FALSE(q.jump_to(0));
    EXPECT_TRUE(q.finished_current());
}

TEST(PlayQueueTest, JumpToPlaysThatEntryAndContinuesAfterIt) {
    auto q = make_queue(5);
    q.advance();
    const auto p = q.jump_to(3);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->entry.path, song(3));
    EXPECT_EQ(q.current_position(), 3U);
    EXPECT_EQ(checked_advance(q)->entry.path, song(4));
    EXPECT_EQ(q.jump_to_id(q.playlist()[1].id)->entry.path, song(1));
    EXPECT_FALSE(q.jump_to(5));
    EXPECT_FALSE(q.jump_to_id(999));
    EXPECT_EQ(q.current_position(), 1U);
}

TEST(PlayQueueTest, StopForgetsTheSongAndResumesAfterIt) {
    auto q = make_queue(4);
    q.advance();
    q.advance();
    q.stop();
    EXPECT_FALSE(q.current());
    EXPECT_FALSE(q.current_position());
    EXPECT_EQ(checked_advance(q)->entry.path, song(2));
    // And previous() remembers the stopped song.
    EXPECT_EQ(q.previous()->entry.path, song(1));
}

TEST(PlayQueueTest, PreviousWalksBackThroughWhatWasPlayed) {
    auto q = make_queue(6);
    q.advance();  // 0
    q.jump_to(4); // 4
    q.enqueue("u");
    q.advance(); // u
    q.advance(); // 5
    EXPECT_EQ(q.previous()->entry.path, "u");
    EXPECT_EQ(q.previous()->entry.path, song(4));
    const auto p = q.previous();
    EXPECT_EQ(p->entry.path, song(0));
    EXPECT_EQ(p->position, 0U);
    EXPECT_FALSE(q.previous()); // nothing before the first song
    // Going forward again follows the playlist, with the up-next song we backed out of first.
    EXPECT_EQ(checked_advance(q)->entry.path, "u");
    EXPECT_EQ(checked_advance(q)->entry.path, song(1));
}

TEST(PlayQueueTest, PreviousWithoutHistoryTakesThePreviousEntry) {
    auto q = make_queue(5);
    // A restored state has a current song but may have no history.
    auto state = q.to_json();
    q.jump_to(3);
    state = q.to_json();
    state.as_object()["history"] = json::array();
    auto restored = PlayQueue::from_json(state);
    EXPECT_EQ(restored.previous()->entry.path, song(2));
    EXPECT_EQ(restored.current_position(), 2U);
}

TEST(PlayQueueTest, HistoryIsBounded) {
    auto q = make_queue(3);
    for (int i = 0; i < 500; ++i) {
        q.advance();
    }
    int steps = 0;
    while (q.previous()) {
        ++steps;
        ASSERT_LE(steps, 1000);
    }
    // 100 remembered songs, then the previous playlist entries of the one reached.
    EXPECT_GE(steps, static_cast<int>(PlayQueue::max_history));
    EXPECT_LE(steps, static_cast<int>(PlayQueue::max_history) + 2);
}

// ---- modes -----------------------------------------------------------------------------------

TEST(PlayQueueTest, ConsumeRemovesPlayedEntries) {
    PlayModes modes;
    modes.consume = true;
    modes.repeat = false;
    auto q = make_queue(3, modes);
    q.advance();
    EXPECT_TRUE(q.finished_current());
    EXPECT_EQ(paths(q.playlist()), (std::vector<std::string>{song(1), song(2)}));
    EXPECT_EQ(checked_advance(q)->entry.path, song(1));
    EXPECT_TRUE(q.finished_current());
    EXPECT_EQ(checked_advance(q)->entry.path, song(2));
    EXPECT_TRUE(q.finished_current());
    EXPECT_TRUE(q.playlist().empty());
    EXPECT_FALSE(checked_advance(q));
}

TEST(PlayQueueTest, ConsumeDoesNotTouchTheRestOfThePlaylist) {
    PlayModes modes;
    modes.consume = true;
    auto q = make_queue(4, modes);
    q.enqueue("u");
    q.advance(); // u: not a playlist entry
    q.finished_current();
    EXPECT_EQ(q.playlist().size(), 4U);
}

TEST(PlayQueueTest, SingleStopsAfterTheSong) {
    PlayModes modes;
    modes.single = true;
    modes.repeat = false;
    auto q = make_queue(3, modes);
    q.advance();
    EXPECT_FALSE(q.finished_current());
}

TEST(PlayQueueTest, SingleWithRepeatPlaysTheSongAgain) {
    PlayModes modes;
    modes.single = true;
    auto q = make_queue(3, modes);
    q.advance();
    q.advance();
    EXPECT_TRUE(q.finished_current());
    EXPECT_EQ(checked_advance(q)->entry.path, song(1));
    EXPECT_TRUE(q.finished_current());
    EXPECT_EQ(checked_advance(q)->entry.path, song(1));
    // Skipping (advance without finished_current) moves on.
    EXPECT_EQ(checked_advance(q)->entry.path, song(2));
    // Going back does not count the repeats.
    EXPECT_EQ(q.previous()->entry.path, song(1));
    EXPECT_EQ(q.previous()->entry.path, song(0));
}

// ---- random ----------------------------------------------------------------------------------

TEST(PlayQueueTest, RandomVisitsEveryEntryOncePerRound) {
    PlayModes modes;
    modes.random = true;
    auto q = make_queue(50, modes);
    for (int round = 0; round < 4; ++round) {
        std::set<std::string> seen;
        std::optional<std::string> last =
            q.current() ? std::optional(q.current()->entry.path) : std::nullopt;
        for (int i = 0; i < 50; ++i) {
            const auto p = checked_advance(q);
            ASSERT_TRUE(p);
            EXPECT_TRUE(seen.insert(p->entry.path).second) << "repeated " << p->entry.path;
            EXPECT_EQ(q.playlist()[*p->position].id, p->entry.id);
            if (i == 0 && last) {
                EXPECT_NE(p->entry.path, *last) << "a new round started with the last song";
            }
        }
        EXPECT_EQ(seen.size(), 50U);
    }
}

TEST(PlayQueueTest, ANewRoundNeverStartsWithTheLastSong) {
    // Two songs make the check sharp: an unconstrained shuffle would repeat half the time.
    PlayModes modes;
    modes.random = true;
    for (int trial = 0; trial < 50; ++trial) {
        auto q = make_queue(2, modes);
        std::string last;
        for (int i = 0; i < 20; ++i) {
            const auto p = checked_advance(q);
            ASSERT_TRUE(p);
            EXPECT_NE(p->entry.path, last);
            last = p->entry.path;
        }
    }
}

TEST(PlayQueueTest, RandomActuallyShuffles) {
    PlayModes modes;
    modes.random = true;
    auto q = make_queue(50, modes);
    std::vector<std::size_t> order;
    for (int i = 0; i < 50; ++i) {
        order.push_back(*checked_advance(q)->position);
    }
    EXPECT_FALSE(std::is_sorted(order.begin(), order.end()));
}

TEST(PlayQueueTest, RandomWithoutRepeatEndsAfterOneRound) {
    PlayModes modes;
    modes.random = true;
    modes.repeat = false;
    auto q = make_queue(10, modes);
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(checked_advance(q));
    }
    EXPECT_FALSE(q.peek_next());
    EXPECT_FALSE(q.advance());
    EXPECT_FALSE(q.current());
    // Play again: a fresh round.
    std::set<std::string> seen;
    for (int i = 0; i < 10; ++i) {
        seen.insert(checked_advance(q)->entry.path);
    }
    EXPECT_EQ(seen.size(), 10U);
}

TEST(PlayQueueTest, EntriesAddedDuringARoundJoinItsUnplayedPart) {
    PlayModes modes;
    modes.random = true;
    modes.repeat = false;
    auto q = make_queue(10, modes);
    std::set<std::string> played;
    for (int i = 0; i < 5; ++i) {
        played.insert(checked_advance(q)->entry.path);
    }
    for (std::size_t i = 10; i < 15; ++i) {
        q.add(song(i));
    }
    std::set<std::string> rest;
    for (int i = 0; i < 10; ++i) {
        const auto p = checked_advance(q);
        ASSERT_TRUE(p);
        EXPECT_FALSE(played.contains(p->entry.path)) << p->entry.path << " played twice";
        rest.insert(p->entry.path);
    }
    EXPECT_EQ(rest.size(), 10U);
    EXPECT_FALSE(checked_advance(q));
}

TEST(PlayQueueTest, RemovedEntriesLeaveTheRound) {
    PlayModes modes;
    modes.random = true;
    modes.repeat = false;
    auto q = make_queue(10, modes);
    checked_advance(q);
    q.remove(0, 5);
    std::size_t count = 1;
    while (const auto p = checked_advance(q)) {
        ASSERT_TRUE(p->position);
        ++count;
        ASSERT_LE(count, 10U);
    }
    EXPECT_LE(count, 6U);
}

TEST(PlayQueueTest, TurningRandomOnMidwayShufflesTheRestWithoutTheCurrentSong) {
    auto q = make_queue(8);
    q.advance();
    const auto playing = q.current()->entry.path;
    PlayModes modes;
    modes.random = true;
    modes.repeat = false;
    q.set_modes(modes);
    std::set<std::string> seen;
    while (const auto p = checked_advance(q)) {
        EXPECT_NE(p->entry.path, playing);
        seen.insert(p->entry.path);
        ASSERT_LE(seen.size(), 8U);
    }
    EXPECT_EQ(seen.size(), 7U);
}

TEST(PlayQueueTest, RandomPreviousThenNextReturnsToTheSongLeft) {
    PlayModes modes;
    modes.random = true;
    auto q = make_queue(20, modes);
    const auto a = checked_advance(q)->entry.id;
    const auto b = checked_advance(q)->entry.id;
    EXPECT_EQ(q.previous()->entry.id, a);
    EXPECT_EQ(checked_advance(q)->entry.id, b);
    // The round still visits everything once: 18 more new songs.
    std::set<std::uint64_t> seen{a, b};
    for (int i = 0; i < 18; ++i) {
        EXPECT_TRUE(seen.insert(checked_advance(q)->entry.id).second);
    }
}

// Any mix of operations: peek_next() always announces what advance() does, and the queue stays
// consistent.
TEST(PlayQueueTest, PeekNextAlwaysMatchesAdvance) {
    std::mt19937 ops(12345);
    PlayQueue q;
    std::size_t counter = 0;
    struct {
        int random = 0;
        int in_order = 0;
        int up_next = 0;
    } picks;
    for (int step = 0; step < 5000; ++step) {
        std::uniform_int_distribution<int> pick_op(0, 15);
        const auto size = q.playlist().size();
        std::uniform_int_distribution<std::size_t> pos(0, size + 1);
        switch (pick_op(ops)) {
        case 0:
        case 1:
            q.add(song(counter++), ops() % 2 == 0 ? std::nullopt : std::optional(pos(ops)));
            break;
        case 2:
            q.remove(pos(ops), pos(ops));
            break;
        case 3:
            q.move(pos(ops), pos(ops), pos(ops));
            break;
        case 4:
            q.enqueue("up" + std::to_string(counter++));
            break;
        case 5:
            q.dequeue(0);
            break;
        case 6: {
            PlayModes m;
            m.random = ops() % 2 == 0;
            m.repeat = ops() % 3 != 0;
            m.single = ops() % 5 == 0;
            m.consume = ops() % 5 == 0;
            q.set_modes(m);
            break;
        }
        case 7:
            q.jump_to(pos(ops));
            break;
        case 8:
            q.previous();
            break;
        case 9:
            q.finished_current();
            break;
        case 10:
            q.shuffle(pos(ops), pos(ops));
            break;
        case 11:
            if (ops() % 10 == 0) {
                q.clear();
            }
            break;
        case 12:
            q.stop();
            break;
        default:
            if (const auto p = checked_advance(q)) {
                ++(q.modes().random ? picks.random : picks.in_order);
                picks.up_next += p->from_up_next ? 1 : 0;
            }
            break;
        }
        expect_consistent(q);
        if (HasFailure()) {
            FAIL() << "at step " << step;
        }
    }
    // The mix really exercised every kind of pick.
    EXPECT_GT(picks.random, 200);
    EXPECT_GT(picks.in_order, 200);
    EXPECT_GT(picks.up_next, 50);
}

// ---- persistence -----------------------------------------------------------------------------

PlayQueue busy_queue() {
    PlayModes modes;
    modes.random = true;
    modes.consume = false;
    auto q = make_queue(30, modes);
    for (int i = 0; i < 12; ++i) {
        q.advance();
    }
    q.remove(3, 5);
    q.move(0, 2, 10);
    q.enqueue("up1");
    q.enqueue("up2");
    q.advance(); // up1: the current song comes from up-next
    return q;
}

TEST(PlayQueueTest, JsonRoundTripKeepsEverything) {
    auto q = busy_queue();
    const auto saved = q.to_json();
    auto restored = PlayQueue::from_json(saved);
    EXPECT_EQ(restored.to_json(), saved);
    EXPECT_EQ(restored.playlist(), q.playlist());
    EXPECT_EQ(restored.up_next(), q.up_next());
    EXPECT_EQ(restored.version(), q.version());
    EXPECT_EQ(restored.modes(), q.modes());
    EXPECT_TRUE(same_pick(restored.current(), q.current()));
    EXPECT_EQ(restored.changes_since(q.version() - 3), q.changes_since(q.version() - 3));
    // The rest of the shuffle round plays identically (new rounds draw fresh randomness).
    std::size_t left = 0;
    while (true) {
        const auto a = q.advance();
        const auto b = restored.advance();
        ASSERT_TRUE(same_pick(a, b)) << describe(a) << " vs " << describe(b);
        if (!a || (!a->from_up_next && q.to_json().as_object()["order"].as_array().empty())) {
            break;
        }
        ++left;
        ASSERT_LT(left, 40U);
    }
    EXPECT_GE(left, 10U);
    // History round-trips too.
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(same_pick(q.previous(), restored.previous()));
    }
    // Ids continue after the restored ones.
    EXPECT_EQ(restored.add("new"), q.add("new"));
}

TEST(PlayQueueTest, JsonRoundTripOfSingleRepeatState) {
    PlayModes modes;
    modes.single = true;
    auto q = make_queue(3, modes);
    q.advance();
    q.finished_current();
    auto restored = PlayQueue::from_json(q.to_json());
    EXPECT_TRUE(same_pick(restored.peek_next(), q.peek_next()));
    EXPECT_EQ(restored.advance()->entry.path, song(0));
}

TEST(PlayQueueTest, FromJsonOfGarbageIsEmpty) {
    const std::vector<json::value> garbage = {
        nullptr,
        42,
        "queue",
        json::array{1, 2, 3},
        json::object{},
        json::object{{"playlist", 7}, {"modes", "random"}, {"current", json::array{}}},
        json::parse(R"({"playlist": [1, "x", null, {"id": "3", "path": "a"}, {"id": 0,
            "path": "b"}, {"id": 4}, {"path": "c"}, {"id": -5, "path": "d"}]})"),
    };
    for (const auto& g : garbage) {
        const auto q = PlayQueue::from_json(g);
        EXPECT_TRUE(q.playlist().empty()) << json::serialize(g);
        EXPECT_TRUE(q.up_next().empty());
        EXPECT_FALSE(q.current());
        EXPECT_EQ(q.modes(), PlayModes{});
    }
}

TEST(PlayQueueTest, FromJsonKeepsWhatItCanReadAndRepairsTheRest) {
    const auto v = json::parse(R"({
        "version": 3, "next_id": 2,
        "modes": {"random": true, "repeat": "yes", "single": false},
        "playlist": [
            {"id": 10, "path": "a.mp3", "version": 9},
            {"id": 10, "path": "duplicate-id.mp3", "version": 1},
            {"id": 11, "path": "b.mp3"},
            {"id": 99999999999999999999, "path": "huge-id.mp3"},
            "junk",
            {"id": 12, "path": "c.mp3", "version": 2}
        ],
        "up_next": [{"id": 11, "path": "clashes-with-playlist.mp3"}, {"id": 20, "path": "u.mp3"}],
        "current": {"id": 11, "path": "b.mp3", "from_up_next": true},
        "anchor": 77,
        "order": [12, 12, 555, "x"],
        "played": [11],
        "history": "not a list"
    })");
    auto q = PlayQueue::from_json(v);
    EXPECT_EQ(paths(q.playlist()), (std::vector<std::string>{"a.mp3", "b.mp3", "c.mp3"}));
    EXPECT_EQ(paths(q.up_next()), (std::vector<std::string>{"u.mp3"}));
    EXPECT_TRUE(q.modes().random);
    EXPECT_TRUE(q.modes().repeat); // the default, as "yes" is not a boolean
    EXPECT_GE(q.version(), 9U);    // never behind an entry's version
    ASSERT_TRUE(q.current());
    EXPECT_EQ(q.current_position(), 1U);
    EXPECT_FALSE(q.current()->from_up_next); // it is in the playlist
    expect_consistent(q);
    // New ids are above every restored one.
    EXPECT_GT(q.add("new.mp3"), 20U);
    // The round holds a, c and the new entry, each once; b (the current song) is played.
    q.clear_up_next();
    std::set<std::string> rest;
    for (int i = 0; i < 3; ++i) {
        rest.insert(checked_advance(q)->entry.path);
    }
    EXPECT_EQ(rest, (std::set<std::string>{"a.mp3", "c.mp3", "new.mp3"}));
}

} // namespace
} // namespace tinyice::autodj
