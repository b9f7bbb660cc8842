// Fuzzes the live-stream decoder the transcoder runs on whatever a source sends: the first byte
// picks the input format (MP3, AAC/ADTS or Ogg), the next ones size the pieces the rest is fed
// in. FFmpeg's parsers and decoders sit behind it, so this also checks that our framing (ADTS
// and MP3 parsers, Ogg packet reassembly and chain handling) never hands them anything that
// crashes, and that memory stays bounded. Also fuzzes the ReplayGain/R128 tag parsers.

#include "codec/ReplayGain.hpp"
#include "codec/StreamDecoder.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

using namespace tinyice::codec;

namespace {

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

void fuzz_tags(std::string_view text) {
    if (auto g = parse_replaygain_gain(text)) {
        check(std::isfinite(*g) && std::fabs(*g) <= 60);
    }
    if (auto p = parse_replaygain_peak(text)) {
        check(std::isfinite(*p) && *p >= 0 && *p <= 100);
    }
    if (auto r = parse_r128_gain(text)) {
        check(std::isfinite(*r));
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    fuzz_tags(std::string_view(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 64)));
    static constexpr StreamFormat formats[] = {StreamFormat::mp3, StreamFormat::aac,
                                               StreamFormat::ogg};
    const StreamFormat format = formats[data[0] % 3];
    const std::size_t piece = 1 + data[1] * 17;
    std::span<const std::uint8_t> rest(data + 2, size - 2);

    auto decoder = StreamDecoder::create(format, PcmFormat{44100, 2});
    std::vector<float> pcm;
    while (!rest.empty()) {
        const std::size_t n = std::min(piece, rest.size());
        decoder->feed(rest.first(n), pcm);
        rest = rest.subspan(n);
        check(pcm.size() % 2 == 0);
        // Bounded output: no frame of any of these codecs decodes to more than a few thousand
        // samples per input byte-run; a runaway would show up as gigabytes here.
        check(pcm.size() < 64 * 1024 * 1024);
        for (float s : pcm) {
            check(std::isfinite(s));
        }
        pcm.clear();
    }
    decoder->reset();
    decoder->feed(std::span<const std::uint8_t>(data, size), pcm);
    return 0;
}
