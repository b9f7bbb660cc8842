#include "codec/FileDecoder.hpp"

#include "codec/FfmpegUtil.hpp"
#include "codec/ReplayGain.hpp"
#include "util/Log.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <cstring>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

extern "C" {
#include <libavutil/replaygain.h>
}

namespace tinyice::codec {
namespace {

using namespace ffmpeg;

// Probing reads at most this much of a file: enough for any audio format's stream info (a few
// frames), while a mislabelled video or a huge garbage file does not get read end to end.
constexpr std::int64_t probe_bytes = std::int64_t{2} * 1024 * 1024;
constexpr std::int64_t analyze_microseconds = std::int64_t{5} * AV_TIME_BASE;
// Corrupt-input limits: a track ends with error() after this many packets in a row that fail to
// decode, or this many demuxer errors in a row (anything but end of file).
constexpr int max_consecutive_bad_packets = 50;
constexpr int max_consecutive_read_errors = 16;

// Everything open() and probe_file() share: the demuxer opened on the file and its best audio
// stream, with tags read.
struct OpenInput {
    FormatContextPtr format;
    int stream_index = -1;
    const AVCodec* codec = nullptr;
    TrackTags tags;
};

std::string display(const std::filesystem::path& path) {
    return path.string();
}

std::string dict_value(const AVDictionary* dict, const char* key) {
    // av_dict_get matches keys case-insensitively unless AV_DICT_MATCH_CASE is given.
    const AVDictionaryEntry* e = av_dict_get(dict, key, nullptr, 0);
    return e != nullptr && e->value != nullptr ? std::string(e->value) : std::string();
}

// Container tags first (ID3, MP4 atoms), then the stream's (Ogg and FLAC comments live there).
std::string tag(const AVFormatContext& format, const AVStream& stream,
                std::initializer_list<const char*> keys) {
    for (const char* key : keys) {
        for (const AVDictionary* dict : {format.metadata, stream.metadata}) {
            std::string v = dict_value(dict, key);
            if (!v.empty()) {
                return v;
            }
        }
    }
    return {};
}

void read_replaygain(const AVFormatContext& format, const AVStream& stream, TrackTags& tags) {
    const auto gain = [&](const char* key) {
        return parse_replaygain_gain(tag(format, stream, {key}));
    };
    const auto peak = [&](const char* key) {
        return parse_replaygain_peak(tag(format, stream, {key}));
    };
    tags.rg_track_gain_db = gain("REPLAYGAIN_TRACK_GAIN");
    tags.rg_track_peak = peak("REPLAYGAIN_TRACK_PEAK");
    tags.rg_album_gain_db = gain("REPLAYGAIN_ALBUM_GAIN");
    tags.rg_album_peak = peak("REPLAYGAIN_ALBUM_PEAK");
    if (tags.codec == "opus") {
        // Opus files carry R128 gains instead (RFC 7845 5.2.1).
        if (!tags.rg_track_gain_db) {
            tags.rg_track_gain_db = parse_r128_gain(tag(format, stream, {"R128_TRACK_GAIN"}));
        }
        if (!tags.rg_album_gain_db) {
            tags.rg_album_gain_db = parse_r128_gain(tag(format, stream, {"R128_ALBUM_GAIN"}));
        }
    }
    // Demuxers that understand ReplayGain (MP3 with ID3/LAME tag, FLAC, ...) also export it as
    // stream side data; it fills in what the tags did not give.
    std::size_t size = 0;
    const std::uint8_t* data = av_stream_get_side_data(&stream, AV_PKT_DATA_REPLAYGAIN, &size);
    if (data == nullptr || size < sizeof(AVReplayGain)) {
        return;
    }
    AVReplayGain rg;
    std::memcpy(&rg, data, sizeof rg);
    if (!tags.rg_track_gain_db && rg.track_gain != INT32_MIN) {
        tags.rg_track_gain_db = rg.track_gain / 100000.0;
    }
    if (!tags.rg_track_peak && rg.track_peak != 0) {
        tags.rg_track_peak = rg.track_peak / 100000.0;
    }
    if (!tags.rg_album_gain_db && rg.album_gain != INT32_MIN) {
        tags.rg_album_gain_db = rg.album_gain / 100000.0;
    }
    if (!tags.rg_album_peak && rg.album_peak != 0) {
        tags.rg_album_peak = rg.album_peak / 100000.0;
    }
}

TrackTags read_tags(const AVFormatContext& format, const AVStream& stream) {
    TrackTags t;
    t.artist = tag(format, stream, {"artist", "album_artist"});
    t.title = tag(format, stream, {"title"});
    t.album = tag(format, stream, {"album"});
    t.genre = tag(format, stream, {"genre"});
    t.date = tag(format, stream, {"date", "year"});
    t.track = tag(format, stream, {"track"});
    const AVCodecParameters& par = *stream.codecpar;
    t.codec = avcodec_get_name(par.codec_id);
    t.sample_rate = par.sample_rate;
    t.channels = par.ch_layout.nb_channels;
    const std::int64_t bit_rate = par.bit_rate > 0 ? par.bit_rate : format.bit_rate;
    t.bitrate_kbps = bit_rate > 0 ? static_cast<int>((bit_rate + 500) / 1000) : 0;
    if (stream.duration != AV_NOPTS_VALUE && stream.duration > 0) {
        t.duration = static_cast<double>(stream.duration) * av_q2d(stream.time_base);
    } else if (format.duration != AV_NOPTS_VALUE && format.duration > 0) {
        t.duration = static_cast<double>(format.duration) / AV_TIME_BASE;
    }
    read_replaygain(format, stream, t);
    return t;
}

OpenInput open_input(const std::filesystem::path& path) {
    const std::string name = display(path);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        throw CodecError(name + ": is a directory");
    }
    AVFormatContext* raw = avformat_alloc_context();
    if (raw == nullptr) {
        throw std::bad_alloc();
    }
    raw->probesize = probe_bytes;
    raw->max_analyze_duration = analyze_microseconds;
    AVDictionary* options = nullptr;
    // Only local files: a playlist-like format (HLS, concat) must not make FFmpeg fetch URLs.
    av_dict_set(&options, "protocol_whitelist", "file", 0);
    // "file:" so a name with a colon is not taken for a protocol.
    const std::string url = "file:" + path.string();
    int err = avformat_open_input(&raw, url.c_str(), nullptr, &options);
    av_dict_free(&options);
    if (err < 0) {
        // avformat_open_input frees the context on failure.
        if (err == AVERROR_INVALIDDATA || err == AVERROR_EOF) {
            throw CodecError(name + ": not a media file");
        }
        throw CodecError(name + ": cannot open: " + av_error_string(err));
    }
    OpenInput in;
    in.format.reset(raw);
    err = avformat_find_stream_info(raw, nullptr);
    if (err < 0) {
        throw CodecError(name + ": cannot read stream info: " + av_error_string(err));
    }
    const AVCodec* codec = nullptr;
    err = av_find_best_stream(raw, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
    if (err == AVERROR_DECODER_NOT_FOUND) {
        // Name the codec of the first audio stream, so the operator knows what is missing.
        for (unsigned i = 0; i < raw->nb_streams; ++i) {
            if (raw->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
                throw CodecError(name + ": no decoder for its codec (" +
                                 avcodec_get_name(raw->streams[i]->codecpar->codec_id) + ")");
            }
        }
    }
    if (err < 0 || codec == nullptr) {
        throw CodecError(name + ": no audio stream");
    }
    in.stream_index = err;
    in.codec = codec;
    const AVStream& stream = *raw->streams[in.stream_index];
    if (stream.codecpar->sample_rate <= 0 || stream.codecpar->ch_layout.nb_channels <= 0) {
        throw CodecError(name + ": audio stream without sample rate or channels");
    }
    in.tags = read_tags(*raw, stream);
    return in;
}

class FileDecoderImpl final : public FileDecoder {
public:
    FileDecoderImpl(const std::filesystem::path& path, PcmFormat out)
        : out_(out), converter_(out), packet_(make_packet()), frame_(make_frame()) {
        if ((out.channels != 1 && out.channels != 2) || out.sample_rate < 8000 ||
            out.sample_rate > 384000) {
            throw CodecError(display(path) + ": bad output format (" +
                             std::to_string(out.sample_rate) + " Hz, " +
                             std::to_string(out.channels) + " channels)");
        }
        OpenInput in = open_input(path);
        format_ = std::move(in.format);
        stream_index_ = in.stream_index;
        tags_ = std::move(in.tags);
        AVStream* stream = format_->streams[stream_index_];
        for (unsigned i = 0; i < format_->nb_streams; ++i) {
            if (static_cast<int>(i) != stream_index_) {
                format_->streams[i]->discard = AVDISCARD_ALL; // cover art, video, other audio
            }
        }
        decoder_ = make_codec_context(in.codec);
        int err = avcodec_parameters_to_context(decoder_.get(), stream->codecpar);
        if (err >= 0) {
            decoder_->pkt_timebase = stream->time_base;
            decoder_->thread_count = 1;
            err = avcodec_open2(decoder_.get(), in.codec, nullptr);
        }
        if (err < 0) {
            throw CodecError(display(path) + ": cannot open " + tags_.codec +
                             " decoder: " + av_error_string(err));
        }
        time_base_ = av_q2d(stream->time_base);
        start_ts_ = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;
        // Decoders need some audio before a seek target to converge: Opus says how much; MPEG
        // audio needs the previous frames' bit reservoir.
        const AVCodecParameters& par = *stream->codecpar;
        std::int64_t preroll_samples = par.seek_preroll;
        if (par.frame_size > 0) {
            preroll_samples =
                std::max<std::int64_t>(preroll_samples, std::int64_t{2} * par.frame_size);
        }
        seek_preroll_ts_ =
            av_rescale_q(preroll_samples, AVRational{1, par.sample_rate}, stream->time_base);
        // MP4 knows its exact length (sample tables + edit list), but FFmpeg 5.1 trims only the
        // encoder delay at the start, not the padding of the last AAC frame. Ending at the
        // container's length keeps M4A albums gapless. Other containers' durations may be
        // estimates (a CBR guess for MP3), so they are not trusted to cut audio.
        if (std::string_view(format_->iformat->name).find("mp4") != std::string_view::npos &&
            stream->duration != AV_NOPTS_VALUE && stream->duration > 0) {
            end_seconds_ = static_cast<double>(stream->duration) * time_base_;
        }
        pending_.reserve(16384);
    }

