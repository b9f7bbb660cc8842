#include "codec/StreamEncoder.hpp"

#include "codec/FfmpegUtil.hpp"
#include "codec/OggMuxer.hpp"
#include "util/Log.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <string_view>

extern "C" {
#include <libavutil/opt.h>
}

namespace tinyice::codec {
namespace {

using namespace ffmpeg;

struct CodecInfo {
    const char* encoder; // libavcodec encoder name
    const char* label;   // for messages
    int min_kbps;
    int max_kbps;
};

CodecInfo info_for(OutputCodec codec) {
    switch (codec) {
    case OutputCodec::mp3:
        return {"libmp3lame", "mp3", 8, 320};
    case OutputCodec::aac:
        return {"aac", "aac", 16, 320};
    case OutputCodec::opus:
        return {"libopus", "opus", 6, 510};
    case OutputCodec::vorbis:
        return {"libvorbis", "vorbis", 32, 500};
    }
    throw CodecError("encoder: unknown output codec");
}

// Input is pushed in slices of at most this many frames, so the conversion buffer and the FIFO
// stay small whatever a caller pushes at once.
constexpr std::size_t max_slice_frames = 4096;
// Vorbis comment values longer than this are cut (a lyrics tag must not make a 1 MB header that
// every late joiner receives).
constexpr std::size_t max_comment_value = std::size_t{16} * 1024;
constexpr std::string_view vendor = "TinyIce";

AVSampleFormat pick_sample_format(const AVCodec& codec) {
    if (codec.sample_fmts == nullptr) {
        return AV_SAMPLE_FMT_FLTP;
    }
    for (const AVSampleFormat wanted :
         {AV_SAMPLE_FMT_FLTP, AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_S16P, AV_SAMPLE_FMT_S16}) {
        for (const AVSampleFormat* f = codec.sample_fmts; *f != AV_SAMPLE_FMT_NONE; ++f) {
            if (*f == wanted) {
                return wanted;
            }
        }
    }
    return codec.sample_fmts[0];
}

std::string rate_list(const int* rates) {
    std::string s;
    for (const int* r = rates; *r != 0; ++r) {
        s += (s.empty() ? "" : ", ") + std::to_string(*r);
    }
    return s;
}

void put_le32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
}

void put_string(std::vector<std::uint8_t>& out, std::string_view s) {
    put_le32(out, static_cast<std::uint32_t>(s.size()));
    out.insert(out.end(), s.begin(), s.end());
}

// Vorbis comment field names are printable ASCII without '=' (Vorbis I spec 5.2.3).
bool valid_comment_key(std::string_view key) {
    return !key.empty() && std::all_of(key.begin(), key.end(),
                                       [](char c) { return c >= 0x20 && c <= 0x7D && c != '='; });
}

// Cuts at max_comment_value bytes without splitting a UTF-8 sequence.
std::string_view capped_value(std::string_view value) {
    if (value.size() <= max_comment_value) {
        return value;
    }
    std::size_t n = max_comment_value;
    while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) {
        --n;
    }
    return value.substr(0, n);
}

// The Vorbis comment structure shared by Vorbis and Opus comment headers.
void append_comment_body(const StreamTags& tags, std::vector<std::uint8_t>& out) {
    put_string(out, vendor);
    std::vector<std::pair<std::string_view, std::string_view>> fields;
    const auto add = [&](std::string_view key, std::string_view value) {
        if (valid_comment_key(key) && !value.empty()) {
            fields.emplace_back(key, capped_value(value));
        }
    };
    add("ARTIST", tags.artist);
    add("TITLE", tags.title);
    add("ALBUM", tags.album);
    for (const auto& [key, value] : tags.extra) {
        add(key, value);
    }
    put_le32(out, static_cast<std::uint32_t>(fields.size()));
    for (const auto& [key, value] : fields) {
        put_le32(out, static_cast<std::uint32_t>(key.size() + 1 + value.size()));
        out.insert(out.end(), key.begin(), key.end());
        out.push_back('=');
        out.insert(out.end(), value.begin(), value.end());
    }
}

