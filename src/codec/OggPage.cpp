#include "codec/OggPage.hpp"

#include <array>
#include <cstring>

namespace tinyice::codec {
namespace {

constexpr std::array<std::uint8_t, 4> capture_pattern = {'O', 'g', 'g', 'S'};
constexpr std::size_t crc_offset = 22;

// Slicing-by-8 tables for the MSB-first CRC: crc_tables[j][b] = b * x^(32 + 8j) mod P.
using CrcTables = std::array<std::array<std::uint32_t, 256>, 8>;
constexpr CrcTables make_crc_tables() {
    CrcTables t{};
    for (std::uint32_t b = 0; b < 256; ++b) {
        std::uint32_t r = b << 24;
        for (int bit = 0; bit < 8; ++bit) {
            r = (r & 0x80000000U) != 0 ? (r << 1) ^ 0x04c11db7U : r << 1;
        }
        t[0][b] = r;
    }
    for (std::size_t j = 1; j < t.size(); ++j) {
        for (std::size_t b = 0; b < 256; ++b) {
            const std::uint32_t prev = t[j - 1][b];
            t[j][b] = (prev << 8) ^ t[0][prev >> 24];
        }
    }
    return t;
}
constexpr CrcTables crc_tables = make_crc_tables();

std::uint32_t read_le32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
           (std::uint32_t{p[3]} << 24);
}

std::uint64_t read_le64(const std::uint8_t* p) {
    return std::uint64_t{read_le32(p)} | (std::uint64_t{read_le32(p + 4)} << 32);
}

// Bytes to skip from buf[0] to the next "OggS" at index >= 1, or to the longest tail of buf that
// could still begin one. Always >= 1.
std::size_t skip_to_capture(std::span<const std::uint8_t> buf) {
    const std::uint8_t* const begin = buf.data();
    const std::uint8_t* const end = begin + buf.size();
    const std::uint8_t* p = begin + 1;
    while (p < end) {
        const auto* o = static_cast<const std::uint8_t*>(
            std::memchr(p, 'O', static_cast<std::size_t>(end - p)));
        if (o == nullptr) {
            break;
        }
        const auto left = static_cast<std::size_t>(end - o);
        if (std::memcmp(o, capture_pattern.data(), left < 4 ? left : 4) == 0) {
            return static_cast<std::size_t>(o - begin); // full match, or a prefix at the end
        }
        p = o + 1;
    }
    return buf.size();
}

} // namespace

std::uint32_t ogg_crc_update(std::uint32_t crc, std::span<const std::uint8_t> bytes) {
    const std::uint8_t* p = bytes.data();
    std::size_t n = bytes.size();
    while (n >= 8) {
        const std::uint32_t hi = crc ^ ((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                        (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]});
        crc = crc_tables[7][hi >> 24] ^ crc_tables[6][(hi >> 16) & 0xFFU] ^
              crc_tables[5][(hi >> 8) & 0xFFU] ^ crc_tables[4][hi & 0xFFU] ^ crc_tables[3][p[4]] ^
              crc_tables[2][p[5]] ^ crc_tables[1][p[6]] ^ crc_tables[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n-- > 0) {
        crc = (crc << 8) ^ crc_tables[0][(crc >> 24) ^ *p++];
    }
    return crc;
}

std::uint32_t ogg_crc(std::span<const std::uint8_t> bytes) {
    return ogg_crc_update(0, bytes);
}

OggParseStatus parse_ogg_page(std::span<const std::uint8_t> buf, std::size_t& consumed,
                              OggPageView& view) {
    consumed = 0;
    const std::size_t n = buf.size();
    const std::uint8_t* const p = buf.data();
    const auto garbage = [&] {
        consumed = skip_to_capture(buf);
        return OggParseStatus::garbage;
    };
    if (n == 0) {
        return OggParseStatus::need_more;
    }
    if (std::memcmp(p, capture_pattern.data(), n < 4 ? n : 4) != 0) {
        return garbage();
    }
    if (n > 4 && p[4] != 0) { // stream_structure_version
        return garbage();
    }
    if (n < ogg_header_size) {
        return OggParseStatus::need_more;
    }
    const std::size_t segments = p[26];
    const std::size_t header_size = ogg_header_size + segments;
    if (n < header_size) {
        return OggParseStatus::need_more;
    }
    std::size_t body_size = 0;
    for (std::size_t i = 0; i < segments; ++i) {
        body_size += p[ogg_header_size + i];
    }
    const std::size_t page_size = header_size + body_size;
    if (n < page_size) {
        return OggParseStatus::need_more;
    }
    constexpr std::uint8_t zero_crc[4] = {0, 0, 0, 0};
    std::uint32_t crc = ogg_crc_update(0, buf.first(crc_offset));
    crc = ogg_crc_update(crc, zero_crc);
    crc = ogg_crc_update(crc, buf.subspan(crc_offset + 4, page_size - crc_offset - 4));
    if (crc != read_le32(p + crc_offset)) {
        return garbage();
    }
    view.bytes = buf.first(page_size);
    view.flags = p[5];
    view.granule = static_cast<std::int64_t>(read_le64(p + 6));
    view.serial = read_le32(p + 14);
    view.sequence = read_le32(p + 18);
    view.segment_table = buf.subspan(ogg_header_size, segments);
    view.body = buf.subspan(header_size, body_size);
    consumed = page_size;
    return OggParseStatus::page;
}

OggPageReader::OggPageReader() : buffer_(std::make_unique<std::uint8_t[]>(ogg_max_page_size)) {}

void OggPageReader::reset() {
    buffered_ = 0;
    offset_ = 0;
    skipped_ = 0;
}

void OggPageReader::stash(std::span<const std::uint8_t> data) {
    // need_more means data is a prefix of one page, so it fits.
    std::memcpy(buffer_.get(), data.data(), data.size());
    buffered_ = data.size();
}

std::size_t OggPageReader::fill_buffer(std::span<const std::uint8_t> data) {
    const std::uint8_t* b = buffer_.get();
    std::size_t wanted = ogg_header_size;
    if (buffered_ >= ogg_header_size) {
        wanted += b[26];
        if (buffered_ >= wanted) {
            for (std::size_t i = 0; i < b[26]; ++i) {
                wanted += b[ogg_header_size + i];
            }
        }
    }
    const std::size_t need = wanted - buffered_;
    const std::size_t take = need < data.size() ? need : data.size();
    std::memcpy(buffer_.get() + buffered_, data.data(), take);
    buffered_ += take;
    return take;
}

void OggPageReader::drop_front(std::size_t n) {
    std::memmove(buffer_.get(), buffer_.get() + n, buffered_ - n);
    buffered_ -= n;
    offset_ += n;
}

} // namespace tinyice::codec