    [[nodiscard]] PcmFormat format() const override { return out_; }
    [[nodiscard]] const TrackTags& tags() const override { return tags_; }
    [[nodiscard]] const std::string& error() const override { return error_; }
    [[nodiscard]] std::size_t skipped_packets() const override { return skipped_; }

    [[nodiscard]] double position() const override {
        return base_seconds_ + static_cast<double>(frames_out_) / out_.sample_rate;
    }

    std::size_t read(std::span<float> out) override {
        const auto channels = static_cast<std::size_t>(out_.channels);
        std::size_t wanted = out.size() / channels;
        if (end_seconds_) {
            const auto end_frame = static_cast<std::int64_t>(
                std::llround((*end_seconds_ - base_seconds_) * out_.sample_rate));
            const std::int64_t left = end_frame - static_cast<std::int64_t>(frames_out_);
            wanted = std::min(wanted, static_cast<std::size_t>(std::max<std::int64_t>(left, 0)));
        }
        std::size_t written = 0;
        while (written < wanted) {
            const std::size_t available = (pending_.size() - pending_pos_) / channels;
            if (available == 0) {
                pending_.clear();
                pending_pos_ = 0;
                if (!decode_more()) {
                    break;
                }
                continue;
            }
            const std::size_t n = std::min(available, wanted - written);
            std::copy_n(pending_.begin() + static_cast<std::ptrdiff_t>(pending_pos_), n * channels,
                        out.begin() + static_cast<std::ptrdiff_t>(written * channels));
            pending_pos_ += n * channels;
            written += n;
        }
        frames_out_ += written;
        return written;
    }