// libvorbis's extradata: the three header packets in Xiph lacing (a count byte of 2, the sizes
// of the first two packets as runs of 255 plus a remainder, then the packets).
bool split_xiph_headers(std::span<const std::uint8_t> data,
                        std::array<std::span<const std::uint8_t>, 3>& headers) {
    if (data.empty() || data[0] != 2) {
        return false;
    }
    std::size_t pos = 1;
    std::array<std::size_t, 2> sizes{};
    for (auto& size : sizes) {
        for (;;) {
            if (pos >= data.size()) {
                return false;
            }
            const std::uint8_t v = data[pos++];
            size += v;
            if (v < 255) {
                break;
            }
        }
    }
    if (sizes[0] + sizes[1] > data.size() - pos) {
        return false;
    }
    headers[0] = data.subspan(pos, sizes[0]);
    headers[1] = data.subspan(pos + sizes[0], sizes[1]);
    headers[2] = data.subspan(pos + sizes[0] + sizes[1]);
    return !headers[2].empty();
}

class EncoderImpl final : public StreamEncoder {
public:
    EncoderImpl(const EncoderSettings& settings, PcmFormat input, StreamTags tags)
        : settings_(settings), input_(input), info_(info_for(settings.codec)),
          tags_(std::move(tags)), frame_(make_frame()), convert_(make_frame()),
          packet_(make_packet()), rng_(std::random_device{}()), log_(util::logger("codec")) {
        validate_and_open();
        const bool ogg =
            settings_.codec == OutputCodec::opus || settings_.codec == OutputCodec::vorbis;
        if (ogg) {
            setup_ogg_headers();
        } else if (settings_.codec == OutputCodec::aac) {
            setup_adts();
        }
    }

    [[nodiscard]] const EncoderSettings& settings() const override { return settings_; }
    [[nodiscard]] PcmFormat input_format() const override { return input_; }
    [[nodiscard]] int output_sample_rate() const override { return out_rate_; }
    [[nodiscard]] std::uint64_t frames_in() const override { return frames_in_; }
    [[nodiscard]] std::uint64_t bytes_out() const override { return bytes_out_; }

    [[nodiscard]] std::string content_type() const override {
        switch (settings_.codec) {
        case OutputCodec::mp3:
            return "audio/mpeg";
        case OutputCodec::aac:
            return "audio/aac";
        case OutputCodec::opus:
        case OutputCodec::vorbis:
            return "audio/ogg";
        }
        return "application/octet-stream";
    }

    [[nodiscard]] std::string subtype() const override {
        switch (settings_.codec) {
        case OutputCodec::opus:
            return "Opus";
        case OutputCodec::vorbis:
            return "Vorbis";
        default:
            return "";
        }
    }

    void push(std::span<const float> pcm, std::vector<std::uint8_t>& out) override {
        if (finished_) {
            return;
        }
        const std::size_t before = out.size();
        const auto channels = static_cast<std::size_t>(input_.channels);
        std::size_t frames = pcm.size() / channels;
        frames_in_ += frames;
        const float* p = pcm.data();
        while (frames > 0) {
            const std::size_t n = std::min(frames, max_slice_frames);
            queue_converted(p, static_cast<int>(n));
            encode_queued(false, out);
            p += n * channels;
            frames -= n;
        }
        bytes_out_ += out.size() - before;
    }

    void set_tags(const StreamTags& tags, std::vector<std::uint8_t>& out) override {
        if (finished_) {
            return;
        }
        tags_ = tags;
        if (chain_open_) {
            // The packets still queued end this chain; the next packet begins the new one, so a
            // title change before any audio does not leave an empty chain behind.
            const std::size_t before = out.size();
            mux_.end_stream(out);
            chain_open_ = false;
            bytes_out_ += out.size() - before;
        }
    }

