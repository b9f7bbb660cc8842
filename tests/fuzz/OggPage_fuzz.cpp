// Fuzzes the Ogg path: OggPageReader (input after the first byte, fed in pieces sized from the
// first byte) -> OggChainTracker, plus the comment and codec parsers on the raw input. Oracles:
// pages are CRC-valid, contiguous with the skipped bytes, and independent of the piecing.

#include "codec/OggChainTracker.hpp"
#include "codec/OggComments.hpp"
#include "codec/OggPage.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

namespace {

using namespace tinyice::codec;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

struct Result {
    std::vector<std::uint64_t> offsets;
    std::vector<OggChainTracker::PageKind> kinds;
    std::uint64_t skipped = 0;
    std::uint64_t chains = 0;
    std::uint64_t page_bytes = 0;
};

Result run(std::span<const std::uint8_t> stream, std::uint8_t piece_seed) {
    Result r;
    OggPageReader reader;
    OggChainTracker tracker(8192); // small cap so the fuzzer reaches the oversize path
    std::uint64_t expected_next = 0;
    std::uint32_t rng = piece_seed * 2654435761U + 1;
    const std::size_t max_piece = piece_seed == 0 ? stream.size() + 1 : std::size_t{piece_seed} * 8;
    std::uint64_t offset = 0;
    while (offset < stream.size()) {
        rng = rng * 1664525U + 1013904223U;
        const std::size_t n =
            std::min<std::size_t>(stream.size() - offset, 1 + (rng >> 8) % max_piece);
        reader.feed(stream.subspan(offset, n), [&](std::uint64_t at, const OggPageView& page) {
            check(at >= expected_next);
            check(page.bytes.size() == 27 + page.segment_table.size() + page.body.size());
            check(std::equal(page.bytes.begin(), page.bytes.end(),
                             stream.begin() + static_cast<std::ptrdiff_t>(at)));
            expected_next = at + page.bytes.size();
            r.offsets.push_back(at);
            r.page_bytes += page.bytes.size();
            const auto kind = tracker.on_page(page);
            r.kinds.push_back(kind);
            if (kind == OggChainTracker::PageKind::first_audio) {
                const auto& headers = tracker.header_pages();
                check(headers.size() <= 8192);
                (void)tracker.codecs();
                if (const auto& comments = tracker.comments()) {
                    (void)comments->display_title();
                }
            }
        });
        offset += n;
    }
    r.skipped = reader.skipped_bytes();
    r.chains = tracker.chains();
    // Everything before the reader's position was either a page or skipped.
    check(r.page_bytes + r.skipped == reader.offset());
    check(reader.offset() <= stream.size());
    return r;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::span<const std::uint8_t> stream(data + 1, size - 1);
    const Result pieces = run(stream, data[0]);
    const Result whole = run(stream, 0);
    check(pieces.offsets == whole.offsets);
    check(pieces.kinds == whole.kinds);
    check(pieces.skipped == whole.skipped);
    check(pieces.chains == whole.chains);

    if (auto comments = parse_comment_packet(stream)) {
        (void)comments->display_title();
        (void)comments->get("title");
    }
    (void)parse_vorbis_comment(stream);
    (void)codec_from_first_packet(stream);
    std::size_t consumed = 0;
    OggPageView view;
    if (parse_ogg_page(stream, consumed, view) == OggParseStatus::garbage) {
        check(consumed >= 1 && consumed <= stream.size());
    }
    return 0;
}
