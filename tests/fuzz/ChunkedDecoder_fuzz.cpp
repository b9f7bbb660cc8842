// Fuzzes the chunked body decoder two ways: (1) arbitrary bytes decoded in one feed and in
// seeded fragments must give the same payload, status and consumed count; (2) the input used
// as a payload, chunk-encoded with seeded sizes / extensions / line ends / trailers, must
// decode back to itself.

#include "protocol/http/ChunkedDecoder.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

using tinyice::protocol::http::ChunkedDecoder;
using Status = ChunkedDecoder::Status;

namespace {

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

struct Decoded {
    Status status = Status::ok;
    std::string payload;
    std::size_t consumed = 0;
};

Decoded decode(std::span<const std::uint8_t> in, std::uint32_t seed, bool fragment) {
    ChunkedDecoder decoder;
    Decoded out;
    std::size_t offset = 0;
    while (offset < in.size()) {
        std::size_t piece = in.size() - offset;
        if (fragment) {
            seed = seed * 1103515245U + 12345U;
            piece = std::min<std::size_t>(1 + (seed >> 16U) % 23, piece);
        }
        const auto part = in.subspan(offset, piece);
        out.status = decoder.feed(part, [&](std::span<const std::uint8_t> p) {
            FUZZ_CHECK(!p.empty());
            // Zero-copy: every payload span lies inside the fed part.
            FUZZ_CHECK(p.data() >= part.data() && p.data() + p.size() <= part.data() + part.size());
            out.payload.append(reinterpret_cast<const char*>(p.data()), p.size());
        });
        FUZZ_CHECK(decoder.consumed() <= piece);
        out.consumed += decoder.consumed();
        if (out.status != Status::ok) {
            break;
        }
        FUZZ_CHECK(decoder.consumed() == piece);
        offset += piece;
    }
    FUZZ_CHECK(out.payload.size() <= out.consumed);
    return out;
}

std::string encode(std::span<const std::uint8_t> payload, std::uint32_t seed) {
    std::string out;
    std::size_t offset = 0;
    auto next = [&seed] {
        seed = seed * 1103515245U + 12345U;
        return seed >> 16U;
    };
    auto eol = [&] {
        return (next() & 1U) ? "\r\n" : "\n";
    };
    while (offset < payload.size()) {
        const std::size_t n = std::min<std::size_t>(1 + next() % 300, payload.size() - offset);
        char size[32];
        std::snprintf(size, sizeof size, (next() & 1U) ? "%zx" : "%zX", n);
        out += size;
        if (next() % 4 == 0) {
            out += " ;ext=\"v\";x";
        }
        out += eol();
        out.append(reinterpret_cast<const char*>(payload.data() + offset), n);
        out += eol();
        offset += n;
    }
    out += "0";
    out += eol();
    if (next() % 3 == 0) {
        out += "X-Checksum: abc";
        out += eol();
    }
    out += eol();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const std::uint32_t seed = data[0];
    const std::span<const std::uint8_t> in(data + 1, size - 1);

    const auto whole = decode(in, seed, false);
    const auto pieces = decode(in, seed, true);
    FUZZ_CHECK(whole.status == pieces.status);
    FUZZ_CHECK(whole.payload == pieces.payload);
    FUZZ_CHECK(whole.consumed == pieces.consumed);
    if (whole.status == Status::ok) {
        FUZZ_CHECK(whole.consumed == in.size());
    }

    const auto wire = encode(in, seed);
    const std::span<const std::uint8_t> wire_bytes(
        reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size());
    const auto round = decode(wire_bytes, seed ^ 0x5aU, true);
    FUZZ_CHECK(round.status == Status::finished);
    FUZZ_CHECK(round.consumed == wire.size());
    FUZZ_CHECK(round.payload.size() == in.size() &&
               std::equal(in.begin(), in.end(), round.payload.begin(), [](std::uint8_t a, char b) {
                   return a == static_cast<std::uint8_t>(b);
               }));
    return 0;
}
