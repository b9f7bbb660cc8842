#pragma once
// Encodes interleaved float PCM into a listener-ready byte stream for a mount:
//   mp3    - MPEG-1/2 Layer III through LAME (libavcodec "libmp3lame"), CBR at the bitrate;
//            the output is a plain frame sequence ("audio/mpeg").
//   aac    - AAC-LC (libavcodec "aac") in ADTS frames ("audio/aac").
//   opus   - Ogg Opus ("audio/ogg"), 48 kHz, 20 ms packets.
//   vorbis - Ogg Vorbis through libvorbis ("audio/ogg").
// Ogg output has correct framing (CRC, lacing, BOS/EOS), header packets on pages of their own
// and granule positions counted from the start of each chain.
//
// One encoder lives for the whole life of a station, so playback is gapless across tracks: PCM
// is buffered to the codec's frame size and nothing is flushed at a track change. set_tags()
// changes the in-band metadata: for Ogg this ends the current logical stream (EOS) and starts a
// new chain (BOS) carrying the same identification/setup headers and a new comment header,
// which is the only in-band place Ogg has for titles; the codec state continues across it. For
// MP3 and AAC set_tags() does nothing (titles travel as ICY metadata, outside the codec).
//
// Not thread-safe; one encoder belongs to one thread.

#include "codec/AudioTypes.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace tinyice::codec {

struct EncoderSettings {
    OutputCodec codec = OutputCodec::mp3;
    int bitrate_kbps = 128; // mp3: 8..320, aac: 16..320, opus: 6..510, vorbis: 32..500 (ABR)
    int sample_rate = 0;    // 0 = the input rate (opus: always 48000); must be one the codec takes
    int channels = 2;       // 1 or 2
    bool operator==(const EncoderSettings&) const = default;
};

struct StreamTags {
    std::string artist;
    std::string title;
    std::string album;
    // Extra Vorbis comments (KEY, value), e.g. {"COMMENT", "..."}.
    std::vector<std::pair<std::string, std::string>> extra;
    bool operator==(const StreamTags&) const = default;
};

class StreamEncoder {
public:
    // Throws CodecError on unsupported settings (names the codec and the bad value) or when
    // FFmpeg lacks the encoder. `input` is the PCM format push() receives; it is resampled to
    // the codec's rate when they differ.
    static std::unique_ptr<StreamEncoder> create(const EncoderSettings& settings, PcmFormat input,
                                                 StreamTags initial_tags = {});
    virtual ~StreamEncoder() = default;

    [[nodiscard]] virtual const EncoderSettings& settings() const = 0;
    [[nodiscard]] virtual PcmFormat input_format() const = 0;
    [[nodiscard]] virtual int output_sample_rate() const = 0;
    // "audio/mpeg", "audio/aac" or "audio/ogg".
    [[nodiscard]] virtual std::string content_type() const = 0;
    // Value for ice-audio-info / status pages, e.g. "Opus" / "Vorbis" / "" (MP3/AAC).
    [[nodiscard]] virtual std::string subtype() const = 0;

    // Encodes `pcm` (interleaved, input_format()); the bytes ready for listeners are appended
    // to `out`. Ogg pages are emitted when full (about 4 KiB of packets) or when they hold
    // 250 ms of audio, whichever comes first, so listeners never wait long for a page.
    virtual void push(std::span<const float> pcm, std::vector<std::uint8_t>& out) = 0;
    // New in-band tags from the next packet on (Ogg: a new chain; see above).
    virtual void set_tags(const StreamTags& tags, std::vector<std::uint8_t>& out) = 0;
    // Flushes buffered PCM (padded with silence to a whole codec frame) and, for Ogg, ends the
    // logical stream with an EOS page. The encoder must not be used afterwards.
    virtual void finish(std::vector<std::uint8_t>& out) = 0;

    // Input frames consumed and bytes produced so far.
    [[nodiscard]] virtual std::uint64_t frames_in() const = 0;
    [[nodiscard]] virtual std::uint64_t bytes_out() const = 0;
};

} // namespace tinyice::codec