    bool seek(double seconds) override {
        if (!std::isfinite(seconds) || seconds < 0) {
            seconds = 0;
        }
        if (tags_.duration > 0 && seconds > tags_.duration) {
            seconds = tags_.duration;
        }
        const std::int64_t ts = start_ts_ + std::llround(seconds / time_base_);
        const std::int64_t from = std::max(start_ts_, ts - seek_preroll_ts_);
        int err = avformat_seek_file(format_.get(), stream_index_, INT64_MIN, from, from, 0);
        if (err < 0) {
            err = av_seek_frame(format_.get(), stream_index_, from, AVSEEK_FLAG_BACKWARD);
        }
        if (err < 0) {
            return false;
        }
        avcodec_flush_buffers(decoder_.get());
        converter_.reset();
        pending_.clear();
        pending_pos_ = 0;
        input_done_ = false;
        done_ = false;
        error_.clear();
        bad_packets_in_row_ = 0;
        read_errors_in_row_ = 0;
        base_seconds_ = seconds;
        frames_out_ = 0;
        // The demuxer lands on or before `from`; decode from there but drop what precedes ts.
        trim_to_ts_ = ts;
        return true;
    }

private:
    // Decodes until pending_ holds audio or the track is over (false).
    bool decode_more() {
        while (!done_) {
            const int err = avcodec_receive_frame(decoder_.get(), frame_.get());
            if (err == 0) {
                bad_packets_in_row_ = 0;
                take_frame();
                av_frame_unref(frame_.get());
                if (pending_.size() > pending_pos_) {
                    return true;
                }
            } else if (err == AVERROR(EAGAIN)) {
                feed_packet();
            } else if (err == AVERROR_EOF) {
                converter_.drain(pending_);
                done_ = true;
            } else {
                count_bad_packet(err);
            }
        }
        return pending_.size() > pending_pos_;
    }

