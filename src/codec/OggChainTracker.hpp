#pragma once
// Classifies the pages of a (possibly chained, possibly multiplexed) Ogg stream, so the server
// can replay the current chain's header pages to late joiners and knows where a listener may
// start (docs/icecast-protocol.md 3.2, 3.4).
//
// The rule:
//  * A BOS page that follows a non-BOS page (or is the first page) starts a new chain; the BOS
//    pages that follow it directly are the other logical streams of that chain. Each BOS page
//    names its stream's codec from its first packet.
//  * After the BOS pages, a page of one of the chain's streams is a header page while that
//    stream's header packets are not all complete. Completed packets are counted from the
//    lacing values, so a header packet spanning pages (a Vorbis setup header, a comment with
//    cover art) is handled. Header packets per codec: Vorbis 3, Theora 3, Opus 2, Speex
//    2 + extra_headers, FLAC 1 + the count in its first packet; Skeleton streams end their
//    headers with their EOS page. For codecs without a count (unknown, FLAC with count 0) a page
//    is a header page while its granule position is 0, or -1 with no packet ending on it.
//  * The first page of the chain that is not a header page is `first_audio`: the chain's header
//    set is complete and is published (header_pages(), codecs(), comments()). Every later page
//    until the next chain's BOS is `audio`. Headers of a multiplexed stream arriving after
//    another stream's audio (which RFC 3533 forbids) are not added.
//  * Pages with a serial not announced by the chain's BOS pages, seen while headers are being
//    collected, are classified `header` but not added to the header set.
//  * Pages before the first BOS page (a stream joined mid-chain) are `audio`, with an empty
//    header set and chains() == 0.
//  * The header set is capped (max_header_bytes); a chain whose headers exceed it publishes an
//    empty header set (late joiners cannot decode that chain, nothing else breaks).
//
// on_page() is O(1) for audio pages and does not allocate; the header phase appends to vectors
// whose capacity is kept across chains.

#include "codec/OggComments.hpp"
#include "codec/OggPage.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::codec {

class OggChainTracker {
public:
    enum class PageKind { header, first_audio, audio };

    static constexpr std::size_t max_comment_packet = std::size_t{256} * 1024;
    static constexpr std::size_t default_max_header_bytes = std::size_t{4} * 1024 * 1024;
    static constexpr std::size_t max_streams = 16; // logical streams per chain

    explicit OggChainTracker(std::size_t max_header_bytes = default_max_header_bytes);

    // Feed each complete page in stream order.
    PageKind on_page(const OggPageView& page);

    // The published chain, valid from its first_audio page until the next chain's first_audio:
    // the concatenated bytes of its header pages (BOS pages first, as they arrived).
    [[nodiscard]] const std::vector<std::uint8_t>& header_pages() const {
        return current_.header_pages;
    }
    // Codec names joined by '/', last BOS first (as Icecast lists them): "Opus", "Vorbis/Theora".
    [[nodiscard]] std::string codecs() const;
    // From the first comment packet of the chain that parsed; nullopt if none did or it was
    // larger than max_comment_packet.
    [[nodiscard]] const std::optional<OggComments>& comments() const { return current_.comments; }
    // Number of chains whose headers completed (first_audio pages seen).
    [[nodiscard]] std::uint64_t chains() const { return chains_; }

private:
    enum class Phase { none, headers, audio };

    struct StreamState {
        std::uint32_t serial = 0;
        std::string_view codec;
        std::uint32_t header_packets = 0; // 0: decide by granule position
        bool ends_with_eos = false;       // Skeleton
        std::uint32_t packets_done = 0;   // packets completed so far
        bool in_packet = false;           // the last page ended mid-packet
        bool collecting = false;          // this packet is the comment packet being collected
        bool complete = false;
    };

    struct ChainHeaders {
        std::vector<std::uint8_t> header_pages;
        std::array<std::string_view, max_streams> codecs{};
        std::size_t codec_count = 0;
        std::optional<OggComments> comments;
        bool oversize = false;
    };

    void start_chain();
    void add_stream(const OggPageView& page);
    void append_page(const OggPageView& page);
    void walk_packets(StreamState& stream, const OggPageView& page);
    [[nodiscard]] bool wants_comment_packet(const StreamState& stream,
                                            std::span<const std::uint8_t> first) const;
    void finish_comment_packet(const StreamState& stream);
    void publish();
    StreamState* find_stream(std::uint32_t serial);

    std::size_t max_header_bytes_;
    Phase phase_ = Phase::none;
    bool last_was_bos_ = false;
    std::uint64_t chains_ = 0;

    std::array<StreamState, max_streams> streams_{};
    std::size_t stream_count_ = 0;

    ChainHeaders pending_; // the chain whose headers are being collected
    ChainHeaders current_; // the published chain

    std::vector<std::uint8_t> comment_packet_;
    bool comment_too_big_ = false;
};

} // namespace tinyice::codec
