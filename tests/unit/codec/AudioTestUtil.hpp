#pragma once
// Helpers for the audio engine tests: test tones, tone detection, encode/decode round trips, a
// temporary directory, and the ffmpeg CLI as an independent judge of what we write.

#include "codec/AudioTypes.hpp"
#include "codec/CodecTestUtil.hpp"
#include "codec/FileDecoder.hpp"
#include "codec/StreamEncoder.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <span>
#include <string>
#include <vector>

namespace tinyice::codec::test {

// Interleaved sine, the same on every channel.
inline std::vector<float> sine(PcmFormat format, double frequency, double seconds,
                               double amplitude = 0.5) {
    const auto frames = static_cast<std::size_t>(std::llround(seconds * format.sample_rate));
    std::vector<float> out(frames * static_cast<std::size_t>(format.channels));
    for (std::size_t i = 0; i < frames; ++i) {
        const double t = static_cast<double>(i) / format.sample_rate;
        const auto v =
            static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * frequency * t));
        for (int c = 0; c < format.channels; ++c) {
            out[i * static_cast<std::size_t>(format.channels) + static_cast<std::size_t>(c)] = v;
        }
    }
    return out;
}

// Amplitude of `frequency` in channel `channel` (Goertzel over the whole signal): about the
// sine's amplitude when the tone is there, near 0 when it is not.
inline double tone_amplitude(std::span<const float> pcm, PcmFormat format, double frequency,
                             int channel = 0) {
    const auto channels = static_cast<std::size_t>(format.channels);
    const std::size_t frames = pcm.size() / channels;
    if (frames == 0) {
        return 0;
    }
    const double w = 2 * std::numbers::pi * frequency / format.sample_rate;
    const double coeff = 2 * std::cos(w);
    double s1 = 0;
    double s2 = 0;
    for (std::size_t i = 0; i < frames; ++i) {
        const double s = pcm[i * channels + static_cast<std::size_t>(channel)] + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return 2 * std::sqrt(std::max(power, 0.0)) / static_cast<double>(frames);
}

// Fraction of the 50 ms windows of `pcm` in which `frequency` has at least `min_amplitude`:
// robust to gaps and phase jumps, which make one transform over everything cancel out.
inline double tone_fraction(std::span<const float> pcm, PcmFormat format, double frequency,
                            double min_amplitude) {
    const auto window = static_cast<std::size_t>(format.sample_rate / 20) *
                        static_cast<std::size_t>(format.channels);
    std::size_t windows = 0;
    std::size_t hits = 0;
    for (std::size_t pos = 0; pos + window <= pcm.size(); pos += window) {
        ++windows;
        if (tone_amplitude(pcm.subspan(pos, window), format, frequency) >= min_amplitude) {
            ++hits;
        }
    }
    return windows == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(windows);
}

inline double rms(std::span<const float> pcm) {
    if (pcm.empty()) {
        return 0;
    }
    double sum = 0;
    for (const float v : pcm) {
        sum += double{v} * v;
    }
    return std::sqrt(sum / static_cast<double>(pcm.size()));
}

// Pushes `pcm` in pieces of `piece_frames` (0 = all at once) and finishes.
inline Bytes encode(StreamEncoder& encoder, std::span<const float> pcm,
                    std::size_t piece_frames = 0) {
    Bytes out;
    const auto channels = static_cast<std::size_t>(encoder.input_format().channels);
    const std::size_t step = piece_frames == 0 ? pcm.size() : piece_frames * channels;
    for (std::size_t pos = 0; pos < pcm.size(); pos += step) {
        encoder.push(pcm.subspan(pos, std::min(step, pcm.size() - pos)), out);
    }
    encoder.finish(out);
    return out;
}

inline Bytes encode(const EncoderSettings& settings, PcmFormat input, std::span<const float> pcm,
                    const StreamTags& tags = {}) {
    auto encoder = StreamEncoder::create(settings, input, tags);
    return encode(*encoder, pcm);
}

inline std::vector<float> decode_all(FileDecoder& decoder) {
    std::vector<float> out;
    std::vector<float> block(4096 * static_cast<std::size_t>(decoder.format().channels));
    for (;;) {
        const std::size_t n = decoder.read(block);
        out.insert(out.end(), block.begin(),
                   block.begin() + static_cast<std::ptrdiff_t>(
                                       n * static_cast<std::size_t>(decoder.format().channels)));
        if (n == 0) {
            return out;
        }
    }
}

inline double seconds_of(std::span<const float> pcm, PcmFormat format) {
    return static_cast<double>(pcm.size() / static_cast<std::size_t>(format.channels)) /
           format.sample_rate;
}

// A fresh directory under the system temp dir, removed with its contents at scope exit.
class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "tinyice-codec-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] std::filesystem::path operator/(std::string_view name) const {
        return path_ / name;
    }
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

inline std::string quoted(const std::filesystem::path& path) {
    std::string out = "'";
    for (const char c : path.string()) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

// What `ffmpeg -v error` says when decoding the whole file ("" = no errors); the exit status
// goes to `status`.
inline std::string ffmpeg_decode_errors(const std::filesystem::path& path, int& status) {
    std::string output;
    status = run_command(
        "ffmpeg -nostdin -hide_banner -v error -i " + quoted(path) + " -f null - 2>&1", &output);
    return output;
}

// Decoded duration according to ffmpeg (-1 if it cannot say).
inline double ffmpeg_decoded_seconds(const std::filesystem::path& path) {
    std::string output;
    run_command("ffmpeg -nostdin -hide_banner -v error -stats -i " + quoted(path) +
                    " -f null - 2>&1 | tr '\\r' '\\n' | grep -o 'time=[0-9:.]*' | tail -1",
                &output);
    int h = 0;
    int m = 0;
    double s = 0;
    if (std::sscanf(output.c_str(), "time=%d:%d:%lf", &h, &m, &s) != 3) {
        return -1;
    }
    return h * 3600 + m * 60 + s;
}

// Runs ffmpeg to make a fixture; false (after ADD_FAILURE) when it fails.
inline bool make_with_ffmpeg(const std::string& args) {
    std::string output;
    const int status =
        run_command("ffmpeg -nostdin -hide_banner -v error -y " + args + " 2>&1", &output);
    if (status != 0) {
        ADD_FAILURE() << "ffmpeg " << args << " failed: " << output;
        return false;
    }
    return true;
}

} // namespace tinyice::codec::test