    void finish(std::vector<std::uint8_t>& out) override {
        if (finished_) {
            return;
        }
        const std::size_t before = out.size();
        queue_converted(nullptr, 0); // the resampler's delay line
        encode_queued(true, out);
        send(nullptr, out);
        if (is_ogg()) {
            if (!any_chain_) {
                begin_chain(0, out); // no audio at all: still a valid, empty Ogg stream
            }
            if (chain_open_) {
                mux_.end_stream(out);
                chain_open_ = false;
            }
        }
        finished_ = true;
        bytes_out_ += out.size() - before;
    }

private:
    [[nodiscard]] bool is_ogg() const {
        return settings_.codec == OutputCodec::opus || settings_.codec == OutputCodec::vorbis;
    }

    [[noreturn]] void fail(const std::string& message) const {
        throw CodecError(std::string(info_.label) + " encoder: " + message);
    }

    void validate_and_open() {
        if (input_.channels != 1 && input_.channels != 2) {
            fail("input has " + std::to_string(input_.channels) + " channels (must be 1 or 2)");
        }
        if (input_.sample_rate < 8000 || input_.sample_rate > 384000) {
            fail("input sample rate " + std::to_string(input_.sample_rate) +
                 " Hz is not supported");
        }
        if (settings_.channels != 1 && settings_.channels != 2) {
            fail(std::to_string(settings_.channels) + " channels (must be 1 or 2)");
        }
        if (settings_.bitrate_kbps < info_.min_kbps || settings_.bitrate_kbps > info_.max_kbps) {
            fail("bitrate " + std::to_string(settings_.bitrate_kbps) + " kbps is out of range (" +
                 std::to_string(info_.min_kbps) + ".." + std::to_string(info_.max_kbps) + ")");
        }
        if (settings_.sample_rate < 0) {
            fail("sample rate " + std::to_string(settings_.sample_rate) + " Hz is not supported");
        }
        // Ogg Opus always runs at 48 kHz (its granule positions count 48 kHz samples).
        out_rate_ = settings_.codec == OutputCodec::opus ? 48000
                    : settings_.sample_rate != 0         ? settings_.sample_rate
                                                         : input_.sample_rate;
        const AVCodec* codec = avcodec_find_encoder_by_name(info_.encoder);
        if (codec == nullptr) {
            fail(std::string("FFmpeg was built without the ") + info_.encoder + " encoder");
        }
        if (codec->supported_samplerates != nullptr) {
            bool ok = false;
            for (const int* r = codec->supported_samplerates; *r != 0; ++r) {
                ok = ok || *r == out_rate_;
            }
            if (!ok) {
                fail("sample rate " + std::to_string(out_rate_) + " Hz is not supported (use " +
                     rate_list(codec->supported_samplerates) + ")");
            }
        } else if (out_rate_ < 8000 || out_rate_ > 192000) {
            fail("sample rate " + std::to_string(out_rate_) + " Hz is not supported");
        }

        const AVSampleFormat sample_format = pick_sample_format(*codec);
        const AVChannelLayout layout = layout_for(settings_.channels);
        ctx_ = make_codec_context(codec);
        ctx_->sample_rate = out_rate_;
        ctx_->sample_fmt = sample_format;
        ctx_->bit_rate = std::int64_t{settings_.bitrate_kbps} * 1000;
        ctx_->time_base = AVRational{1, out_rate_};
        ctx_->thread_count = 1;
        if (av_channel_layout_copy(&ctx_->ch_layout, &layout) < 0) {
            throw std::bad_alloc();
        }
        if (settings_.codec == OutputCodec::aac) {
            ctx_->profile = FF_PROFILE_AAC_LOW;
        } else if (settings_.codec == OutputCodec::opus) {
            av_opt_set(ctx_->priv_data, "application", "audio", 0);
            // Constrained VBR: listeners' bandwidth stays at the configured rate (unconstrained
            // VBR spends 160 kbps on a pure tone at a 128 kbps setting).
            av_opt_set(ctx_->priv_data, "vbr", "constrained", 0);
            av_opt_set_double(ctx_->priv_data, "frame_duration", 20.0, 0);
        }
        // Ogg muxing needs the header packets in extradata.
        ctx_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        const int err = avcodec_open2(ctx_.get(), codec, nullptr);
        if (err < 0) {
            fail("cannot open at " + std::to_string(out_rate_) + " Hz, " +
                 std::to_string(settings_.channels) + " channels, " +
                 std::to_string(settings_.bitrate_kbps) + " kbps: " + av_error_string(err));
        }
        frame_size_ = ctx_->frame_size > 0 ? ctx_->frame_size : 1024;

        swr_ =
            make_resampler(layout_for(input_.channels), AV_SAMPLE_FMT_FLT, input_.sample_rate,
                           layout, sample_format, out_rate_, std::string(info_.label) + " encoder");
        fifo_.reset(av_audio_fifo_alloc(sample_format, settings_.channels, frame_size_ * 4));
        if (!fifo_) {
            throw std::bad_alloc();
        }
        frame_->format = sample_format;
        frame_->sample_rate = out_rate_;
        frame_->nb_samples = frame_size_;
        if (av_channel_layout_copy(&frame_->ch_layout, &layout) < 0 ||
            av_frame_get_buffer(frame_.get(), 0) < 0) {
            throw std::bad_alloc();
        }
    }

