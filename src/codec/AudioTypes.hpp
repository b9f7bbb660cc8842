#pragma once
// Vocabulary of the audio engine (decoders, encoders, mixer): the PCM format that flows between
// them, track tags, the output codecs, and the one exception the engine throws. No FFmpeg types
// appear in any public header of src/codec: only the .cpp files include FFmpeg (STYLE habit 9).
//
// PCM inside the engine is always interleaved 32-bit float in [-1, 1], `channels` samples per
// frame. A "frame" below means one sample for every channel.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tinyice::codec {

struct PcmFormat {
    int sample_rate = 44100;
    int channels = 2; // 1 or 2
    bool operator==(const PcmFormat&) const = default;
};

// Control-plane failure of the engine: a file that cannot be opened or has no audio stream, an
// encoder FFmpeg does not provide, bad settings. what() is one line meant for the operator,
// e.g. "song.mp3: no audio stream" or "opus encoder: bitrate 2 kbps is out of range".
struct CodecError : std::runtime_error {
    using runtime_error::runtime_error;
};

struct TrackTags {
    std::string artist;
    std::string title;
    std::string album;
    std::string genre;
    std::string date;
    std::string track;    // "3" or "3/12" as written
    double duration = 0;  // seconds; 0 = unknown
    int bitrate_kbps = 0; // container/stream bitrate; 0 = unknown
    int sample_rate = 0;  // of the audio stream
    int channels = 0;
    std::string codec; // FFmpeg codec name: "mp3", "aac", "vorbis", "opus", "flac", ...
    // ReplayGain (REPLAYGAIN_TRACK_GAIN "-6.53 dB" etc.; for Opus R128_TRACK_GAIN is converted
    // to the ReplayGain reference). nullopt when the file has none.
    std::optional<double> rg_track_gain_db;
    std::optional<double> rg_track_peak; // linear, 1.0 = full scale
    std::optional<double> rg_album_gain_db;
    std::optional<double> rg_album_peak;

    // "Artist - Title", or the title alone, or the artist alone, or "" when neither is known.
    [[nodiscard]] std::string display_title() const;
};

enum class OutputCodec { mp3, opus, vorbis, aac };

// "mp3", "opus", "vorbis", "aac".
[[nodiscard]] std::string_view to_string(OutputCodec codec);
// The inverse (case-insensitive); nullopt for anything else.
[[nodiscard]] std::optional<OutputCodec> output_codec_from_string(std::string_view name);

} // namespace tinyice::codec
