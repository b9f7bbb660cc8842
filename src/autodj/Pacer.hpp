#pragma once
// Internal to src/autodj: the real-time clock of a station. Audio is produced in blocks of
// `block` (20 ms); block k is due at t0 + (frames before block k) / rate - lead, so the mount
// always holds `lead` of audio ahead of real time and the output rate equals the sample rate
// exactly. Frame counts are integers and every due time is computed from the totals, never by
// adding up rounded durations, so nothing drifts over days (or over an odd block such as 20 ms at
// 11025 Hz = 220.5 frames: blocks alternate 220 and 221 frames).
//
// The Pacer never reads a clock: the caller passes "now" in (the station passes steady_clock,
// tests pass whatever they like), and sleeping until due() is the caller's business.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace tinyice::autodj {

class Pacer {
public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;

    struct Settings {
        int sample_rate = 44100;
        std::chrono::milliseconds block{20};
        std::chrono::milliseconds lead{250};
        // Further behind than this (machine suspended, debugger): re-base instead of bursting.
        std::chrono::milliseconds max_lag{2000};
    };

    explicit Pacer(Settings settings);

    // Starts counting at `now`: the first blocks (up to `lead` of audio) are due at once.
    void start(TimePoint now);

    // Frames in the next block.
    [[nodiscard]] std::size_t block_frames() const;
    // The largest block_frames() can be (buffer sizing).
    [[nodiscard]] std::size_t max_block_frames() const;
    // When the next block should be produced.
    [[nodiscard]] TimePoint due() const;
    // The next block has been produced.
    void advance();

    // When `now` is more than max_lag past due(), re-bases the clock as start(now) would (the
    // lead is due at once, then audio continues at the normal rate) and returns true.
    bool rebase_if_stalled(TimePoint now);

    // Frames produced since start() (re-bases do not reset it).
    [[nodiscard]] std::uint64_t frames() const { return frames_; }
    [[nodiscard]] std::uint64_t rebases() const { return rebases_; }
    [[nodiscard]] const Settings& settings() const { return settings_; }

private:
    // Frames in blocks [0, k) counted from the last (re-)base.
    [[nodiscard]] std::uint64_t frames_before(std::uint64_t k) const;
    // Exact duration of `frames` frames, rounded down to whole nanoseconds.
    [[nodiscard]] std::chrono::nanoseconds duration_of(std::uint64_t frames) const;

    Settings settings_;
    std::uint64_t block_num_ = 1; // block_ms * sample_rate, i.e. frames per block * 1000
    TimePoint base_time_{};       // when block 0 (counted from the last base) is heard
    std::uint64_t blocks_since_base_ = 0;
    std::uint64_t frames_ = 0;
    std::uint64_t rebases_ = 0;
};

} // namespace tinyice::autodj
