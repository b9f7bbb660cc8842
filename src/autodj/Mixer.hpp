#pragma once
// Internal to src/autodj: turns the station's decks into one block of PCM at a time. It knows
// about the current deck, decks that are fading out (after a crossfade or a skip), the
// crossfade point, and the master gain (volume times play/pause, both changed smoothly so that
// nothing clicks). Which track comes next is the station's business: the mixer asks its
// Listener at the crossfade point and at the end of a track.
//
// Belongs to the station thread; nothing here is thread-safe and nothing here does I/O except
// through the decks' decoders.

#include "autodj/Deck.hpp"
#include "codec/AudioTypes.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace tinyice::autodj {

class Mixer {
public:
    class Listener {
    public:
        Listener() = default;
        virtual ~Listener() = default;
        Listener(const Listener&) = delete;
        Listener& operator=(const Listener&) = delete;
        Listener(Listener&&) = delete;
        Listener& operator=(Listener&&) = delete;
        // The current deck reached its crossfade point (`at_end` false) or ran out (`at_end`
        // true). Returns the deck that plays next, or nullptr: at a crossfade point that means
        // "no crossfade" and the current deck plays on and is asked about again at its end; at
        // the end it means silence until the station calls start(). current() is still the
        // deck that reached its crossfade point or end.
        virtual std::unique_ptr<Deck> on_next_deck(bool at_end) = 0;
        // `deck` became the current deck, `offset` frames into the block being rendered.
        virtual void on_deck_started(const Deck& deck, std::size_t offset) = 0;
        // `deck` is gone: it ran out or finished fading out. `was_current` when it ended as the
        // current deck (not after a crossfade).
        virtual void on_deck_ended(const Deck& deck, bool was_current) = 0;
    };

    // `ramp_frames`: how long a volume or play/pause change takes (about 50 ms).
    Mixer(codec::PcmFormat format, std::size_t max_block_frames, std::uint64_t ramp_frames);

    // Crossfade length; 0 = gapless (the next track starts on the frame after the last one).
    void set_crossfade(std::uint64_t frames) { crossfade_ = frames; }
    [[nodiscard]] std::uint64_t crossfade() const { return crossfade_; }
    // Target gain (linear, after normalisation), reached smoothly.
    void set_volume(double gain);
    // Playing (decks advance) or not (the output ramps to silence, then decks stand still).
    void set_playing(bool playing);
    [[nodiscard]] bool playing() const { return playing_; }
    // Not playing and already silent: the decks are not being read.
    [[nodiscard]] bool silent() const { return !playing_ && gain_ == 0.0; }

    // Makes `deck` current at once (a skip, a jump, the first track). The old current deck
    // fades out over `fade_frames` under it. nullptr = nothing current (the old one still
    // fades out).
    void start(std::unique_ptr<Deck> deck, std::uint64_t fade_frames);
    // Drops every deck at once.
    void clear();

    [[nodiscard]] Deck* current() { return current_.get(); }
    [[nodiscard]] const Deck* current() const { return current_.get(); }
    [[nodiscard]] bool idle() const { return !current_ && outgoing_.empty(); }
    // Frames of the current deck before the listener is asked for the next deck (the crossfade
    // point, or the end when there is no crossfade); nullopt when unknown (no current deck,
    // unknown length, or the crossfade was declined and the length is unknown).
    [[nodiscard]] std::optional<std::uint64_t> frames_until_transition() const;

    // Renders `frames` frames into `out` (interleaved, at least frames * channels), clamped to
    // [-1, 1].
    void render(std::span<float> out, std::size_t frames, Listener& listener);

private:
    [[nodiscard]] std::uint64_t effective_crossfade() const;
    void transition(bool at_end, std::size_t offset, Listener& listener);
    void mix_outgoing(std::span<float> out, std::size_t frames, Listener& listener);
    void apply_gain(std::span<float> out, std::size_t frames);

    codec::PcmFormat format_;
    std::size_t max_block_frames_;
    double step_; // largest gain change per frame
    std::uint64_t crossfade_ = 0;
    double volume_ = 1.0;
    bool playing_ = true;
    double gain_ = 1.0; // current master gain
    std::unique_ptr<Deck> current_;
    bool crossfade_declined_ = false;             // asked at the crossfade point, got nothing
    std::vector<std::unique_ptr<Deck>> outgoing_; // fading out; at most max_outgoing
};

} // namespace tinyice::autodj