    void setup_ogg_headers() {
        const std::span<const std::uint8_t> extradata(
            ctx_->extradata, static_cast<std::size_t>(std::max(ctx_->extradata_size, 0)));
        if (settings_.codec == OutputCodec::opus) {
            if (extradata.size() < 19 || !std::equal(extradata.begin(), extradata.begin() + 8,
                                                     std::string_view("OpusHead").begin())) {
                fail("libopus gave no OpusHead");
            }
            id_header_.assign(extradata.begin(), extradata.end());
            return;
        }
        std::array<std::span<const std::uint8_t>, 3> headers;
        if (!split_xiph_headers(extradata, headers) || headers[0].size() < 7 ||
            headers[0][0] != 1 || headers[2][0] != 5) {
            fail("libvorbis gave unusable header packets");
        }
        id_header_.assign(headers[0].begin(), headers[0].end());
        setup_header_.assign(headers[2].begin(), headers[2].end());
    }

    // ADTS header template (ISO 14496-3 1.A.2) from the AudioSpecificConfig in extradata;
    // the frame length is filled in per packet.
    void setup_adts() {
        if (ctx_->extradata == nullptr || ctx_->extradata_size < 2) {
            fail("the encoder gave no AudioSpecificConfig");
        }
        const std::uint8_t* asc = ctx_->extradata;
        const int object_type = asc[0] >> 3;
        const int frequency_index = ((asc[0] & 0x07) << 1) | (asc[1] >> 7);
        const int channel_config = (asc[1] >> 3) & 0x0F;
        if (object_type < 1 || object_type > 4 || frequency_index > 12 || channel_config > 7) {
            fail("cannot describe this stream in ADTS");
        }
        adts_[0] = 0xFF;
        adts_[1] = 0xF1; // sync, MPEG-4, layer 0, no CRC
        adts_[2] = static_cast<std::uint8_t>(((object_type - 1) << 6) | (frequency_index << 2) |
                                             (channel_config >> 2));
        adts_[3] = static_cast<std::uint8_t>((channel_config & 0x03) << 6);
        adts_[4] = 0;
        adts_[5] = 0x1F; // buffer fullness 0x7FF: variable bitrate
        adts_[6] = 0xFC; // one raw data block
    }

