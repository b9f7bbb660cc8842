#include "codec/FrameSync.hpp"

#include <algorithm>
#include <cstring>

namespace tinyice::codec {
namespace {

// [lsf][layer - 1][index]; index 0 (free format) and 15 (bad) are rejected before lookup.
constexpr std::uint16_t mpeg_bitrates[2][3][16] = {
    {
        {0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 0},
        {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 0},
        {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0},
    },
    {
        {0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, 0},
        {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
        {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},
    },
};
constexpr std::uint32_t mpeg_sample_rates[3] = {44100, 48000, 32000};

constexpr std::uint32_t adts_sample_rates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                                 22050, 16000, 12000, 11025, 8000,  7350};

std::uint32_t mpeg_signature(const std::uint8_t* p) {
    // sync, version, layer (not the CRC bit), sample rate index
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1] & 0xFEU} << 16) |
           (std::uint32_t{p[2] & 0x0CU} << 8);
}

std::uint32_t adts_signature(const std::uint8_t* p) {
    // sync, id, profile, sampling index, channel config (not CRC or private bits)
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1] & 0xF8U} << 16) |
           (std::uint32_t{p[2] & 0xFDU} << 8) | std::uint32_t{p[3] & 0xC0U};
}

std::optional<FrameInfo> mpeg_header(const std::uint8_t* p) {
    if (p[0] != 0xFF || (p[1] & 0xE0) != 0xE0) {
        return std::nullopt;
    }
    const unsigned version = (p[1] >> 3) & 3U; // 0: 2.5, 1: reserved, 2: 2, 3: 1
    const unsigned layer_bits = (p[1] >> 1) & 3U;
    const unsigned bitrate_index = p[2] >> 4;
    const unsigned rate_index = (p[2] >> 2) & 3U;
    const unsigned padding = (p[2] >> 1) & 1U;
    const unsigned mode = p[3] >> 6;
    const unsigned emphasis = p[3] & 3U;
    if (version == 1 || layer_bits == 0 || bitrate_index == 0 || bitrate_index == 15 ||
        rate_index == 3 || emphasis == 2) {
        return std::nullopt;
    }
    const unsigned layer = 4 - layer_bits; // 1, 2 or 3
    const bool lsf = version != 3;         // MPEG-2 / 2.5 "low sampling frequency"
    const std::uint32_t kbps = mpeg_bitrates[lsf ? 1 : 0][layer - 1][bitrate_index];
    const std::uint32_t rate = mpeg_sample_rates[rate_index] >> (version == 3   ? 0
                                                                 : version == 2 ? 1
                                                                                : 2);

    FrameInfo info;
    info.sample_rate = rate;
    info.bitrate_kbps = kbps;
    info.channels = mode == 3 ? 1 : 2;
    if (layer == 1) {
        info.samples = 384;
        info.frame_bytes = (12 * kbps * 1000 / rate + padding) * 4;
    } else if (layer == 2) {
        info.samples = 1152;
        info.frame_bytes = 144 * kbps * 1000 / rate + padding;
    } else {
        info.samples = lsf ? 576 : 1152;
        info.frame_bytes = (lsf ? 72 : 144) * kbps * 1000 / rate + padding;
    }
    return info;
}

std::optional<FrameInfo> adts_header(const std::uint8_t* p) {
    if (p[0] != 0xFF || (p[1] & 0xF6) != 0xF0) { // 12-bit sync and layer 0
        return std::nullopt;
    }
    const bool protection_absent = (p[1] & 1U) != 0;
    const unsigned rate_index = (p[2] >> 2) & 0xFU;
    const unsigned channel_config = ((p[2] & 1U) << 2) | (p[3] >> 6);
    const std::uint32_t length = ((p[3] & 3U) << 11) | (std::uint32_t{p[4]} << 3) | (p[5] >> 5);
    const std::uint32_t header_bytes = protection_absent ? 7 : 9;
    if (rate_index > 12 || length <= header_bytes) {
        return std::nullopt;
    }
    FrameInfo info;
    info.frame_bytes = length;
    info.sample_rate = adts_sample_rates[rate_index];
    info.channels = static_cast<std::uint8_t>(channel_config == 7 ? 8 : channel_config);
    info.samples = 1024 * ((p[6] & 3U) + 1);
    const std::uint64_t bits_per_second =
        std::uint64_t{length} * 8 * info.sample_rate / info.samples;
    info.bitrate_kbps = static_cast<std::uint32_t>((bits_per_second + 500) / 1000);
    return info;
}

