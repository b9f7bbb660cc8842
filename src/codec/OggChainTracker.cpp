#include "codec/OggChainTracker.hpp"

#include <algorithm>
#include <utility>

namespace tinyice::codec {
namespace {

constexpr std::uint32_t max_speex_extra_headers = 16;
constexpr std::size_t keep_comment_capacity = std::size_t{64} * 1024;

std::uint32_t read_le32(std::span<const std::uint8_t> p, std::size_t at) {
    return std::uint32_t{p[at]} | (std::uint32_t{p[at + 1]} << 8) |
           (std::uint32_t{p[at + 2]} << 16) | (std::uint32_t{p[at + 3]} << 24);
}

// The first packet on a page (or as much of it as the page holds).
std::span<const std::uint8_t> first_packet(const OggPageView& page) {
    std::size_t size = 0;
    for (const std::uint8_t lacing : page.segment_table) {
        size += lacing;
        if (lacing < 255) {
            break;
        }
    }
    return page.body.first(size);
}

bool ends_a_packet(const OggPageView& page) {
    return std::any_of(page.segment_table.begin(), page.segment_table.end(),
                       [](std::uint8_t lacing) { return lacing < 255; });
}

} // namespace

OggChainTracker::OggChainTracker(std::size_t max_header_bytes)
    : max_header_bytes_(max_header_bytes) {}

OggChainTracker::PageKind OggChainTracker::on_page(const OggPageView& page) {
    if (page.bos()) {
        if (!last_was_bos_) {
            start_chain();
        }
        last_was_bos_ = true;
        add_stream(page);
        return PageKind::header;
    }
    last_was_bos_ = false;
    if (phase_ != Phase::headers) {
        return PageKind::audio;
    }
    StreamState* stream = find_stream(page.serial);
    if (stream == nullptr) {
        return PageKind::header; // not announced by a BOS page: leave it out of the set
    }
    bool is_header = !stream->complete;
    if (is_header && stream->header_packets == 0 && !stream->ends_with_eos) {
        is_header = page.granule == 0 || (page.granule == -1 && !ends_a_packet(page));
    }
    if (!is_header) {
        publish();
        return PageKind::first_audio;
    }
    append_page(page);
    walk_packets(*stream, page);
    if (stream->ends_with_eos && page.eos()) {
        stream->complete = true;
    }
    return PageKind::header;
}

std::string OggChainTracker::codecs() const {
    std::string out;
    for (std::size_t i = current_.codec_count; i-- > 0;) {
        if (!out.empty()) {
            out += '/';
        }
        out += current_.codecs[i];
    }
    return out;
}

void OggChainTracker::start_chain() {
    phase_ = Phase::headers;
    stream_count_ = 0;
    pending_.header_pages.clear();
    pending_.codec_count = 0;
    pending_.comments.reset();
    pending_.oversize = false;
    comment_packet_.clear();
    comment_too_big_ = false;
}

OggChainTracker::StreamState* OggChainTracker::find_stream(std::uint32_t serial) {
    for (std::size_t i = 0; i < stream_count_; ++i) {
        if (streams_[i].serial == serial) {
            return &streams_[i];
        }
    }
    return nullptr;
}

void OggChainTracker::add_stream(const OggPageView& page) {
    append_page(page);
    if (stream_count_ == max_streams || find_stream(page.serial) != nullptr) {
        return;
    }
    const auto id = first_packet(page);
    StreamState& s = streams_[stream_count_++];
    s = StreamState{};
    s.serial = page.serial;
    s.codec = codec_from_first_packet(id);
    if (s.codec == "Vorbis" || s.codec == "Theora") {
        s.header_packets = 3;
    } else if (s.codec == "Opus") {
        s.header_packets = 2;
    } else if (s.codec == "Speex") {
        const std::uint32_t extra = id.size() >= 72 ? read_le32(id, 68) : 0;
        s.header_packets = 2 + std::min(extra, max_speex_extra_headers);
    } else if (s.codec == "FLAC") {
        // "\x7F" "FLAC", version 1.0, 16-bit big-endian count of the header packets that follow.
        const std::uint32_t more = (id.size() >= 9 && id[0] == 0x7F) ? ((id[7] << 8) | id[8]) : 0;
        s.header_packets = more > 0 ? 1 + more : 0;
    } else if (s.codec == "Skeleton") {
        s.ends_with_eos = true;
    }
    if (!s.codec.empty()) {
        pending_.codecs[pending_.codec_count++] = s.codec;
    }
    walk_packets(s, page);
    if (s.ends_with_eos && page.eos()) {
        s.complete = true;
    }
}

void OggChainTracker::append_page(const OggPageView& page) {
    if (pending_.oversize) {
        return;
    }
    if (pending_.header_pages.size() + page.bytes.size() > max_header_bytes_) {
        pending_.oversize = true;
        pending_.header_pages.clear();
        return;
    }
    pending_.header_pages.insert(pending_.header_pages.end(), page.bytes.begin(), page.bytes.end());
}

bool OggChainTracker::wants_comment_packet(const StreamState& stream,
                                           std::span<const std::uint8_t> first) const {
    if (pending_.comments || stream.ends_with_eos) {
        return false;
    }
    for (std::size_t i = 0; i < stream_count_; ++i) {
        if (streams_[i].collecting) {
            return false; // one packet at a time; another stream's comments are being read
        }
    }
    if (stream.codec == "FLAC") {
        return stream.packets_done >= 1 && !first.empty() && (first[0] & 0x7FU) == 4;
    }
    return stream.packets_done == 1;
}

void OggChainTracker::finish_comment_packet(const StreamState& stream) {
    if (!comment_too_big_) {
        auto parsed = stream.codec == "Speex" ? parse_vorbis_comment(comment_packet_)
                                              : parse_comment_packet(comment_packet_);
        if (parsed) {
            pending_.comments = std::move(parsed);
        }
    }
    comment_packet_.clear();
    comment_too_big_ = false;
    if (comment_packet_.capacity() > keep_comment_capacity) {
        comment_packet_.shrink_to_fit(); // give back what cover art took
    }
}

void OggChainTracker::walk_packets(StreamState& stream, const OggPageView& page) {
    if (!page.continued() && stream.in_packet) {
        // The pages carrying the rest of that packet were lost; libogg drops it too.
        stream.in_packet = false;
        if (stream.collecting) {
            stream.collecting = false;
            comment_packet_.clear();
        }
    }
    // A continuation of a packet whose start we never saw: skip to its end.
    bool skipping = page.continued() && !stream.in_packet;
    std::size_t pos = 0;
    for (const std::uint8_t lacing : page.segment_table) {
        const auto segment = page.body.subspan(pos, lacing);
        pos += lacing;
        if (skipping) {
            skipping = lacing == 255;
            continue;
        }
        if (!stream.in_packet) {
            stream.in_packet = true;
            stream.collecting = wants_comment_packet(stream, segment);
            if (stream.collecting) {
                comment_packet_.clear();
                comment_too_big_ = false;
            }
        }
        if (stream.collecting && !comment_too_big_) {
            if (comment_packet_.size() + segment.size() > max_comment_packet) {
                comment_too_big_ = true;
                comment_packet_.clear();
            } else {
                comment_packet_.insert(comment_packet_.end(), segment.begin(), segment.end());
            }
        }
        if (lacing < 255) {
            stream.in_packet = false;
            ++stream.packets_done;
            if (stream.collecting) {
                stream.collecting = false;
                finish_comment_packet(stream);
            }
            if (stream.header_packets > 0 && stream.packets_done >= stream.header_packets) {
                stream.complete = true;
            }
        }
    }
}

void OggChainTracker::publish() {
    phase_ = Phase::audio;
    if (pending_.oversize) {
        pending_.header_pages.clear();
    }
    std::swap(current_, pending_);
    ++chains_;
}

} // namespace tinyice::codec
