#pragma once
// Decodes a live stream as it arrives from a mount's ring, for the transcoder: MP3 or AAC (ADTS)
// elementary streams, or Ogg (Opus, Vorbis, FLAC), fed in arbitrary byte pieces. Output is
// interleaved float PCM in a fixed format (resampled and remixed).
//
// Ogg chains are followed: a new chain (BOS pages after audio, as liquidsoap and many encoders
// send at every title change) re-creates the decoder from that chain's header packets, so the
// codec may even change between chains. Bytes that are not a valid frame or page are skipped.
// A feed() never throws on bad data; it returns what it could decode.

#include "codec/AudioTypes.hpp"
#include "codec/StreamFormat.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace tinyice::codec {

class StreamDecoder {
public:
    // `input` must be mp3, aac or ogg (throws CodecError for generic).
    static std::unique_ptr<StreamDecoder> create(StreamFormat input, PcmFormat out);
    virtual ~StreamDecoder() = default;

    [[nodiscard]] virtual PcmFormat format() const = 0;
    // Appends the PCM decoded from `bytes` (and anything buffered before) to `pcm`.
    virtual void feed(std::span<const std::uint8_t> bytes, std::vector<float>& pcm) = 0;
    // Forgets buffered input and decoder state (the input jumped: a new source, a resync).
    virtual void reset() = 0;
    // Input units (frames or packets) that failed to decode and were skipped.
    [[nodiscard]] virtual std::uint64_t skipped() const = 0;
};

} // namespace tinyice::codec
