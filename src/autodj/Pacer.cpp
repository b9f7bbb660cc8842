#include "autodj/Pacer.hpp"

#include <stdexcept>

namespace tinyice::autodj {

Pacer::Pacer(Settings settings) : settings_(settings) {
    if (settings_.sample_rate <= 0 || settings_.block.count() <= 0 || settings_.lead.count() < 0 ||
        settings_.max_lag.count() <= 0) {
        throw std::invalid_argument("pacer: sample rate, block and max lag must be positive");
    }
    block_num_ = static_cast<std::uint64_t>(settings_.block.count()) *
                 static_cast<std::uint64_t>(settings_.sample_rate);
}

void Pacer::start(TimePoint now) {
    base_time_ = now;
    blocks_since_base_ = 0;
    frames_ = 0;
}

std::uint64_t Pacer::frames_before(std::uint64_t k) const {
    return k * block_num_ / 1000;
}

std::chrono::nanoseconds Pacer::duration_of(std::uint64_t frames) const {
    const auto rate = static_cast<std::uint64_t>(settings_.sample_rate);
    const std::uint64_t whole = frames / rate;
    const std::uint64_t rest = frames % rate;
    return std::chrono::nanoseconds(
        static_cast<std::int64_t>(whole * 1'000'000'000ULL + rest * 1'000'000'000ULL / rate));
}

std::size_t Pacer::block_frames() const {
    return static_cast<std::size_t>(frames_before(blocks_since_base_ + 1) -
                                    frames_before(blocks_since_base_));
}

std::size_t Pacer::max_block_frames() const {
    return static_cast<std::size_t>((block_num_ + 999) / 1000);
}

Pacer::TimePoint Pacer::due() const {
    return base_time_ +
           std::chrono::duration_cast<Clock::duration>(
               duration_of(frames_before(blocks_since_base_))) -
           settings_.lead;
}

void Pacer::advance() {
    frames_ += block_frames();
    ++blocks_since_base_;
}

bool Pacer::rebase_if_stalled(TimePoint now) {
    if (now - due() <= settings_.max_lag) {
        return false;
    }
    // Start counting afresh as at start(): whatever was missed is not made up for; only the
    // lead is produced at once again, since listeners drained it during the stall.
    base_time_ = now;
    blocks_since_base_ = 0;
    ++rebases_;
    return true;
}

} // namespace tinyice::autodj
