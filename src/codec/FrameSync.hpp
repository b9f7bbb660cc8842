#pragma once
// Sans-I/O frame sync for MPEG audio (MP3 and Layer I/II) and AAC in ADTS. Used on the source
// ingest path to mark frame starts, so a new listener can begin on a frame boundary instead of
// in the middle of one (see docs/icecast-protocol.md 3.4). Runs on every byte of every stream:
// no allocation, and while locked it jumps from header to header without looking at payload.

#include "codec/StreamFormat.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

namespace tinyice::codec {

struct FrameInfo {
    std::uint32_t frame_bytes = 0;  // whole frame including the header
    std::uint32_t sample_rate = 0;  // Hz
    std::uint8_t channels = 0;      // 0 = ADTS channel config 0 (layout given in the payload)
    std::uint32_t bitrate_kbps = 0; // MPEG: from the header; ADTS: this frame's size over time
    std::uint32_t samples = 0;      // PCM samples per channel in this frame
};

// MPEG-1/2/2.5 Layer I/II/III header at p (needs 4 bytes). Rejects reserved version, layer,
// sample rate and emphasis, the free-format and "bad" bitrate indexes.
[[nodiscard]] std::optional<FrameInfo> parse_mpeg_audio_header(std::span<const std::uint8_t> p);

// ADTS header at p (needs 7 bytes). Rejects layer != 0, reserved/explicit sampling index and a
// frame_length that does not cover the header.
[[nodiscard]] std::optional<FrameInfo> parse_adts_header(std::span<const std::uint8_t> p);

// Incremental scanner: feed the byte stream in arbitrary pieces; it reports the absolute stream
// offset of every frame start.
//
// Lock rule: while searching, every byte position whose header parses is a candidate; a
// candidate is accepted once the header at offset + frame_bytes also parses with the same
// version, layer and sample rate (ADTS: id, profile, sampling index, channel config). The very
// first lock (since construction or reset()) needs two such confirmations, a re-lock one. Up to
// max_candidates candidates are followed at once, so a false sync in garbage does not hide a
// real frame that starts inside it. Once locked the scanner follows frames by length; a header
// at the expected offset that is missing or has a different signature drops the lock and the
// byte search restarts at that offset. ID3v2 tags are skipped wherever a frame or search may
// start (stream start, between frames); a 128-byte ID3v1 "TAG" between locked frames too.
//
// Reporting: offsets are reported once each, in strictly increasing order, when they become
// known. Frames that were only candidates are reported when the lock is confirmed, so the
// first 2-3 offsets (and 1-2 after a re-lock) may lie in earlier pieces; a header split across
// two pieces is reported with the second piece. A reported offset always lies in bytes already
// fed (offset < stream_offset + data.size()).
//
// State carried between feeds: position, lock signature, the candidates, and at most 9 bytes of
// a header prefix. feed() never allocates.
class FrameScanner {
public:
    static constexpr std::size_t max_candidates = 8;

    explicit FrameScanner(StreamFormat format); // mp3 or aac; generic/ogg: reports nothing

    // `data` continues the stream at absolute offset `stream_offset` (== total bytes fed
    // before). For every frame start found, calls on_frame(std::uint64_t offset, const
    // FrameInfo&); on_frame must not call back into this scanner. A stream_offset that does not
    // continue the previous feed is a discontinuity: the lock, candidates and carried bytes are
    // dropped.
    template <class F>
    void feed(std::span<const std::uint8_t> data, std::uint64_t stream_offset, F&& on_frame) {
        begin_feed(data, stream_offset);
        std::array<FoundFrame, batch_size> batch;
        for (;;) {
            bool done = false;
            const std::size_t n = scan(batch, done);
            for (std::size_t i = 0; i < n; ++i) {
                on_frame(batch[i].offset, std::as_const(batch[i].info));
            }
            if (done) {
                break;
            }
        }
    }

    [[nodiscard]] bool locked() const { return locked_; }
    // Frames reported since construction or reset().
    [[nodiscard]] std::uint64_t frames() const { return frames_; }
    void reset();

private:
    static constexpr std::size_t batch_size = 32;
    static constexpr std::size_t max_lookahead = 10; // an ID3v2 header; frame headers need 4/7
    static constexpr std::size_t stitch_data = 16;   // > max_lookahead, see begin_feed()

    struct FoundFrame {
        std::uint64_t offset = 0;
        FrameInfo info;
    };
    struct Header {
        FrameInfo info;
        std::uint32_t signature; // fields that must stay constant from frame to frame
    };
    struct Candidate {
        std::array<FoundFrame, 3> chain; // the candidate frame and its confirmations so far
        std::uint8_t length = 0;
        std::uint32_t signature = 0;
        std::uint64_t expect = 0; // where the next header must be
    };
    enum class Phase { stitch, data, done };
    enum class Step { advanced, need_more };

    void begin_feed(std::span<const std::uint8_t> data, std::uint64_t stream_offset);
    std::size_t scan(std::span<FoundFrame> out, bool& done);
    // Examines positions from next_pos_ while next_pos_ < limit. Returns false when the position
    // at next_pos_ needs bytes beyond the view.
    bool scan_view(const std::uint8_t* view, std::uint64_t view_offset, std::size_t view_size,
                   std::uint64_t limit);
    Step step_locked(const std::uint8_t* at, std::size_t avail);
    Step step_search(const std::uint8_t* at, std::size_t avail);
    std::optional<Header> parse_header(const std::uint8_t* at) const;
    void report(const FoundFrame& frame);
    void drop_lock();

    StreamFormat format_;
    std::size_t header_size_; // 4 (MPEG) or 7 (ADTS); 0 = scanner disabled

    std::uint64_t next_pos_ = 0; // absolute offset of the next byte to examine
    std::uint64_t fed_end_ = 0;  // absolute offset just past the last byte fed
    bool fresh_ = true;          // no feed since construction/reset
    bool locked_ = false;
    bool ever_locked_ = false;
    std::uint32_t signature_ = 0; // of the locked stream
    std::uint64_t frames_ = 0;

    std::array<Candidate, max_candidates> candidates_{};
    std::size_t candidate_count_ = 0;

    // Bytes [next_pos_, fed_end_) when a header straddles two feeds.
    std::array<std::uint8_t, max_lookahead - 1> carry_{};
    std::size_t carry_size_ = 0;

    // Per-feed cursor, so scan() can hand results to the template in batches.
    Phase phase_ = Phase::done;
    std::span<const std::uint8_t> data_;
    std::uint64_t data_offset_ = 0;
    std::array<std::uint8_t, max_lookahead - 1 + stitch_data> stitch_{};
    std::size_t stitch_size_ = 0;
    std::uint64_t stitch_offset_ = 0;
    std::span<FoundFrame> out_;
    std::size_t out_count_ = 0;
};

} // namespace tinyice::codec
