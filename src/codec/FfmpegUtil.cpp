#include "codec/FfmpegUtil.hpp"

extern "C" {
#include <libavutil/opt.h>
}

#include <array>
#include <new>

namespace tinyice::codec::ffmpeg {

std::string av_error_string(int error) {
    std::array<char, AV_ERROR_MAX_STRING_SIZE> buf{};
    if (av_strerror(error, buf.data(), buf.size()) < 0) {
        return "error " + std::to_string(error);
    }
    return buf.data();
}

FramePtr make_frame() {
    FramePtr frame(av_frame_alloc());
    if (!frame) {
        throw std::bad_alloc();
    }
    return frame;
}

PacketPtr make_packet() {
    PacketPtr packet(av_packet_alloc());
    if (!packet) {
        throw std::bad_alloc();
    }
    return packet;
}

CodecContextPtr make_codec_context(const AVCodec* codec) {
    CodecContextPtr ctx(avcodec_alloc_context3(codec));
    if (!ctx) {
        throw std::bad_alloc();
    }
    return ctx;
}

AVChannelLayout layout_for(int channels) {
    AVChannelLayout layout{};
    av_channel_layout_default(&layout, channels);
    return layout;
}

namespace {

// swresample builds its remix matrix from channel names; a layout that only gives a count gets
// the usual layout for that count.
AVChannelLayout named_layout(const AVChannelLayout& layout) {
    AVChannelLayout out{};
    if (layout.order == AV_CHANNEL_ORDER_UNSPEC || layout.nb_channels <= 0) {
        av_channel_layout_default(&out, layout.nb_channels > 0 ? layout.nb_channels : 2);
    } else if (av_channel_layout_copy(&out, &layout) < 0) {
        throw std::bad_alloc();
    }
    return out;
}

} // namespace

SwrPtr make_resampler(const AVChannelLayout& in_layout, AVSampleFormat in_format, int in_rate,
                      const AVChannelLayout& out_layout, AVSampleFormat out_format, int out_rate,
                      const std::string& what) {
    AVChannelLayout in = named_layout(in_layout);
    SwrContext* raw = nullptr;
    // FFmpeg 5.1 takes the layouts by non-const pointer but does not modify them.
    int err = swr_alloc_set_opts2(&raw,
                                  const_cast<AVChannelLayout*>(&out_layout), // NOLINT
                                  out_format, out_rate, &in, in_format, in_rate, 0, nullptr);
    SwrPtr swr(raw);
    const int in_channels = in.nb_channels;
    av_channel_layout_uninit(&in);
    if (err < 0 || !swr) {
        throw CodecError(what + ": cannot convert audio: " + av_error_string(err));
    }
    if (in_channels == 1 && out_layout.nb_channels == 2) {
        // Mono plays on both speakers at its own level.
        const std::array<double, 2> matrix = {1.0, 1.0};
        err = swr_set_matrix(swr.get(), matrix.data(), 1);
    } else if (in_channels > out_layout.nb_channels) {
        // For float output swresample does not normalise a downmix; a loud 5.1 track would clip.
        err = av_opt_set_double(swr.get(), "rematrix_maxval", 1.0, 0);
    }
    if (err >= 0) {
        err = swr_init(swr.get());
    }
    if (err < 0) {
        throw CodecError(what + ": cannot convert " + std::to_string(in_channels) +
                         " channels at " + std::to_string(in_rate) +
                         " Hz: " + av_error_string(err));
    }
    return swr;
}

PcmConverter::~PcmConverter() {
    av_channel_layout_uninit(&in_layout_);
}

bool PcmConverter::same_input(const AVFrame& frame) const {
    return frame.format == in_format_ && frame.sample_rate == in_rate_ &&
           av_channel_layout_compare(&frame.ch_layout, &in_layout_) == 0;
}

void PcmConverter::forget_input() {
    swr_.reset();
    av_channel_layout_uninit(&in_layout_);
    in_format_ = -1;
    in_rate_ = 0;
    failed_config_ = false;
}

bool PcmConverter::configure(const AVFrame& frame) {
    forget_input();
    in_format_ = frame.format;
    in_rate_ = frame.sample_rate;
    if (av_channel_layout_copy(&in_layout_, &frame.ch_layout) < 0) {
        throw std::bad_alloc();
    }
    if (frame.sample_rate <= 0 || frame.ch_layout.nb_channels <= 0 || frame.format < 0) {
        failed_config_ = true;
        return false;
    }
    try {
        const AVChannelLayout out_layout = layout_for(out_.channels);
        swr_ = make_resampler(frame.ch_layout, static_cast<AVSampleFormat>(frame.format),
                              frame.sample_rate, out_layout, AV_SAMPLE_FMT_FLT, out_.sample_rate,
                              "decoder");
    } catch (const CodecError&) {
        failed_config_ = true;
        return false;
    }
    return true;
}

bool PcmConverter::convert(const AVFrame& frame, std::vector<float>& pcm) {
    if (frame.nb_samples <= 0) {
        return true;
    }
    if (!same_input(frame)) {
        if (swr_) {
            drain(pcm);
        }
        if (!configure(frame)) {
            return false;
        }
    } else if (failed_config_) {
        return false;
    }
    run(frame.extended_data, frame.nb_samples, pcm);
    return true;
}

void PcmConverter::drain(std::vector<float>& pcm) {
    if (swr_) {
        run(nullptr, 0, pcm);
    }
    forget_input();
}

void PcmConverter::reset() {
    forget_input();
}

void PcmConverter::run(const std::uint8_t* const* in, int in_samples, std::vector<float>& pcm) {
    const int capacity = swr_get_out_samples(swr_.get(), in_samples);
    if (capacity <= 0) {
        return;
    }
    const auto channels = static_cast<std::size_t>(out_.channels);
    const std::size_t old_size = pcm.size();
    pcm.resize(old_size + static_cast<std::size_t>(capacity) * channels);
    auto* out = reinterpret_cast<std::uint8_t*>(pcm.data() + old_size);
    // swr_convert() takes `const uint8_t**` but does not write through it.
    const int produced = swr_convert(
        swr_.get(), &out, capacity,
        const_cast<const std::uint8_t**>(in), // NOLINT(cppcoreguidelines-pro-type-const-cast)
        in_samples);
    pcm.resize(old_size + static_cast<std::size_t>(produced > 0 ? produced : 0) * channels);
}

} // namespace tinyice::codec::ffmpeg
