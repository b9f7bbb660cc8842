#pragma once
// Sans-I/O Ogg page framing (RFC 3533): a one-shot page parser and an incremental reader that
// turns arbitrary byte pieces into whole, CRC-checked pages. Runs on every byte of every Ogg
// source, so the reader parses in place whenever a page lies wholly inside one piece and copies
// only pages that straddle pieces.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

namespace tinyice::codec {

// Fixed header before the segment table, and the largest page: 255 segments of 255 bytes.
inline constexpr std::size_t ogg_header_size = 27;
inline constexpr std::size_t ogg_max_page_size = ogg_header_size + 255 + std::size_t{255} * 255;

struct OggPageView {
    static constexpr std::uint8_t flag_continued = 0x01;
    static constexpr std::uint8_t flag_bos = 0x02;
    static constexpr std::uint8_t flag_eos = 0x04;

    std::span<const std::uint8_t> bytes; // whole page incl. header
    std::uint8_t flags = 0;
    // The page starts in the middle of a packet.
    [[nodiscard]] bool continued() const { return (flags & flag_continued) != 0; }
    [[nodiscard]] bool bos() const { return (flags & flag_bos) != 0; }
    [[nodiscard]] bool eos() const { return (flags & flag_eos) != 0; }
    std::int64_t granule = 0; // -1: no packet ends on this page
    std::uint32_t serial = 0;
    std::uint32_t sequence = 0;
    std::span<const std::uint8_t> segment_table; // lacing values
    std::span<const std::uint8_t> body;
};

enum class OggParseStatus { page, need_more, garbage };

// Parses one page at the start of `buf`.
//   page:      `consumed` = page size, `view` filled (pointing into buf), CRC verified.
//   need_more: `buf` is a plausible page prefix (capture pattern and version so far match);
//              `consumed` = 0.
//   garbage:   `consumed` >= 1 = bytes to skip to reach the next "OggS" candidate (or the part
//              of a capture pattern at the end of buf): no capture pattern, version != 0, or
//              bad CRC.
[[nodiscard]] OggParseStatus parse_ogg_page(std::span<const std::uint8_t> buf,
                                            std::size_t& consumed, OggPageView& view);

// Ogg CRC-32: polynomial 0x04c11db7, initial value 0, no reflection, no final xor. Over a page
// the CRC field (bytes 22..25) must read as zero.
[[nodiscard]] std::uint32_t ogg_crc(std::span<const std::uint8_t> bytes);
// Continues a CRC over more bytes: ogg_crc(a + b) == ogg_crc_update(ogg_crc(a), b).
[[nodiscard]] std::uint32_t ogg_crc_update(std::uint32_t crc, std::span<const std::uint8_t> bytes);

// Incremental page reader: feed arbitrary byte pieces, get each whole page via a callback with
// its absolute stream offset. Garbage (bytes not inside a valid page) is skipped and counted.
// Owns one reassembly buffer of ogg_max_page_size bytes, allocated at construction; feed() never
// allocates. The view passed to on_page is valid only during the call.
class OggPageReader {
public:
    OggPageReader();

    template <class F>
    void feed(std::span<const std::uint8_t> data,
              F&& on_page /* (std::uint64_t, const OggPageView&) */) {
        while (!data.empty()) {
            if (buffered_ > 0) {
                data = data.subspan(fill_buffer(data));
                emit_buffered(on_page);
                continue;
            }
            // Fast path: parse pages in place.
            std::size_t consumed = 0;
            OggPageView view;
            switch (parse_ogg_page(data, consumed, view)) {
            case OggParseStatus::page:
                on_page(offset_, std::as_const(view));
                break;
            case OggParseStatus::garbage:
                skipped_ += consumed;
                break;
            case OggParseStatus::need_more:
                stash(data); // the rest is the start of a page cut off by the end of data
                return;
            }
            offset_ += consumed;
            data = data.subspan(consumed);
        }
    }

    [[nodiscard]] std::uint64_t skipped_bytes() const { return skipped_; }
    // Absolute offset of the first byte not yet delivered in a page or skipped.
    [[nodiscard]] std::uint64_t offset() const { return offset_; }
    // Forgets a partial page and starts again at offset 0.
    void reset();

private:
    // Copies the start of a page that is cut off by the end of `data` (< ogg_max_page_size).
    void stash(std::span<const std::uint8_t> data);
    // Appends to the buffered page prefix no more than it needs; returns bytes taken.
    std::size_t fill_buffer(std::span<const std::uint8_t> data);
    // Parses the buffer: a page (buffer emptied), garbage (skipped, rest re-examined) or a
    // prefix still waiting for bytes.
    template <class F>
    void emit_buffered(F& on_page) {
        while (buffered_ > 0) {
            std::size_t consumed = 0;
            OggPageView view;
            const auto status = parse_ogg_page({buffer_.get(), buffered_}, consumed, view);
            if (status == OggParseStatus::need_more) {
                return;
            }
            if (status == OggParseStatus::page) {
                on_page(offset_, std::as_const(view));
            } else {
                skipped_ += consumed;
            }
            drop_front(consumed);
        }
    }
    void drop_front(std::size_t n);

    std::unique_ptr<std::uint8_t[]> buffer_;
    std::size_t buffered_ = 0;
    std::uint64_t offset_ = 0; // absolute offset of buffer_[0] / the next unread byte
    std::uint64_t skipped_ = 0;
};

} // namespace tinyice::codec