// ID3v2 header: "ID3", version 2..4, revision != 0xFF, flags, 4 sync-safe size bytes.
// Returns the whole tag size (header, body, optional footer), or 0 if this is no tag.
std::uint64_t id3v2_size(const std::uint8_t* p) {
    if (p[0] != 'I' || p[1] != 'D' || p[2] != '3' || p[3] < 2 || p[3] > 4 || p[4] == 0xFF) {
        return 0;
    }
    if (((p[6] | p[7] | p[8] | p[9]) & 0x80U) != 0) {
        return 0;
    }
    const std::uint64_t body = (std::uint64_t{p[6]} << 21) | (std::uint64_t{p[7]} << 14) |
                               (std::uint64_t{p[8]} << 7) | std::uint64_t{p[9]};
    const bool footer = (p[5] & 0x10U) != 0;
    return 10 + body + (footer ? 10 : 0);
}

constexpr std::uint64_t id3v1_size = 128;

} // namespace

std::optional<FrameInfo> parse_mpeg_audio_header(std::span<const std::uint8_t> p) {
    if (p.size() < 4) {
        return std::nullopt;
    }
    return mpeg_header(p.data());
}

std::optional<FrameInfo> parse_adts_header(std::span<const std::uint8_t> p) {
    if (p.size() < 7) {
        return std::nullopt;
    }
    return adts_header(p.data());
}

FrameScanner::FrameScanner(StreamFormat format)
    : format_(format), header_size_(format == StreamFormat::mp3   ? 4
                                    : format == StreamFormat::aac ? 7
                                                                  : 0) {}

void FrameScanner::reset() {
    next_pos_ = 0;
    fed_end_ = 0;
    fresh_ = true;
    locked_ = false;
    ever_locked_ = false;
    signature_ = 0;
    frames_ = 0;
    candidate_count_ = 0;
    carry_size_ = 0;
    phase_ = Phase::done;
}

void FrameScanner::drop_lock() {
    locked_ = false;
    candidate_count_ = 0;
}

std::optional<FrameScanner::Header> FrameScanner::parse_header(const std::uint8_t* at) const {
    if (format_ == StreamFormat::mp3) {
        if (auto info = mpeg_header(at)) {
            return Header{*info, mpeg_signature(at)};
        }
    } else if (auto info = adts_header(at)) {
        return Header{*info, adts_signature(at)};
    }
    return std::nullopt;
}

void FrameScanner::begin_feed(std::span<const std::uint8_t> data, std::uint64_t stream_offset) {
    out_ = {};
    out_count_ = 0;
    if (header_size_ == 0) {
        phase_ = Phase::done;
        return;
    }
    if (fresh_ || stream_offset != fed_end_) {
        // Discontinuity: whatever we were following does not continue here.
        drop_lock();
        carry_size_ = 0;
        next_pos_ = stream_offset;
        fed_end_ = stream_offset;
        fresh_ = false;
    }
    data_ = data;
    data_offset_ = stream_offset;
    fed_end_ = stream_offset + data.size();
    phase_ = Phase::data;
    if (carry_size_ > 0) {
        // The carried header prefix plus the start of the new data, so positions in the carry
        // can look ahead max_lookahead bytes without copying the whole feed.
        const std::size_t take = std::min(data.size(), stitch_data);
        std::memcpy(stitch_.data(), carry_.data(), carry_size_);
        if (take > 0) {
            std::memcpy(stitch_.data() + carry_size_, data.data(), take);
        }
        stitch_size_ = carry_size_ + take;
        stitch_offset_ = next_pos_;
        carry_size_ = 0;
        phase_ = Phase::stitch;
    }
}

std::size_t FrameScanner::scan(std::span<FoundFrame> out, bool& done) {
    out_ = out;
    out_count_ = 0;
    done = false;
    if (phase_ == Phase::stitch) {
        const bool whole_feed_in_stitch = data_.size() < stitch_data;
        const std::uint64_t stitch_end = stitch_offset_ + stitch_size_;
        const std::uint64_t limit = whole_feed_in_stitch ? stitch_end : data_offset_;
        if (!scan_view(stitch_.data(), stitch_offset_, stitch_size_, limit)) {
            // Only possible when the stitch holds the whole feed (see stitch_data).
            const std::size_t from = next_pos_ - stitch_offset_;
            carry_size_ = stitch_size_ - from;
            std::memcpy(carry_.data(), stitch_.data() + from, carry_size_);
            phase_ = Phase::done;
        } else if (next_pos_ < limit) {
            return out_count_; // batch full
        } else {
            phase_ = whole_feed_in_stitch ? Phase::done : Phase::data;
        }
    }
    if (phase_ == Phase::data) {
        const std::uint64_t end = data_offset_ + data_.size();
        if (!scan_view(data_.data(), data_offset_, data_.size(), end)) {
            const std::size_t from = next_pos_ - data_offset_;
            carry_size_ = data_.size() - from;
            std::memcpy(carry_.data(), data_.data() + from, carry_size_);
            phase_ = Phase::done;
        } else if (next_pos_ < end) {
            return out_count_; // batch full
        } else {
            phase_ = Phase::done;
        }
    }
    done = phase_ == Phase::done;
    return out_count_;
}

