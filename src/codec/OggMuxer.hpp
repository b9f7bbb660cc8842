#pragma once
// Ogg page writer (RFC 3533) for one logical stream at a time: packets in, pages out. Used by
// StreamEncoder for Opus and Vorbis; sans-I/O and independent of FFmpeg.
//
//   OggMuxer mux;
//   mux.begin_stream(serial);                 // next page gets BOS
//   mux.add_packet(id_header, 0); mux.flush(out);          // header pages stand alone
//   mux.add_packet(comment_header, 0); ... mux.flush(out);
//   mux.add_packet(audio, granule_after_packet);            // pages emitted as they fill
//   mux.page_out(out) / mux.flush(out)
//   mux.end_stream(out);                      // flushes with EOS
//
// Lacing: a packet of n bytes takes n/255 segments of 255 plus one final segment (0..254); a
// packet longer than what fits continues on the next page (continued flag). A page holds at
// most 255 segments. The granule position of a page is that of the last packet completed on
// it, or -1 when none completes there. Page sequence numbers count from 0 per logical stream;
// the CRC is filled in with ogg_crc(). A page also ends inside a packet once its body reaches
// the page target (as libogg does), so a 70 KB packet spans several ~4 KiB pages. An EOS page
// written with nothing queued carries the stream's last granule position (as libogg does), so
// players that read the length from the last page still find it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tinyice::codec {

class OggMuxer {
public:
    // Page target size in body bytes; a page is emitted once its body reaches this size.
    static constexpr std::size_t default_page_target = 4096;

    explicit OggMuxer(std::size_t page_target = default_page_target);

    // Starts a logical stream with `serial`; the next page written carries BOS. A stream still
    // open is ended first (with EOS, into `out`).
    void begin_stream(std::uint32_t serial, std::vector<std::uint8_t>& out);
    // Queues a packet; `granule` is the granule position after this packet (0 for headers).
    // Whole pages that fill up are appended to `out`.
    void add_packet(std::span<const std::uint8_t> packet, std::int64_t granule,
                    std::vector<std::uint8_t>& out);
    // Writes whatever is queued as a page (nothing if empty).
    void flush(std::vector<std::uint8_t>& out);
    // Flushes and marks the last page EOS (writes an empty EOS page if nothing is queued).
    void end_stream(std::vector<std::uint8_t>& out);

    [[nodiscard]] bool stream_open() const { return open_; }
    [[nodiscard]] std::uint32_t serial() const { return serial_; }
    // Packets queued but not yet on a page.
    [[nodiscard]] std::size_t pending_packets() const { return pending_packets_; }
    [[nodiscard]] std::size_t pending_bytes() const { return body_.size(); }

private:
    // Emits the queued segments as one page. `eos` marks the last page of the stream;
    // `mid_packet` says the page ends inside a packet, so the next page is a continuation.
    void write_page(std::vector<std::uint8_t>& out, bool eos, bool mid_packet = false);
    [[nodiscard]] bool page_full() const {
        return lacing_.size() == max_segments || body_.size() >= page_target_;
    }

    static constexpr std::size_t max_segments = 255;

    std::size_t page_target_;
    bool open_ = false;
    bool bos_pending_ = false;
    bool continued_ = false; // the queued page starts in the middle of a packet
    std::uint32_t serial_ = 0;
    std::uint32_t sequence_ = 0;
    std::int64_t granule_ = -1;     // granule of the last packet completed in the queued data
    std::int64_t last_granule_ = 0; // of the last packet of the stream (for an empty EOS page)
    std::size_t pending_packets_ = 0;
    std::vector<std::uint8_t> lacing_;
    std::vector<std::uint8_t> body_;
};

} // namespace tinyice::codec
