#include "codec/StreamDecoder.hpp"

#include "codec/FfmpegUtil.hpp"
#include "codec/OggComments.hpp"
#include "codec/OggPage.hpp"
#include "util/Log.hpp"

#include <climits>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>

namespace tinyice::codec {
namespace {

using namespace ffmpeg;

// Largest Ogg packet reassembled; anything longer (a cover-art comment, or garbage whose lacing
// says "continues" forever) is dropped. Audio packets are a few KB at most.
constexpr std::size_t max_ogg_packet = std::size_t{1024} * 1024;
// Header packets kept per chain (FLAC may have several metadata blocks; Vorbis needs 3).
constexpr std::size_t max_header_packets = 64;
// Elementary-stream input is handed to the parser in slices of at most this size.
constexpr std::size_t max_parse_slice = std::size_t{64} * 1024;

bool starts_with(std::span<const std::uint8_t> bytes, std::string_view prefix) {
    return bytes.size() >= prefix.size() &&
           std::memcmp(bytes.data(), prefix.data(), prefix.size()) == 0;
}

// Decoder + converter shared by both stream kinds: packets in, interleaved float out.
class PacketDecoder {
public:
    explicit PacketDecoder(PcmFormat out) : converter_(out), frame_(make_frame()) {}

    [[nodiscard]] bool open() const { return ctx_ != nullptr; }

