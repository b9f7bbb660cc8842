#pragma once
// Internal to src/codec: RAII owners for FFmpeg objects, error strings, and the PCM converter
// that both decoders share. Only .cpp files of src/codec include this header (it pulls in
// FFmpeg's C headers, which nothing outside src/codec may see; STYLE habit 9).

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>
}

#include "codec/AudioTypes.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tinyice::codec::ffmpeg {

struct FormatContextDeleter {
    void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
};
struct CodecContextDeleter {
    void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct FrameDeleter {
    void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct PacketDeleter {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwrDeleter {
    void operator()(SwrContext* p) const { swr_free(&p); }
};
struct ParserDeleter {
    void operator()(AVCodecParserContext* p) const { av_parser_close(p); }
};
struct AudioFifoDeleter {
    void operator()(AVAudioFifo* p) const { av_audio_fifo_free(p); }
};

using FormatContextPtr = std::unique_ptr<AVFormatContext, FormatContextDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;
using ParserPtr = std::unique_ptr<AVCodecParserContext, ParserDeleter>;
using AudioFifoPtr = std::unique_ptr<AVAudioFifo, AudioFifoDeleter>;

// av_strerror() as a string ("Invalid data found when processing input").
std::string av_error_string(int error);

// Allocators that throw std::bad_alloc instead of returning null.
FramePtr make_frame();
PacketPtr make_packet();
CodecContextPtr make_codec_context(const AVCodec* codec);

// The layout TinyIce uses for `channels` (1 = mono, 2 = stereo).
AVChannelLayout layout_for(int channels);

// A resampler from (in_layout, in_format, in_rate) to (out_layout, out_format, out_rate) with
// TinyIce's remix rules: mono is copied to both channels at full level (swresample's default
// would lower it by 3 dB), and a downmix is normalised so that it cannot clip. Throws CodecError
// prefixed with `what` when swresample refuses the conversion.
SwrPtr make_resampler(const AVChannelLayout& in_layout, AVSampleFormat in_format, int in_rate,
                      const AVChannelLayout& out_layout, AVSampleFormat out_format, int out_rate,
                      const std::string& what);

// Converts decoded frames (any sample format, layout and rate, which may change from frame to
// frame: a new Ogg chain, an HE-AAC stream that reveals SBR) to interleaved float in one fixed
// PcmFormat, appending to a caller-owned vector. The SwrContext is re-created only when the
// input parameters change; the output vector is grown, never shrunk, so steady state does not
// allocate.
class PcmConverter {
public:
    explicit PcmConverter(PcmFormat out) : out_(out) {}
    ~PcmConverter();
    PcmConverter(const PcmConverter&) = delete;
    PcmConverter& operator=(const PcmConverter&) = delete;
    PcmConverter(PcmConverter&&) = delete;
    PcmConverter& operator=(PcmConverter&&) = delete;

    [[nodiscard]] PcmFormat format() const { return out_; }
    // Appends the frame's audio (converted) to `pcm`. Returns false (and appends nothing) when
    // the frame's parameters cannot be converted; the caller counts that as a skipped frame.
    bool convert(const AVFrame& frame, std::vector<float>& pcm);
    // Appends the samples still inside the resampler (its filter delay) and forgets the input
    // parameters, e.g. at the end of a track or before switching decoders.
    void drain(std::vector<float>& pcm);
    // Drops the resampler's buffered samples (after a seek or a jump in the input).
    void reset();

private:
    [[nodiscard]] bool same_input(const AVFrame& frame) const;
    bool configure(const AVFrame& frame);
    void forget_input();
    void run(const std::uint8_t* const* in, int in_samples, std::vector<float>& pcm);

    PcmFormat out_;
    SwrPtr swr_;
    AVChannelLayout in_layout_{};
    int in_format_ = -1;
    int in_rate_ = 0;
    bool failed_config_ = false; // the current input parameters were refused
};

} // namespace tinyice::codec::ffmpeg
