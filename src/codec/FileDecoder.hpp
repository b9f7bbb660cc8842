#pragma once
// Decodes an audio file (anything FFmpeg reads: MP3, AAC/M4A, Ogg Vorbis/Opus, FLAC, WAV, ...)
// to interleaved float PCM in a fixed output format, resampling and remixing as needed (mono is
// duplicated to stereo; more channels are downmixed). Gapless metadata (LAME/iTunes encoder
// delay and padding, Opus pre-skip) is honoured, so consecutive tracks join without a gap.
//
// Corrupt input never throws once the file is open: a packet that fails to decode is skipped
// and counted; after too many consecutive failures the track ends early and error() says why.
// Not thread-safe; one decoder belongs to one thread (an AutoDJ station or a scanner).

#include "codec/AudioTypes.hpp"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace tinyice::codec {

class FileDecoder {
public:
    // Opens `path` and prepares decoding to `out`. Throws CodecError naming the file and the
    // problem: cannot open, not a media file, no audio stream, no decoder for its codec.
    static std::unique_ptr<FileDecoder> open(const std::filesystem::path& path, PcmFormat out);

    virtual ~FileDecoder() = default;

    [[nodiscard]] virtual PcmFormat format() const = 0;
    // Tags and stream facts read at open (duration is the container's estimate; 0 = unknown).
    [[nodiscard]] virtual const TrackTags& tags() const = 0;
    // Fills `out` (its size must be a multiple of channels) with the next frames; returns the
    // number of frames written. Returns fewer than requested only at the end of the track, and
    // 0 once the track is over.
    virtual std::size_t read(std::span<float> out) = 0;
    // Seeks to `seconds` from the start (clamped to [0, duration]); false when the file cannot
    // seek. After a seek, position() is the new position.
    virtual bool seek(double seconds) = 0;
    // Seconds of audio returned by read() since the start of the track (counting seeks).
    [[nodiscard]] virtual double position() const = 0;
    // Why the track ended early ("12 consecutive corrupt packets"), or "" when it did not.
    [[nodiscard]] virtual const std::string& error() const = 0;
    // Packets that failed to decode and were skipped.
    [[nodiscard]] virtual std::size_t skipped_packets() const = 0;
};

// Reads tags and stream facts without decoding audio (a few KB of I/O for most files): what the
// library scanner stores. Throws CodecError like FileDecoder::open.
TrackTags probe_file(const std::filesystem::path& path);

// Routes FFmpeg's own log output to the "ffmpeg" logger at debug level (call once at start;
// tests may skip it). Idempotent and thread-safe.
void init_ffmpeg_logging();

} // namespace tinyice::codec
