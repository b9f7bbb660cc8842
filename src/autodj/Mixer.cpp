#include "autodj/Mixer.hpp"

#include <algorithm>

namespace tinyice::autodj {
namespace {

// Decks fading out at the same time (a skip during a crossfade); older ones are dropped.
constexpr std::size_t max_outgoing = 2;
// Track changes within one block; more means tracks that end as soon as they start.
constexpr int max_transitions_per_block = 8;

} // namespace

Mixer::Mixer(codec::PcmFormat format, std::size_t max_block_frames, std::uint64_t ramp_frames)
    : format_(format), max_block_frames_(max_block_frames),
      step_(1.0 / static_cast<double>(std::max<std::uint64_t>(ramp_frames, 1))) {}

void Mixer::set_volume(double gain) {
    volume_ = std::clamp(gain, 0.0, 1.0);
}

void Mixer::set_playing(bool playing) {
    playing_ = playing;
}

void Mixer::start(std::unique_ptr<Deck> deck, std::uint64_t fade_frames) {
    if (current_) {
        if (fade_frames > 0 && !silent()) {
            current_->fade_out(fade_frames);
            outgoing_.push_back(std::move(current_));
            if (outgoing_.size() > max_outgoing) {
                outgoing_.erase(outgoing_.begin());
            }
        }
        current_.reset();
    }
    current_ = std::move(deck);
    crossfade_declined_ = false;
}

void Mixer::clear() {
    current_.reset();
    outgoing_.clear();
    crossfade_declined_ = false;
}

std::uint64_t Mixer::effective_crossfade() const {
    if (!current_ || crossfade_ == 0 || current_->expected_frames() == 0) {
        return 0;
    }
    // A crossfade longer than half the track would start it fading out before it is heard.
    return std::min(crossfade_, current_->expected_frames() / 2);
}

std::optional<std::uint64_t> Mixer::frames_until_transition() const {
    if (!current_) {
        return std::nullopt;
    }
    const auto remaining = current_->remaining_frames();
    if (!remaining) {
        return std::nullopt;
    }
    const std::uint64_t fade = crossfade_declined_ ? 0 : effective_crossfade();
    return *remaining > fade ? *remaining - fade : 0;
}

void Mixer::transition(bool at_end, std::size_t offset, Listener& listener) {
    if (at_end) {
        // Asked while the ending deck is still current(), so the listener knows which one ends.
        auto next = listener.on_next_deck(true);
        auto ended = std::move(current_);
        listener.on_deck_ended(*ended, true);
        current_ = std::move(next);
        crossfade_declined_ = false;
        if (current_) {
            listener.on_deck_started(*current_, offset);
        }
        return;
    }
    auto next = listener.on_next_deck(false);
    if (!next) {
        crossfade_declined_ = true;
        return;
    }
    const std::uint64_t fade = effective_crossfade();
    next->fade_in(fade);
    start(std::move(next), fade);
    listener.on_deck_started(*current_, offset);
}

void Mixer::mix_outgoing(std::span<float> out, std::size_t frames, Listener& listener) {
    for (auto it = outgoing_.begin(); it != outgoing_.end();) {
        (*it)->mix_into(out, frames);
        if ((*it)->ended()) {
            listener.on_deck_ended(**it, false);
            it = outgoing_.erase(it);
        } else {
            ++it;
        }
    }
}

void Mixer::render(std::span<float> out, std::size_t frames, Listener& listener) {
    const auto channels = static_cast<std::size_t>(format_.channels);
    frames = std::min({frames, max_block_frames_, out.size() / channels});
    std::fill_n(out.begin(), frames * channels, 0.0F);
    if (silent()) {
        return;
    }
    std::size_t pos = 0;
    int transitions = 0;
    while (pos < frames) {
        auto rest = out.subspan(pos * channels);
        std::size_t segment = frames - pos;
        if (!current_) {
            mix_outgoing(rest, segment, listener);
            break;
        }
        if (transitions >= max_transitions_per_block) {
            // Every deck ends as soon as it starts: leave the rest of the block silent.
            auto ended = std::move(current_);
            listener.on_deck_ended(*ended, true);
            mix_outgoing(rest, segment, listener);
            break;
        }
        if (!crossfade_declined_ && effective_crossfade() > 0) {
            if (const auto until = frames_until_transition()) {
                if (*until == 0) {
                    ++transitions;
                    transition(false, pos, listener);
                    continue;
                }
                segment = static_cast<std::size_t>(std::min<std::uint64_t>(segment, *until));
            }
        }
        const std::size_t got = current_->mix_into(rest, segment);
        mix_outgoing(rest, got, listener);
        pos += got;
        if (got < segment || current_->ended()) {
            ++transitions;
            transition(true, pos, listener);
        }
    }
    apply_gain(out, frames);
}

void Mixer::apply_gain(std::span<float> out, std::size_t frames) {
    const auto channels = static_cast<std::size_t>(format_.channels);
    const double target = playing_ ? volume_ : 0.0;
    std::size_t f = 0;
    for (; f < frames && gain_ != target; ++f) {
        gain_ = gain_ < target ? std::min(target, gain_ + step_) : std::max(target, gain_ - step_);
        const auto g = static_cast<float>(gain_);
        for (std::size_t c = 0; c < channels; ++c) {
            out[f * channels + c] *= g;
        }
    }
    const auto g = static_cast<float>(gain_);
    for (std::size_t i = f * channels; i < frames * channels; ++i) {
        out[i] = std::clamp(out[i] * g, -1.0F, 1.0F);
    }
    for (std::size_t i = 0; i < f * channels; ++i) {
        out[i] = std::clamp(out[i], -1.0F, 1.0F);
    }
}

} // namespace tinyice::autodj