    // Sends the next packet of our stream to the decoder (or the end-of-stream flush).
    void feed_packet() {
        if (input_done_) {
            // The decoder asked for input after the flush packet; nothing more will come.
            converter_.drain(pending_);
            done_ = true;
            return;
        }
        const int err = av_read_frame(format_.get(), packet_.get());
        if (err < 0) {
            const bool at_end =
                err == AVERROR_EOF || (format_->pb != nullptr && avio_feof(format_->pb) != 0);
            if (!at_end && ++read_errors_in_row_ <= max_consecutive_read_errors) {
                return; // try again: some demuxers resync after an error
            }
            if (!at_end) {
                error_ = "read error: " + av_error_string(err);
            }
            input_done_ = true;
            avcodec_send_packet(decoder_.get(), nullptr); // drain the decoder
            return;
        }
        read_errors_in_row_ = 0;
        if (packet_->stream_index == stream_index_) {
            const int sent = avcodec_send_packet(decoder_.get(), packet_.get());
            if (sent < 0 && sent != AVERROR(EAGAIN)) {
                count_bad_packet(sent);
            }
        }
        av_packet_unref(packet_.get());
    }

    void count_bad_packet(int err) {
        ++skipped_;
        if (++bad_packets_in_row_ > max_consecutive_bad_packets) {
            error_ = std::to_string(bad_packets_in_row_) + " consecutive corrupt packets (" +
                     av_error_string(err) + ")";
            converter_.drain(pending_);
            done_ = true;
        }
    }

    void take_frame() {
        const AVFrame& f = *frame_;
        std::size_t drop_frames = 0;
        if (trim_to_ts_) {
            const std::int64_t ts = f.best_effort_timestamp;
            if (ts == AV_NOPTS_VALUE || f.sample_rate <= 0) {
                trim_to_ts_.reset();
            } else {
                const double late = static_cast<double>(*trim_to_ts_ - ts) * time_base_;
                const double frame_seconds = static_cast<double>(f.nb_samples) / f.sample_rate;
                if (late >= frame_seconds) {
                    return; // wholly before the seek target
                }
                trim_to_ts_.reset();
                if (late > 0) {
                    drop_frames = static_cast<std::size_t>(std::llround(late * out_.sample_rate));
                }
            }
        }
        const std::size_t before = pending_.size();
        if (!converter_.convert(f, pending_)) {
            ++skipped_;
            return;
        }
        const std::size_t got =
            (pending_.size() - before) / static_cast<std::size_t>(out_.channels);
        pending_pos_ += std::min(drop_frames, got) * static_cast<std::size_t>(out_.channels);
    }

    PcmFormat out_;
    PcmConverter converter_;
    FormatContextPtr format_;
    CodecContextPtr decoder_;
    PacketPtr packet_;
    FramePtr frame_;
    int stream_index_ = -1;
    double time_base_ = 0;
    std::int64_t start_ts_ = 0;
    std::int64_t seek_preroll_ts_ = 0;
    std::optional<double> end_seconds_; // trusted end of the audio (MP4)
    TrackTags tags_;

    std::vector<float> pending_; // decoded, converted, not yet returned by read()
    std::size_t pending_pos_ = 0;
    std::optional<std::int64_t> trim_to_ts_;

    bool input_done_ = false; // the demuxer is at its end; the decoder was sent the flush
    bool done_ = false;       // nothing more will come out
    double base_seconds_ = 0;
    std::uint64_t frames_out_ = 0;
    std::string error_;
    std::size_t skipped_ = 0;
    int bad_packets_in_row_ = 0;
    int read_errors_in_row_ = 0;
};

std::shared_ptr<spdlog::logger>& ffmpeg_logger() {
    static std::shared_ptr<spdlog::logger> logger;
    return logger;
}

void log_callback(void* avcl, int level, const char* fmt, va_list args) {
    if (level > av_log_get_level()) {
        return;
    }
    thread_local int print_prefix = 1;
    std::array<char, 1024> line{};
    av_log_format_line2(avcl, level, fmt, args, line.data(), static_cast<int>(line.size()),
                        &print_prefix);
    std::string_view text(line.data());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    if (!text.empty()) {
        ffmpeg_logger()->debug("{}", text);
    }
}

} // namespace

std::unique_ptr<FileDecoder> FileDecoder::open(const std::filesystem::path& path, PcmFormat out) {
    return std::make_unique<FileDecoderImpl>(path, out);
}

TrackTags probe_file(const std::filesystem::path& path) {
    return open_input(path).tags;
}

void init_ffmpeg_logging() {
    static std::once_flag once;
    std::call_once(once, [] {
        ffmpeg_logger() = util::logger("ffmpeg");
        av_log_set_level(AV_LOG_WARNING);
        av_log_set_callback(log_callback);
    });
}

} // namespace tinyice::codec
