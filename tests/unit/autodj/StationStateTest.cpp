#include "autodj/StationState.hpp"

#include <gtest/gtest.h>

namespace tinyice::autodj {
namespace {

TEST(StationStateTest, RoundTripsQueueAndValues) {
    PlayQueue queue;
    queue.add("a.mp3");
    const auto b = queue.add("b.mp3");
    queue.add("c.mp3");
    queue.enqueue("x.mp3");
    queue.set_modes(PlayModes{false, true, false, true});
    queue.jump_to_id(b);
    StateValues values;
    values.state = PlayState::paused;
    values.volume = 0.4;
    values.crossfade_seconds = 3.5;
    values.position = 61.25;
    values.configured_volume = 0.8;
    values.configured_crossfade = 2;

    const auto saved = parse_state(serialize_state(queue, values));
    ASSERT_TRUE(saved);
    EXPECT_EQ(saved->queue.playlist(), queue.playlist());
    EXPECT_EQ(saved->queue.up_next(), queue.up_next());
    EXPECT_EQ(saved->queue.modes(), queue.modes());
    ASSERT_TRUE(saved->queue.current());
    EXPECT_EQ(saved->queue.current()->entry.path, "b.mp3");
    EXPECT_EQ(saved->values.state, PlayState::paused);
    EXPECT_DOUBLE_EQ(saved->values.volume, 0.4);
    EXPECT_DOUBLE_EQ(saved->values.crossfade_seconds, 3.5);
    EXPECT_DOUBLE_EQ(saved->values.position, 61.25);
    EXPECT_DOUBLE_EQ(saved->values.configured_volume, 0.8);
    EXPECT_DOUBLE_EQ(saved->values.configured_crossfade, 2);
}

TEST(StationStateTest, GarbageIsRefused) {
    EXPECT_FALSE(parse_state(""));
    EXPECT_FALSE(parse_state("not json"));
    EXPECT_FALSE(parse_state("[1,2]"));
    EXPECT_FALSE(parse_state(R"({"volume": 0.5})")); // no queue: not a station state
}

TEST(StationStateTest, OutOfRangeValuesAreClampedOrDefaulted) {
    const auto saved = parse_state(
        R"({"queue": {}, "state": "dancing", "volume": 7, "crossfade": -3, "position": "x"})");
    ASSERT_TRUE(saved);
    EXPECT_EQ(saved->values.state, PlayState::playing);
    EXPECT_DOUBLE_EQ(saved->values.volume, 1.0);
    EXPECT_DOUBLE_EQ(saved->values.crossfade_seconds, 0.0);
    EXPECT_DOUBLE_EQ(saved->values.position, 0.0);
    EXPECT_TRUE(saved->queue.playlist().empty());
}

TEST(StationStateTest, StateNames) {
    EXPECT_EQ(to_string(PlayState::playing), "playing");
    EXPECT_EQ(to_string(PlayState::paused), "paused");
    EXPECT_EQ(to_string(PlayState::stopped), "stopped");
}

} // namespace
} // namespace tinyice::autodj
