#include "autodj/Deck.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tinyice::autodj {

double db_to_gain(double db) {
    return std::pow(10.0, db / 20.0);
}

double fade_in_curve(double x) {
    return std::sin(std::clamp(x, 0.0, 1.0) * std::numbers::pi / 2);
}

double fade_out_curve(double x) {
    return std::cos(std::clamp(x, 0.0, 1.0) * std::numbers::pi / 2);
}

Deck::Deck(std::uint64_t id, std::unique_ptr<codec::FileDecoder> decoder, double gain,
           std::uint64_t expected_frames, std::size_t max_block_frames)
    : id_(id), decoder_(std::move(decoder)), format_(decoder_->format()), gain_(gain),
      expected_frames_(expected_frames), buffer_(std::max<std::size_t>(max_block_frames, 1) *
                                                 static_cast<std::size_t>(format_.channels)) {}

bool Deck::prime() {
    refill(buffer_.size() / static_cast<std::size_t>(format_.channels));
    return pending_end_ > pending_at_;
}

std::size_t Deck::refill(std::size_t wanted) {
    const auto channels = static_cast<std::size_t>(format_.channels);
    wanted = std::min(wanted, buffer_.size() / channels);
    pending_at_ = 0;
    pending_end_ = 0;
    if (exhausted_ || wanted == 0) {
        return 0;
    }
    const std::size_t got = decoder_->read(std::span<float>(buffer_.data(), wanted * channels));
    if (got == 0) {
        exhausted_ = true;
    }
    pending_end_ = got;
    return got;
}

double Deck::envelope() const {
    if (fade_ == Fade::none || fade_len_ == 0) {
        return fade_ == Fade::out ? 0.0 : 1.0;
    }
    const double x = static_cast<double>(fade_pos_) / static_cast<double>(fade_len_);
    return fade_ == Fade::in ? fade_in_curve(x) : fade_from_ * fade_out_curve(x);
}

std::size_t Deck::mix_into(std::span<float> out, std::size_t frames) {
    const auto channels = static_cast<std::size_t>(format_.channels);
    std::size_t done = 0;
    while (done < frames && !ended_) {
        if (pending_at_ == pending_end_ && refill(frames - done) == 0) {
            ended_ = true;
            break;
        }
        std::size_t take = std::min(frames - done, pending_end_ - pending_at_);
        if (fade_ != Fade::none) {
            take = std::min<std::uint64_t>(take, fade_len_ - fade_pos_);
        }
        const float* src = buffer_.data() + pending_at_ * channels;
        float* dst = out.data() + done * channels;
        if (fade_ == Fade::none) {
            const auto g = static_cast<float>(gain_);
            for (std::size_t i = 0; i < take * channels; ++i) {
                dst[i] += src[i] * g;
            }
        } else {
            for (std::size_t f = 0; f < take; ++f) {
                const auto g = static_cast<float>(gain_ * envelope());
                for (std::size_t c = 0; c < channels; ++c) {
                    dst[f * channels + c] += src[f * channels + c] * g;
                }
                ++fade_pos_;
            }
            if (fade_pos_ >= fade_len_) {
                if (fade_ == Fade::out) {
                    ended_ = true;
                }
                fade_ = Fade::none;
            }
        }
        pending_at_ += take;
        position_ += take;
        done += take;
    }
    return done;
}

void Deck::fade_in(std::uint64_t frames) {
    if (frames == 0) {
        fade_ = Fade::none;
        return;
    }
    fade_ = Fade::in;
    fade_pos_ = 0;
    fade_len_ = frames;
}

void Deck::fade_out(std::uint64_t frames) {
    const double from = envelope();
    if (frames == 0) {
        ended_ = true;
        return;
    }
    fade_from_ = from;
    fade_ = Fade::out;
    fade_pos_ = 0;
    fade_len_ = frames;
}

bool Deck::seek(double seconds) {
    if (!decoder_->seek(std::max(seconds, 0.0))) {
        return false;
    }
    pending_at_ = pending_end_ = 0;
    exhausted_ = false;
    ended_ = false;
    position_ = static_cast<std::uint64_t>(
        std::llround(decoder_->position() * static_cast<double>(format_.sample_rate)));
    return true;
}

double Deck::position_seconds() const {
    return static_cast<double>(position_) / static_cast<double>(format_.sample_rate);
}

std::optional<std::uint64_t> Deck::remaining_frames() const {
    if (expected_frames_ == 0) {
        return std::nullopt;
    }
    return expected_frames_ > position_ ? expected_frames_ - position_ : 0;
}

} // namespace tinyice::autodj
