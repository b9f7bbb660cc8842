#pragma once
// EBU R128 loudness measurement (through libebur128), for loudness normalisation of tracks that
// carry no ReplayGain tags. The library scanner measures each such track once, in the
// background, and stores the result.

#include "codec/AudioTypes.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>

namespace tinyice::codec {

struct LoudnessResult {
    double integrated_lufs = 0; // programme loudness; -70 or lower means silence
    double peak = 0;            // sample peak, linear (1.0 = full scale)
    double seconds = 0;         // audio measured
};

class LoudnessMeter {
public:
    explicit LoudnessMeter(PcmFormat format); // throws CodecError if libebur128 refuses it
    ~LoudnessMeter();
    LoudnessMeter(const LoudnessMeter&) = delete;
    LoudnessMeter& operator=(const LoudnessMeter&) = delete;
    LoudnessMeter(LoudnessMeter&& other) noexcept;
    LoudnessMeter& operator=(LoudnessMeter&& other) noexcept;

    void add(std::span<const float> interleaved);
    [[nodiscard]] LoudnessResult result() const;

private:
    struct State;
    std::unique_ptr<State> state_;
    PcmFormat format_;
};

// Decodes the whole file (at its own rate, up to 2 channels) and measures it. Throws CodecError
// when the file cannot be opened; a file that stops decoding part-way is measured up to there.
// `should_stop` is polled between blocks so a long measurement can be abandoned at shutdown.
LoudnessResult measure_file_loudness(const std::filesystem::path& path,
                                     const std::function<bool()>& should_stop = {});

// The gain (dB) that brings a track to `target_lufs`, from its ReplayGain tag when present
// (ReplayGain 2 reference: -18 LUFS) or else its measured loudness; clamped to [-24, +12] dB and
// lowered so that the known peak stays at or below -1 dBFS. nullopt when nothing is known.
std::optional<double> normalisation_gain_db(const TrackTags& tags,
                                            std::optional<LoudnessResult> measured,
                                            double target_lufs);

} // namespace tinyice::codec
