#include "codec/Loudness.hpp"

#include "codec/FileDecoder.hpp"

#include <algorithm>
#include <cmath>
#include <ebur128.h>
#include <vector>

namespace tinyice::codec {
namespace {

// ebur128_loudness_global() gives -HUGE_VAL for silence (every block gated out).
constexpr double silence_lufs = -70.0;
// ReplayGain 2 tags are relative to -18 LUFS.
constexpr double replaygain_reference_lufs = -18.0;
constexpr double min_gain_db = -24.0;
constexpr double max_gain_db = 12.0;
constexpr double peak_ceiling_dbfs = -1.0;
constexpr std::size_t block_frames = 8192;

struct StateDeleter {
    void operator()(ebur128_state* st) const { ebur128_destroy(&st); }
};

} // namespace

struct LoudnessMeter::State {
    std::unique_ptr<ebur128_state, StateDeleter> st;
    std::uint64_t frames = 0;
};

LoudnessMeter::LoudnessMeter(PcmFormat format)
    : state_(std::make_unique<State>()), format_(format) {
    if (format.channels < 1 || format.channels > 2 || format.sample_rate < 8000 ||
        format.sample_rate > 384000) {
        throw CodecError("loudness meter: unsupported format (" +
                         std::to_string(format.sample_rate) + " Hz, " +
                         std::to_string(format.channels) + " channels)");
    }
    state_->st.reset(ebur128_init(static_cast<unsigned>(format.channels),
                                  static_cast<unsigned long>(format.sample_rate),
                                  EBUR128_MODE_I | EBUR128_MODE_SAMPLE_PEAK));
    if (!state_->st) {
        throw CodecError("loudness meter: libebur128 refused " +
                         std::to_string(format.sample_rate) + " Hz, " +
                         std::to_string(format.channels) + " channels");
    }
    if (format.channels == 1) {
        // A mono track plays on both speakers, which BS.1770 counts as 3 dB louder than one.
        ebur128_set_channel(state_->st.get(), 0, EBUR128_DUAL_MONO);
    }
}

LoudnessMeter::~LoudnessMeter() = default;
LoudnessMeter::LoudnessMeter(LoudnessMeter&&) noexcept = default;
LoudnessMeter& LoudnessMeter::operator=(LoudnessMeter&&) noexcept = default;

void LoudnessMeter::add(std::span<const float> interleaved) {
    const std::size_t frames = interleaved.size() / static_cast<std::size_t>(format_.channels);
    if (frames == 0) {
        return;
    }
    if (ebur128_add_frames_float(state_->st.get(), interleaved.data(), frames) == EBUR128_SUCCESS) {
        state_->frames += frames;
    }
}

LoudnessResult LoudnessMeter::result() const {
    LoudnessResult r;
    double lufs = -HUGE_VAL;
    if (ebur128_loudness_global(state_->st.get(), &lufs) != EBUR128_SUCCESS ||
        !std::isfinite(lufs) || lufs < silence_lufs) {
        lufs = silence_lufs;
    }
    r.integrated_lufs = lufs;
    for (unsigned ch = 0; ch < static_cast<unsigned>(format_.channels); ++ch) {
        double peak = 0;
        if (ebur128_sample_peak(state_->st.get(), ch, &peak) == EBUR128_SUCCESS) {
            r.peak = std::max(r.peak, peak);
        }
    }
    r.seconds = static_cast<double>(state_->frames) / format_.sample_rate;
    return r;
}

LoudnessResult measure_file_loudness(const std::filesystem::path& path,
                                     const std::function<bool()>& should_stop) {
    const TrackTags facts = probe_file(path);
    PcmFormat format;
    format.sample_rate =
        std::clamp(facts.sample_rate > 0 ? facts.sample_rate : 44100, 8000, 384000);
    format.channels = facts.channels == 1 ? 1 : 2;
    auto decoder = FileDecoder::open(path, format);
    LoudnessMeter meter(format);
    std::vector<float> block(block_frames * static_cast<std::size_t>(format.channels));
    for (;;) {
        if (should_stop && should_stop()) {
            break;
        }
        const std::size_t frames = decoder->read(block);
        if (frames == 0) {
            break;
        }
        meter.add(std::span<const float>(block).first(frames *
                                                      static_cast<std::size_t>(format.channels)));
    }
    return meter.result();
}

std::optional<double> normalisation_gain_db(const TrackTags& tags,
                                            std::optional<LoudnessResult> measured,
                                            double target_lufs) {
    double gain = 0;
    std::optional<double> peak;
    if (tags.rg_track_gain_db) {
        gain = *tags.rg_track_gain_db + (target_lufs - replaygain_reference_lufs);
        peak = tags.rg_track_peak;
    } else if (measured && measured->integrated_lufs > silence_lufs) {
        gain = target_lufs - measured->integrated_lufs;
    } else {
        // Nothing known, or a silent track: raising silence by 12 dB only raises its noise.
        return std::nullopt;
    }
    if (!peak && measured && measured->peak > 0) {
        peak = measured->peak;
    }
    gain = std::clamp(gain, min_gain_db, max_gain_db);
    if (peak && *peak > 0) {
        gain = std::min(gain, peak_ceiling_dbfs - 20.0 * std::log10(*peak));
    }
    return gain;
}

} // namespace tinyice::codec
