#pragma once
// Internal to src/autodj: one track being played. A deck owns the track's decoder and turns its
// PCM into what the mixer adds up: samples times the track's normalisation gain times its fade
// envelope (equal-power, so a crossfade keeps the loudness steady). Decks belong to the station
// thread; nothing here is thread-safe.

#include "codec/AudioTypes.hpp"
#include "codec/FileDecoder.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace tinyice::autodj {

// dB to a linear factor.
[[nodiscard]] double db_to_gain(double db);
// Equal-power fade curves over x in [0, 1]: in(x)^2 + out(x)^2 == 1 at every point.
[[nodiscard]] double fade_in_curve(double x);
[[nodiscard]] double fade_out_curve(double x);

class Deck {
public:
    // `id` is the station's handle for the deck; `gain` the linear normalisation gain;
    // `expected_frames` the track's length (its duration times the rate; 0 = unknown), used to
    // find the crossfade point and how much is left; `max_block_frames` the largest mix_into().
    Deck(std::uint64_t id, std::unique_ptr<codec::FileDecoder> decoder, double gain,
         std::uint64_t expected_frames, std::size_t max_block_frames);
    // The station derives its decks to attach what it knows about the track.
    virtual ~Deck() = default;
    Deck(const Deck&) = delete;
    Deck& operator=(const Deck&) = delete;
    Deck(Deck&&) = delete;
    Deck& operator=(Deck&&) = delete;

    // Decodes the first piece of audio ahead of time, so that a file that opens but yields no
    // audio is found out while the deck is loaded, not when it should be heard. false = no audio.
    bool prime();

    // Adds up to `frames` frames of the track (gain and fade applied) into `out` (interleaved,
    // at least frames * channels). Returns the frames added: fewer than asked only when the
    // track ended or its fade-out completed in this call.
    std::size_t mix_into(std::span<float> out, std::size_t frames);

    // Starts an equal-power fade from now over `frames` frames. A fade-out starts from the
    // current envelope (a deck still fading in fades out from where it is) and ends the deck
    // when it completes.
    void fade_in(std::uint64_t frames);
    void fade_out(std::uint64_t frames);
    [[nodiscard]] bool fading_out() const { return fade_ == Fade::out; }

    // The decoder has no more audio, or a fade-out completed.
    [[nodiscard]] bool ended() const { return ended_; }

    // Seeks to `seconds` from the start; false when the file cannot seek (nothing changes).
    bool seek(double seconds);

    [[nodiscard]] std::uint64_t id() const { return id_; }
    // Frames into the track that have been mixed (counting seeks).
    [[nodiscard]] std::uint64_t position_frames() const { return position_; }
    [[nodiscard]] double position_seconds() const;
    [[nodiscard]] std::uint64_t expected_frames() const { return expected_frames_; }
    // Frames left by the expected length; nullopt when the length is unknown.
    [[nodiscard]] std::optional<std::uint64_t> remaining_frames() const;
    [[nodiscard]] codec::PcmFormat format() const { return format_; }
    [[nodiscard]] const codec::FileDecoder& decoder() const { return *decoder_; }

private:
    enum class Fade { none, in, out };

    [[nodiscard]] double envelope() const; // fade factor at the current fade position
    std::size_t refill(std::size_t wanted);

    std::uint64_t id_;
    std::unique_ptr<codec::FileDecoder> decoder_;
    codec::PcmFormat format_;
    double gain_;
    std::uint64_t expected_frames_;
    std::vector<float> buffer_; // decoded frames not yet mixed: [pending_at_, pending_end_)
    std::size_t pending_at_ = 0;
    std::size_t pending_end_ = 0;
    std::uint64_t position_ = 0;
    bool exhausted_ = false; // the decoder returned its last frame
    bool ended_ = false;
    Fade fade_ = Fade::none;
    std::uint64_t fade_pos_ = 0;
    std::uint64_t fade_len_ = 0;
    double fade_from_ = 1.0; // envelope when a fade-out started
};

} // namespace tinyice::autodj