bool FrameScanner::scan_view(const std::uint8_t* view, std::uint64_t view_offset,
                             std::size_t view_size, std::uint64_t limit) {
    // A step reports at most 3 frames (a first lock), so stop while there is room for that.
    while (next_pos_ < limit && out_.size() - out_count_ >= 3) {
        const std::size_t index = next_pos_ - view_offset;
        const std::uint8_t* at = view + index;
        const std::size_t avail = view_size - index;
        const Step step = locked_ ? step_locked(at, avail) : step_search(at, avail);
        if (step == Step::need_more) {
            return false;
        }
    }
    return true;
}

void FrameScanner::report(const FoundFrame& frame) {
    out_[out_count_++] = frame;
    ++frames_;
}

FrameScanner::Step FrameScanner::step_locked(const std::uint8_t* at, std::size_t avail) {
    switch (at[0]) {
    case 0xFF:
        if (avail < header_size_) {
            return Step::need_more;
        }
        if (auto header = parse_header(at); header && header->signature == signature_) {
            report({next_pos_, header->info});
            next_pos_ += header->info.frame_bytes;
            return Step::advanced;
        }
        break;
    case 'I':
        if (avail < max_lookahead) {
            return Step::need_more;
        }
        if (const auto size = id3v2_size(at); size > 0) {
            next_pos_ += size;
            return Step::advanced;
        }
        break;
    case 'T':
        if (avail < 3) {
            return Step::need_more;
        }
        if (at[1] == 'A' && at[2] == 'G') {
            next_pos_ += id3v1_size;
            return Step::advanced;
        }
        break;
    default:
        break;
    }
    // No frame where the last one said the next would be: search from here.
    drop_lock();
    return Step::advanced;
}

FrameScanner::Step FrameScanner::step_search(const std::uint8_t* at, std::size_t avail) {
    const std::uint64_t pos = next_pos_;
    const std::uint8_t first = at[0];
    if (first == 'I') {
        if (avail < max_lookahead) {
            return Step::need_more;
        }
        if (const auto size = id3v2_size(at); size > 0) {
            // A tag right where a candidate expects its next frame moves that expectation past
            // the tag; candidates expecting a frame inside the tag are impossible.
            std::size_t kept = 0;
            for (std::size_t i = 0; i < candidate_count_; ++i) {
                Candidate& c = candidates_[i];
                if (c.expect == pos) {
                    c.expect += size;
                } else if (c.expect < pos + size) {
                    continue;
                }
                candidates_[kept++] = c;
            }
            candidate_count_ = kept;
            next_pos_ += size;
            return Step::advanced;
        }
    } else if (first == 0xFF && avail < header_size_) {
        return Step::need_more;
    }

    const std::optional<Header> header = first == 0xFF ? parse_header(at) : std::nullopt;
    bool extended = false;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < candidate_count_; ++i) {
        Candidate& c = candidates_[i];
        if (c.expect != pos) {
            candidates_[kept++] = c;
            continue;
        }
        if (!header || header->signature != c.signature) {
            continue; // no frame where this candidate needs one: drop it
        }
        c.chain[c.length++] = {pos, header->info};
        const std::size_t confirmations_needed = ever_locked_ ? 1 : 2;
        if (c.length > confirmations_needed) {
            for (std::size_t k = 0; k < c.length; ++k) {
                report(c.chain[k]);
            }
            locked_ = true;
            ever_locked_ = true;
            signature_ = c.signature;
            candidate_count_ = 0;
            next_pos_ = pos + header->info.frame_bytes;
            return Step::advanced;
        }
        c.expect = pos + header->info.frame_bytes;
        extended = true;
        candidates_[kept++] = c;
    }
    candidate_count_ = kept;
    if (header && !extended && candidate_count_ < max_candidates) {
        Candidate& c = candidates_[candidate_count_++];
        c.chain[0] = {pos, header->info};
        c.length = 1;
        c.signature = header->signature;
        c.expect = pos + header->info.frame_bytes;
    }

    // Jump to the next byte that can start a frame or tag, or that a candidate expects.
    std::uint64_t stop = pos + avail;
    for (std::size_t i = 0; i < candidate_count_; ++i) {
        stop = std::min(stop, candidates_[i].expect);
    }
    const std::uint8_t* p = at + 1;
    const std::uint8_t* const end = at + (stop - pos);
    while (p < end && *p != 0xFF && *p != 'I') {
        ++p;
    }
    next_pos_ = pos + static_cast<std::uint64_t>(p - at);
    return Step::advanced;
}

} // namespace tinyice::codec
