#include "codec/OggMuxer.hpp"

#include "codec/OggPage.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace tinyice::codec {
namespace {

void put_le32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        p[i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
}

void put_le64(std::uint8_t* p, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
        p[i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
}

} // namespace

OggMuxer::OggMuxer(std::size_t page_target) : page_target_(page_target == 0 ? 1 : page_target) {
    lacing_.reserve(max_segments);
    body_.reserve(std::min(page_target_ + max_segments, max_segments * std::size_t{255}));
}

void OggMuxer::begin_stream(std::uint32_t serial, std::vector<std::uint8_t>& out) {
    if (open_) {
        end_stream(out);
    }
    open_ = true;
    bos_pending_ = true;
    continued_ = false;
    serial_ = serial;
    sequence_ = 0;
    granule_ = -1;
    last_granule_ = 0;
    pending_packets_ = 0;
    lacing_.clear();
    body_.clear();
}

void OggMuxer::add_packet(std::span<const std::uint8_t> packet, std::int64_t granule,
                          std::vector<std::uint8_t>& out) {
    if (!open_) {
        throw std::logic_error("OggMuxer::add_packet without begin_stream");
    }
    std::size_t pos = 0;
    for (;;) {
        if (pos > 0 && page_full()) {
            write_page(out, false, true);
        }
        const std::size_t segment = std::min<std::size_t>(255, packet.size() - pos);
        lacing_.push_back(static_cast<std::uint8_t>(segment));
        body_.insert(body_.end(), packet.begin() + static_cast<std::ptrdiff_t>(pos),
                     packet.begin() + static_cast<std::ptrdiff_t>(pos + segment));
        pos += segment;
        if (segment < 255) {
            break; // a lacing value below 255 ends the packet (a 0 after a multiple of 255)
        }
    }
    granule_ = granule;
    last_granule_ = granule;
    ++pending_packets_;
    if (page_full()) {
        write_page(out, false);
    }
}

void OggMuxer::flush(std::vector<std::uint8_t>& out) {
    if (open_ && !lacing_.empty()) {
        write_page(out, false);
    }
}

void OggMuxer::end_stream(std::vector<std::uint8_t>& out) {
    if (!open_) {
        return;
    }
    if (lacing_.empty()) {
        granule_ = last_granule_;
    }
    write_page(out, true);
    open_ = false;
}

void OggMuxer::write_page(std::vector<std::uint8_t>& out, bool eos, bool mid_packet) {
    const std::size_t start = out.size();
    const std::size_t size = ogg_header_size + lacing_.size() + body_.size();
    out.resize(start + size);
    std::uint8_t* p = out.data() + start;
    std::memcpy(p, "OggS", 4);
    p[4] = 0; // stream_structure_version
    std::uint8_t flags = 0;
    if (continued_) {
        flags |= OggPageView::flag_continued;
    }
    if (bos_pending_) {
        flags |= OggPageView::flag_bos;
    }
    if (eos) {
        flags |= OggPageView::flag_eos;
    }
    p[5] = flags;
    put_le64(p + 6, static_cast<std::uint64_t>(granule_));
    put_le32(p + 14, serial_);
    put_le32(p + 18, sequence_);
    put_le32(p + 22, 0);
    p[26] = static_cast<std::uint8_t>(lacing_.size());
    std::copy(lacing_.begin(), lacing_.end(), p + ogg_header_size);
    std::copy(body_.begin(), body_.end(), p + ogg_header_size + lacing_.size());
    put_le32(p + 22, ogg_crc({p, size}));

    bos_pending_ = false;
    continued_ = mid_packet;
    ++sequence_;
    granule_ = -1;
    pending_packets_ = 0;
    lacing_.clear();
    body_.clear();
}

} // namespace tinyice::codec
