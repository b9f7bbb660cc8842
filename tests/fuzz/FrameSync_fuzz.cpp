// Fuzzes FrameScanner (MP3 and ADTS): the input after the first byte is the stream, fed in
// pieces whose sizes derive from the first byte. Oracles: offsets strictly increase, are never
// beyond the bytes fed, their headers parse, and the result does not depend on the piecing.

#include "codec/FrameSync.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

namespace {

using tinyice::codec::FrameInfo;
using tinyice::codec::FrameScanner;
using tinyice::codec::StreamFormat;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

std::vector<std::uint64_t> run(StreamFormat format, std::span<const std::uint8_t> stream,
                               std::uint8_t piece_seed) {
    FrameScanner scanner(format);
    std::vector<std::uint64_t> offsets;
    std::uint32_t rng = piece_seed * 2654435761U + 1;
    const std::size_t max_piece = piece_seed == 0 ? stream.size() + 1 : piece_seed;
    std::uint64_t offset = 0;
    while (offset < stream.size()) {
        rng = rng * 1664525U + 1013904223U;
        const std::size_t n =
            std::min<std::size_t>(stream.size() - offset, 1 + (rng >> 8) % max_piece);
        const std::uint64_t fed_end = offset + n;
        scanner.feed(stream.subspan(offset, n), offset,
                     [&](std::uint64_t at, const FrameInfo& info) {
                         check(offsets.empty() || at > offsets.back());
                         check(at < fed_end);
                         check(info.frame_bytes > 0 && info.sample_rate > 0 && info.samples > 0);
                         const auto header = stream.subspan(at);
                         const auto parsed = format == StreamFormat::mp3
                                                 ? tinyice::codec::parse_mpeg_audio_header(header)
                                                 : tinyice::codec::parse_adts_header(header);
                         check(parsed.has_value() && parsed->frame_bytes == info.frame_bytes);
                         offsets.push_back(at);
                     });
        offset += n;
    }
    check(scanner.frames() == offsets.size());
    return offsets;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::span<const std::uint8_t> stream(data + 1, size - 1);
    for (const auto format : {StreamFormat::mp3, StreamFormat::aac}) {
        const auto pieces = run(format, stream, data[0]);
        const auto whole = run(format, stream, 0);
        check(pieces == whole);
    }
    (void)tinyice::codec::parse_mpeg_audio_header(stream);
    (void)tinyice::codec::parse_adts_header(stream);
    return 0;
}