    // Opens `codec_id` with `extradata` (may be empty). False when FFmpeg refuses.
    bool start(AVCodecID codec_id, std::span<const std::uint8_t> extradata, int channels_hint,
               int rate_hint) {
        ctx_.reset();
        const AVCodec* codec = avcodec_find_decoder(codec_id);
        if (codec == nullptr) {
            return false;
        }
        ctx_ = make_codec_context(codec);
        ctx_->thread_count = 1;
        if (rate_hint > 0) {
            ctx_->sample_rate = rate_hint;
        }
        if (channels_hint > 0) {
            av_channel_layout_default(&ctx_->ch_layout, channels_hint);
        }
        if (!extradata.empty()) {
            ctx_->extradata = static_cast<std::uint8_t*>(
                av_mallocz(extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
            if (ctx_->extradata == nullptr) {
                throw std::bad_alloc();
            }
            std::memcpy(ctx_->extradata, extradata.data(), extradata.size());
            ctx_->extradata_size = static_cast<int>(extradata.size());
        }
        if (avcodec_open2(ctx_.get(), codec, nullptr) < 0) {
            ctx_.reset();
            return false;
        }
        return true;
    }

    [[nodiscard]] AVCodecContext* context() const { return ctx_.get(); }

    // Decodes one packet (nullptr: end of stream, drains the decoder). Returns the number of
    // failures (0 or 1) for the caller's skipped() count.
    int decode(const AVPacket* packet, std::vector<float>& pcm) {
        if (!ctx_) {
            return packet != nullptr ? 1 : 0;
        }
        int failures = 0;
        int err = avcodec_send_packet(ctx_.get(), packet);
        if (err < 0 && err != AVERROR(EAGAIN) && err != AVERROR_EOF) {
            failures = 1;
        }
        while ((err = avcodec_receive_frame(ctx_.get(), frame_.get())) == 0) {
            if (!converter_.convert(*frame_, pcm)) {
                failures = 1;
            }
            av_frame_unref(frame_.get());
        }
        if (err != AVERROR(EAGAIN) && err != AVERROR_EOF) {
            failures = 1;
        }
        return failures;
    }

    int decode(std::span<const std::uint8_t> data, std::vector<float>& pcm) {
        // Not reference-counted: libavcodec copies the bytes into a padded buffer of its own.
        AVPacket* packet = packet_.get();
        packet->data = const_cast<std::uint8_t*>(data.data()); // NOLINT: read only
        packet->size = static_cast<int>(data.size());
        const int failures = decode(packet, pcm);
        packet->data = nullptr;
        packet->size = 0;
        return failures;
    }

    // Ends the current decoder: its buffered audio goes to `pcm`.
    void finish(std::vector<float>& pcm) {
        if (ctx_) {
            decode(static_cast<const AVPacket*>(nullptr), pcm);
            ctx_.reset();
        }
    }

    void flush() {
        if (ctx_) {
            avcodec_flush_buffers(ctx_.get());
        }
        converter_.reset();
    }

    void close() {
        ctx_.reset();
        converter_.reset();
    }

private:
    PcmConverter converter_;
    CodecContextPtr ctx_;
    FramePtr frame_;
    PacketPtr packet_ = make_packet();
};

// MP3 or ADTS AAC: libavcodec's parser finds the frames, the decoder needs no extradata.
class ElementaryDecoder final : public StreamDecoder {
public:
    ElementaryDecoder(AVCodecID codec_id, PcmFormat out)
        : codec_id_(codec_id), out_(out), decoder_(out) {
        restart();
        if (!decoder_.open()) {
            throw CodecError(std::string("stream decoder: FFmpeg has no ") +
                             avcodec_get_name(codec_id) + " decoder");
        }
    }

    [[nodiscard]] PcmFormat format() const override { return out_; }
    [[nodiscard]] std::uint64_t skipped() const override { return skipped_; }

    void feed(std::span<const std::uint8_t> bytes, std::vector<float>& pcm) override {
        while (!bytes.empty()) {
            const std::size_t n = std::min(bytes.size(), max_parse_slice);
            // Parsers may read up to AV_INPUT_BUFFER_PADDING_SIZE bytes past the input.
            input_.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
            input_.resize(n + AV_INPUT_BUFFER_PADDING_SIZE, 0);
            parse(input_.data(), static_cast<int>(n), pcm);
            bytes = bytes.subspan(n);
        }
    }

    void reset() override { restart(); }

private:
    void restart() {
        parser_.reset(av_parser_init(codec_id_));
        if (!parser_) {
            throw CodecError(std::string("stream decoder: FFmpeg has no ") +
                             avcodec_get_name(codec_id_) + " parser");
        }
        decoder_.close();
        decoder_.start(codec_id_, {}, 0, 0);
    }

    void parse(const std::uint8_t* data, int size, std::vector<float>& pcm) {
        if (!decoder_.open()) {
            return; // cannot happen after construction succeeded; never hand the parser null
        }
        while (size > 0) {
            std::uint8_t* frame = nullptr;
            int frame_size = 0;
            const int used =
                av_parser_parse2(parser_.get(), decoder_.context(), &frame, &frame_size, data, size,
                                 AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
            if (used < 0) {
                ++skipped_;
                return;
            }
            data += used;
            size -= used;
            if (frame_size > 0) {
                skipped_ += static_cast<std::uint64_t>(decoder_.decode(
                    std::span<const std::uint8_t>(frame, static_cast<std::size_t>(frame_size)),
                    pcm));
            } else if (used == 0) {
                return; // the parser wants nothing more from this slice
            }
        }
    }

    AVCodecID codec_id_;
    PcmFormat out_;
    PacketDecoder decoder_;
    ParserPtr parser_;
    std::vector<std::uint8_t> input_;
    std::uint64_t skipped_ = 0;
};

// Ogg: pages -> packets of one logical stream per chain -> decoder opened from its headers.
class OggDecoder final : public StreamDecoder {
public:
    explicit OggDecoder(PcmFormat out) : out_(out), decoder_(out) {}

    [[nodiscard]] PcmFormat format() const override { return out_; }
    [[nodiscard]] std::uint64_t skipped() const override { return skipped_; }

    void feed(std::span<const std::uint8_t> bytes, std::vector<float>& pcm) override {
        reader_.feed(bytes, [&](std::uint64_t, const OggPageView& page) { on_page(page, pcm); });
    }

    void reset() override {
        reader_.reset();
        decoder_.close();
        in_chain_ = false;
        last_was_bos_ = false;
        selected_.reset();
        packet_.clear();
        in_packet_ = false;
        oversized_ = false;
    }

private:
    enum class Codec { opus, vorbis, flac };

    struct Selected {
        std::uint32_t serial = 0;
        Codec codec = Codec::opus;
        // Only the header packets the decoder needs are kept (identification, Vorbis setup);
        // comments, which may hold megabytes of cover art, are counted and dropped.
        std::vector<std::uint8_t> id_header;
        std::vector<std::uint8_t> setup_header;
        std::size_t headers_seen = 0;
        std::size_t headers_needed = 0; // 0: FLAC without a count (until the first frame)
        bool failed = false;            // headers unusable: skip this chain
        std::uint32_t next_sequence = 0;
    };

    void on_page(const OggPageView& page, std::vector<float>& pcm) {
        if (page.bos()) {
            if (!last_was_bos_) {
                start_chain(pcm);
            }
            last_was_bos_ = true;
            if (!selected_) {
                consider_stream(page);
            }
            return;
        }
        last_was_bos_ = false;
        if (!in_chain_ || !selected_ || page.serial != selected_->serial || selected_->failed) {
            return; // joined mid-chain, an undecodable chain, or another multiplexed stream
        }
        if (page.sequence != selected_->next_sequence) {
            // A page went missing: the packet being reassembled is incomplete.
            drop_partial();
        }
        selected_->next_sequence = page.sequence + 1;
        walk_packets(page, pcm);
    }

    void start_chain(std::vector<float>& pcm) {
        decoder_.finish(pcm); // the previous chain's last samples
        in_chain_ = true;
        selected_.reset();
        packet_.clear();
        in_packet_ = false;
        oversized_ = false;
    }

    // A BOS page of the chain: take it if it is the first stream we can decode.
    void consider_stream(const OggPageView& page) {
        if (page.segment_table.empty() || page.segment_table[0] == 255) {
            return; // the identification packet must be alone on the BOS page
        }
        const auto first = page.body.first(page.segment_table[0]);
        const std::string_view name = codec_from_first_packet(first);
        Selected s;
        if (name == "Opus") {
            s.codec = Codec::opus;
            s.headers_needed = 2;
        } else if (name == "Vorbis") {
            s.codec = Codec::vorbis;
            s.headers_needed = 3;
        } else if (name == "FLAC") {
            s.codec = Codec::flac;
            if (first.size() < 51) {
                return;
            }
            // Ogg FLAC mapping: 0x7F "FLAC" major minor, number of header packets that follow
            // (big-endian; 0 = unknown), "fLaC", then the STREAMINFO block.
            const std::size_t more = (std::size_t{first[7]} << 8) | first[8];
            s.headers_needed = more == 0 ? 0 : 1 + more;
        } else {
            return;
        }
        s.serial = page.serial;
        s.next_sequence = page.sequence + 1;
        selected_ = std::move(s);
        packet_.clear();
        in_packet_ = false;
        oversized_ = false;
        walk_packets(page, dummy_pcm_);
    }

    void drop_partial() {
        if (in_packet_) {
            ++skipped_;
        }
        packet_.clear();
        in_packet_ = false;
        oversized_ = false;
    }

    // Reassembles packets from the lacing values; hands each complete one to on_packet().
    void walk_packets(const OggPageView& page, std::vector<float>& pcm) {
        // A continued page without the packet's beginning (we joined or lost a page): skip the
        // rest of that packet. A fresh page while a packet is open: that packet never ended.
        bool lost_start = page.continued() && !in_packet_;
        if (!page.continued() && in_packet_) {
            drop_partial();
        }
        std::size_t pos = 0;
        std::uint8_t last = 0;
        for (const std::uint8_t lacing : page.segment_table) {
            last = lacing;
            if (!lost_start && !oversized_) {
                if (packet_.size() + lacing > max_ogg_packet) {
                    packet_.clear();
                    oversized_ = true;
                } else {
                    const auto segment = page.body.subspan(pos, lacing);
                    packet_.insert(packet_.end(), segment.begin(), segment.end());
                }
            }
            pos += lacing;
            if (lacing < 255) {
                if (!lost_start) {
                    on_packet(packet_, oversized_, pcm);
                }
                packet_.clear();
                lost_start = false;
                oversized_ = false;
            }
        }
        if (!page.segment_table.empty()) {
            in_packet_ = last == 255 && !lost_start;
        }
    }

    void on_packet(std::span<const std::uint8_t> packet, bool oversized, std::vector<float>& pcm) {
        Selected& s = *selected_;
        if (s.failed) {
            return;
        }
        if (!decoder_.open()) {
            const bool flac_frame = s.codec == Codec::flac && s.headers_needed == 0 &&
                                    !packet.empty() && packet[0] == 0xFF;
            if (!flac_frame) {
                collect_header(packet, oversized);
                return;
            }
            open_decoder(); // FLAC without a header count: its first audio frame ends them
            if (s.failed) {
                return;
            }
        }
        if (oversized) {
            ++skipped_;
            return;
        }
        if (packet.empty()) {
            return; // liquidsoap ends each chain with one; a zero-length packet carries no audio
        }
        skipped_ += static_cast<std::uint64_t>(decoder_.decode(packet, pcm));
    }

    void collect_header(std::span<const std::uint8_t> packet, bool oversized) {
        Selected& s = *selected_;
        const std::size_t index = s.headers_seen++;
        if (s.headers_seen > max_header_packets) {
            fail_chain("too many header packets");
            return;
        }
        const bool needed = index == 0 || (s.codec == Codec::vorbis && index == 2);
        if (needed) {
            if (oversized) {
                fail_chain("header packet too large");
                return;
            }
            (index == 0 ? s.id_header : s.setup_header).assign(packet.begin(), packet.end());
        }
        if (s.headers_needed != 0 && s.headers_seen >= s.headers_needed) {
            open_decoder();
        }
    }

    void open_decoder() {
        Selected& s = *selected_;
        std::vector<std::uint8_t> extradata;
        AVCodecID id = AV_CODEC_ID_NONE;
        int channels = 0;
        int rate = 0;
        switch (s.codec) {
        case Codec::opus: {
            const auto& head = s.id_header;
            if (head.size() < 19) {
                fail_chain("bad OpusHead");
                return;
            }
            // The decoder reads the pre-skip from OpusHead and drops that many samples itself.
            extradata = head;
            id = AV_CODEC_ID_OPUS;
            channels = head[9];
            rate = 48000;
            break;
        }
        case Codec::vorbis: {
            if (!starts_with(s.id_header, "\x01vorbis") ||
                !starts_with(s.setup_header, "\x05vorbis")) {
                fail_chain("bad Vorbis headers");
                return;
            }
            // The decoder does not read the comments: an empty comment header stands in.
            static constexpr std::uint8_t empty_comment[] = {3, 'v', 'o', 'r', 'b', 'i', 's', 0,
                                                             0, 0,   0,   0,   0,   0,   0,   1};
            // Xiph lacing: count - 1, the sizes of all but the last packet, then the packets.
            extradata.push_back(2);
            for (const std::size_t packet_size : {s.id_header.size(), sizeof empty_comment}) {
                std::size_t size = packet_size;
                while (size >= 255) {
                    extradata.push_back(255);
                    size -= 255;
                }
                extradata.push_back(static_cast<std::uint8_t>(size));
            }
            extradata.insert(extradata.end(), s.id_header.begin(), s.id_header.end());
            extradata.insert(extradata.end(), std::begin(empty_comment), std::end(empty_comment));
            extradata.insert(extradata.end(), s.setup_header.begin(), s.setup_header.end());
            id = AV_CODEC_ID_VORBIS;
            break;
        }
        case Codec::flac: {
            const auto& first = s.id_header;
            // STREAMINFO: the 34 bytes after the mapping header (13) and the block header (4).
            extradata.assign(first.begin() + 17, first.begin() + 51);
            id = AV_CODEC_ID_FLAC;
            break;
        }
        }
        if (!decoder_.start(id, extradata, channels, rate)) {
            fail_chain("the decoder refused the chain's headers");
        }
    }

    void fail_chain(const char* why) {
        selected_->failed = true;
        ++skipped_;
        if (++failed_chains_ <= 5) {
            util::logger("codec")->warn("Ogg stream decoder: skipping a chain: {}", why);
        }
    }

    PcmFormat out_;
    PacketDecoder decoder_;
    OggPageReader reader_;
    bool in_chain_ = false;     // a BOS page has been seen (else we joined mid-chain)
    bool last_was_bos_ = false; // the previous page was a BOS page
    std::optional<Selected> selected_;
    std::vector<std::uint8_t> packet_; // the packet being reassembled
    bool in_packet_ = false;           // the last page ended inside packet_
    bool oversized_ = false;           // packet_ outgrew max_ogg_packet; its bytes are dropped
    std::vector<float> dummy_pcm_;     // BOS pages carry only headers
    std::uint64_t skipped_ = 0;
    std::uint64_t failed_chains_ = 0;
};

} // namespace

std::unique_ptr<StreamDecoder> StreamDecoder::create(StreamFormat input, PcmFormat out) {
    if ((out.channels != 1 && out.channels != 2) || out.sample_rate < 8000 ||
        out.sample_rate > 384000) {
        throw CodecError("stream decoder: bad output format (" + std::to_string(out.sample_rate) +
                         " Hz, " + std::to_string(out.channels) + " channels)");
    }
    switch (input) {
    case StreamFormat::mp3:
        return std::make_unique<ElementaryDecoder>(AV_CODEC_ID_MP3, out);
    case StreamFormat::aac:
        return std::make_unique<ElementaryDecoder>(AV_CODEC_ID_AAC, out);
    case StreamFormat::ogg:
        return std::make_unique<OggDecoder>(out);
    case StreamFormat::generic:
        break;
    }
    throw CodecError("stream decoder: cannot decode a " + std::string(to_string(input)) +
                     " stream (only mp3, aac and ogg)");
}

} // namespace tinyice::codec