    // Converts input frames (nullptr: drains the resampler) into the FIFO.
    void queue_converted(const float* pcm, int frames) {
        const int capacity = swr_get_out_samples(swr_.get(), frames);
        if (capacity <= 0) {
            return;
        }
        if (capacity > convert_capacity_) {
            av_frame_unref(convert_.get());
            convert_->format = frame_->format;
            convert_->nb_samples = std::max(capacity, static_cast<int>(max_slice_frames));
            if (av_channel_layout_copy(&convert_->ch_layout, &frame_->ch_layout) < 0 ||
                av_frame_get_buffer(convert_.get(), 0) < 0) {
                throw std::bad_alloc();
            }
            convert_capacity_ = convert_->nb_samples;
        }
        const auto* in = reinterpret_cast<const std::uint8_t*>(pcm);
        const int got = swr_convert(swr_.get(), convert_->extended_data, capacity,
                                    pcm != nullptr ? &in : nullptr, frames);
        if (got > 0) {
            av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(convert_->extended_data),
                                got);
        }
    }

    // Sends whole codec frames from the FIFO to the encoder; `final` also sends the rest.
    void encode_queued(bool final, std::vector<std::uint8_t>& out) {
        for (;;) {
            const int queued = av_audio_fifo_size(fifo_.get());
            const int n = queued >= frame_size_ ? frame_size_ : (final ? queued : 0);
            if (n <= 0) {
                return;
            }
            if (av_frame_make_writable(frame_.get()) < 0) {
                throw std::bad_alloc();
            }
            frame_->nb_samples = n;
            av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(frame_->extended_data), n);
            frame_->pts = next_pts_;
            next_pts_ += n;
            send(frame_.get(), out);
        }
    }

    void send(const AVFrame* frame, std::vector<std::uint8_t>& out) {
        int err = avcodec_send_frame(ctx_.get(), frame);
        if (err < 0 && err != AVERROR_EOF) {
            report(err);
        }
        while ((err = avcodec_receive_packet(ctx_.get(), packet_.get())) == 0) {
            emit(*packet_, out);
            av_packet_unref(packet_.get());
        }
        if (err != AVERROR(EAGAIN) && err != AVERROR_EOF) {
            report(err);
        }
    }

    void report(int err) {
        // A failing encoder fails the same way every frame; a few lines say it all.
        if (++errors_ <= 5) {
            log_->warn("{} encoder: {}", info_.label, av_error_string(err));
        }
    }

    void emit(const AVPacket& packet, std::vector<std::uint8_t>& out) {
        if (packet.size <= 0) {
            return;
        }
        const std::span<const std::uint8_t> data(packet.data,
                                                 static_cast<std::size_t>(packet.size));
        switch (settings_.codec) {
        case OutputCodec::mp3:
            out.insert(out.end(), data.begin(), data.end());
            break;
        case OutputCodec::aac: {
            const std::size_t length = data.size() + adts_.size();
            if (length > 0x1FFF) {
                report(AVERROR(ERANGE)); // cannot happen for AAC-LC at <= 320 kbps
                return;
            }
            std::array<std::uint8_t, 7> header = adts_;
            header[3] |= static_cast<std::uint8_t>(length >> 11);
            header[4] = static_cast<std::uint8_t>(length >> 3);
            header[5] |= static_cast<std::uint8_t>((length & 0x07) << 5);
            out.insert(out.end(), header.begin(), header.end());
            out.insert(out.end(), data.begin(), data.end());
            break;
        }
        case OutputCodec::opus:
        case OutputCodec::vorbis:
            emit_ogg(packet, data, out);
            break;
        }
    }

    void emit_ogg(const AVPacket& packet, std::span<const std::uint8_t> data,
                  std::vector<std::uint8_t>& out) {
        if (!chain_open_) {
            begin_chain(packet.pts, out);
        }
        // Granule = end of this packet, in samples from the chain's origin.
        const std::int64_t granule =
            std::max<std::int64_t>(0, packet.pts + packet.duration - chain_origin_);
        const std::size_t before = out.size();
        mux_.add_packet(data, granule, out);
        if (out.size() != before) {
            page_samples_ = mux_.pending_packets() > 0 ? packet.duration : 0;
        } else {
            page_samples_ += packet.duration;
        }
        if (page_samples_ >= out_rate_ / 4) {
            mux_.flush(out); // listeners should not wait more than 250 ms for a page
            page_samples_ = 0;
        }
    }

    // Starts a logical stream: id header alone on the BOS page, then the comment (and Vorbis
    // setup) header flushed so that audio starts on a page of its own.
    void begin_chain(std::int64_t first_pts, std::vector<std::uint8_t>& out) {
        std::uint32_t serial = 0;
        do {
            serial = static_cast<std::uint32_t>(rng_());
        } while (any_chain_ && serial == mux_.serial());
        mux_.begin_stream(serial, out);

        const bool first = !any_chain_;
        if (settings_.codec == OutputCodec::opus && !first) {
            // The encoder runs on: a later chain has no start-up delay to skip.
            std::vector<std::uint8_t> head = id_header_;
            head[10] = 0;
            head[11] = 0;
            mux_.add_packet(head, 0, out);
        } else {
            mux_.add_packet(id_header_, 0, out);
        }
        mux_.flush(out);

        comment_.clear();
        if (settings_.codec == OutputCodec::opus) {
            const std::string_view magic = "OpusTags";
            comment_.assign(magic.begin(), magic.end());
            append_comment_body(tags_, comment_);
        } else {
            const std::string_view magic = "\x03vorbis";
            comment_.assign(magic.begin(), magic.end());
            append_comment_body(tags_, comment_);
            comment_.push_back(1); // framing bit
        }
        mux_.add_packet(comment_, 0, out);
        if (settings_.codec == OutputCodec::vorbis) {
            mux_.add_packet(setup_header_, 0, out);
        }
        mux_.flush(out);

        // The first chain counts from the encoder's first output sample (granule of the first
        // Opus packet = pre-skip + 960); later chains count from their first packet.
        chain_origin_ = first ? -std::int64_t{ctx_->initial_padding} : first_pts;
        any_chain_ = true;
        chain_open_ = true;
        page_samples_ = 0;
    }

    EncoderSettings settings_;
    PcmFormat input_;
    CodecInfo info_;
    StreamTags tags_;
    int out_rate_ = 0;

    CodecContextPtr ctx_;
    SwrPtr swr_;
    AudioFifoPtr fifo_;
    FramePtr frame_;   // one codec frame, reused
    FramePtr convert_; // resampler output, reused
    int convert_capacity_ = 0;
    PacketPtr packet_;
    int frame_size_ = 0;
    std::int64_t next_pts_ = 0;

    std::uint64_t frames_in_ = 0;
    std::uint64_t bytes_out_ = 0;
    bool finished_ = false;

    std::array<std::uint8_t, 7> adts_{};

    OggMuxer mux_;
    std::vector<std::uint8_t> id_header_;    // OpusHead or Vorbis identification header
    std::vector<std::uint8_t> setup_header_; // Vorbis only
    std::vector<std::uint8_t> comment_;
    bool chain_open_ = false; // a logical stream has begun and not ended
    bool any_chain_ = false;
    std::int64_t chain_origin_ = 0; // pts at granule 0 of the current chain
    std::int64_t page_samples_ = 0; // audio queued since the last page was written
    std::mt19937 rng_;

    std::shared_ptr<spdlog::logger> log_;
    std::uint64_t errors_ = 0;
};

} // namespace

std::unique_ptr<StreamEncoder> StreamEncoder::create(const EncoderSettings& settings,
                                                     PcmFormat input, StreamTags initial_tags) {
    return std::make_unique<EncoderImpl>(settings, input, std::move(initial_tags));
}

} // namespace tinyice::codec
