#include "protocol/http/ChunkedDecoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using namespace std::string_literals;
using tinyice::protocol::http::ChunkedDecoder;
using Status = ChunkedDecoder::Status;

namespace {

std::span<const std::uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct Result {
    Status status = Status::ok;
    std::string payload;
    std::size_t consumed = 0; // total over all feeds
};

// Feeds `wire` in two parts split at `split` (or in one piece when split >= size).
Result decode(std::string_view wire, std::size_t split = std::string_view::npos) {
    ChunkedDecoder decoder;
    Result r;
    auto sink = [&](std::span<const std::uint8_t> piece) {
        EXPECT_FALSE(piece.empty());
        r.payload.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    };
    split = std::min(split, wire.size());
    for (auto part : {wire.substr(0, split), wire.substr(split)}) {
        if (part.empty()) {
            continue;
        }
        r.status = decoder.feed(bytes(part), sink);
        r.consumed += decoder.consumed();
        if (r.status != Status::ok) {
            break;
        }
    }
    return r;
}

constexpr std::string_view liquidsoap_like =
    "5\r\nhello\r\n"
    "1;name=value;other\r\n,\r\n"
    "6 ; ext\r\n world\r\n"
    "A\nabcdefghij\n"             // bare LF line ends
    "0000000000000003\r\nxyz\r\n" // 16 digits with leading zeros
    "0\r\n"
    "X-Trailer: one\r\n"
    "Another: two\n"
    "\r\n";

TEST(ChunkedDecoder, DecodesWithExtensionsTrailersAndBareLf) {
    const auto r = decode(liquidsoap_like);
    EXPECT_EQ(r.status, Status::finished);
    EXPECT_EQ(r.payload, "hello, worldabcdefghijxyz");
    EXPECT_EQ(r.consumed, liquidsoap_like.size());
}

TEST(ChunkedDecoder, SplitAtEveryBytePosition) {
    for (std::size_t split = 0; split <= liquidsoap_like.size(); ++split) {
        const auto r = decode(liquidsoap_like, split);
        EXPECT_EQ(r.status, Status::finished) << split;
        EXPECT_EQ(r.payload, "hello, worldabcdefghijxyz") << split;
        EXPECT_EQ(r.consumed, liquidsoap_like.size()) << split;
    }
}

TEST(ChunkedDecoder, ByteAtATime) {
    ChunkedDecoder decoder;
    std::string payload;
    Status st = Status::ok;
    for (char c : liquidsoap_like) {
        st = decoder.feed(bytes(std::string_view(&c, 1)), [&](auto piece) {
            payload.append(reinterpret_cast<const char*>(piece.data()), piece.size());
        });
        EXPECT_EQ(decoder.consumed(), 1U);
    }
    EXPECT_EQ(st, Status::finished);
    EXPECT_EQ(payload, "hello, worldabcdefghijxyz");
}

TEST(ChunkedDecoder, PayloadIsDeliveredWithoutCopy) {
    const std::string wire = "4\r\nabcd\r\n";
    ChunkedDecoder decoder;
    const std::uint8_t* seen = nullptr;
    const auto in = bytes(wire);
    EXPECT_EQ(decoder.feed(in, [&](auto piece) { seen = piece.data(); }), Status::ok);
    EXPECT_EQ(seen, in.data() + 3);
}

TEST(ChunkedDecoder, BytesAfterTheLastChunkAreNotConsumed) {
    ChunkedDecoder decoder;
    const std::string_view wire = "2\r\nhi\r\n0\r\n\r\nNEXT REQUEST";
    std::string payload;
    EXPECT_EQ(decoder.feed(bytes(wire),
                           [&](auto p) {
                               payload.append(reinterpret_cast<const char*>(p.data()), p.size());
                           }),
              Status::finished);
    EXPECT_EQ(payload, "hi");
    EXPECT_EQ(wire.substr(decoder.consumed()), "NEXT REQUEST");
    // Still finished, still consumes nothing.
    EXPECT_EQ(decoder.feed(bytes("3\r\nabc\r\n"), [](auto) { FAIL(); }), Status::finished);
    EXPECT_EQ(decoder.consumed(), 0U);
}

TEST(ChunkedDecoder, EmptyBodyAndBareLfTerminator) {
    EXPECT_EQ(decode("0\r\n\r\n").status, Status::finished);
    EXPECT_EQ(decode("0\n\n").status, Status::finished);
    EXPECT_EQ(decode("0\r\n").status, Status::ok); // final empty line not yet seen
    EXPECT_EQ(decode("0;last\r\nTrailer: x\r\n").status, Status::ok);
}

TEST(ChunkedDecoder, UppercaseAndLowercaseHex) {
    const std::string data(0xaB, 'd');
    const auto r = decode("aB\r\n" + data + "\r\n0\r\n\r\n");
    EXPECT_EQ(r.status, Status::finished);
    EXPECT_EQ(r.payload, data);
}

TEST(ChunkedDecoder, MaximumChunkSizeAccepted) {
    ChunkedDecoder decoder;
    std::size_t got = 0;
    const std::string chunk(ChunkedDecoder::max_chunk_size, 'x');
    EXPECT_EQ(decoder.feed(bytes("1000000\r\n"), [&](auto p) { got += p.size(); }), Status::ok);
    EXPECT_EQ(decoder.feed(bytes(chunk), [&](auto p) { got += p.size(); }), Status::ok);
    EXPECT_EQ(decoder.feed(bytes("\r\n0\r\n\r\n"), [&](auto p) { got += p.size(); }),
              Status::finished);
    EXPECT_EQ(got, ChunkedDecoder::max_chunk_size);
}

TEST(ChunkedDecoder, Rejected) {
    const std::string cases[] = {
        "1000001\r\n",            // 16 MiB + 1
        "FFFFFFFFFFFFFFFFFF\r\n", // overflow attempt
        "00000000000000001\r\n",  // 17 digits, even with leading zeros
        "\r\n",                   // no size
        ";ext\r\n",               // no size
        "x\r\n",                  // not hex
        "-1\r\n",
        "0x10\r\n",
        "5\rhello\r\n",    // CR not followed by LF
        "5\r\nhelloX\r\n", // data longer than declared
        "5\r\nhello\rX",   // CR then garbage after data
        "5 5\r\n",         // whitespace inside the size
        "5;a\0b\r\n"s,     // control char in extension
        "0\r\n\rX",        // CR in the final line not followed by LF
    };
    for (std::string_view c : cases) {
        const auto r = decode(c);
        EXPECT_EQ(r.status, Status::error) << c;
    }
}

TEST(ChunkedDecoder, ExtensionAndTrailerLimits) {
    const std::string long_ext = "1;" + std::string(ChunkedDecoder::max_extension_bytes + 1, 'e');
    EXPECT_EQ(decode(long_ext + "\r\n").status, Status::error);
    const std::string ok_ext = "1;" + std::string(ChunkedDecoder::max_extension_bytes - 1, 'e');
    EXPECT_EQ(decode(ok_ext + "\r\nx\r\n").status, Status::ok);

    std::string trailers = "0\r\n";
    while (trailers.size() < ChunkedDecoder::max_trailer_bytes + 100) {
        trailers += "X-T: aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    }
    EXPECT_EQ(decode(trailers).status, Status::error);
}

TEST(ChunkedDecoder, ErrorIsStickyAndResetRecovers) {
    ChunkedDecoder decoder;
    EXPECT_EQ(decoder.feed(bytes("zz\r\n"), [](auto) {}), Status::error);
    EXPECT_EQ(decoder.feed(bytes("0\r\n\r\n"), [](auto) {}), Status::error);
    decoder.reset();
    EXPECT_EQ(decoder.feed(bytes("0\r\n\r\n"), [](auto) {}), Status::finished);
}

} // namespace
