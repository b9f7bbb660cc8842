#include "codec/OggChainTracker.hpp"

#include "codec/CodecTestUtil.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

namespace tinyice::codec {
namespace {

using test::Bytes;
using Kind = OggChainTracker::PageKind;
constexpr Kind H = Kind::header;
constexpr Kind F = Kind::first_audio;
constexpr Kind A = Kind::audio;

struct Chain {
    std::uint64_t offset; // of its first_audio page
    Bytes headers;
    std::string codecs;
    std::optional<OggComments> comments;
    std::string title() const { return comments ? comments->display_title() : "<none>"; }
};

struct Tracked {
    std::vector<Kind> kinds;
    std::vector<std::uint64_t> offsets;
    std::vector<Chain> chains;
};

// What the server does: feed pages, and on every first_audio record the header set.
Tracked track(std::span<const std::uint8_t> stream, OggChainTracker& tracker) {
    Tracked run;
    OggPageReader reader;
    reader.feed(stream, [&](std::uint64_t offset, const OggPageView& page) {
        const Kind kind = tracker.on_page(page);
        run.kinds.push_back(kind);
        run.offsets.push_back(offset);
        if (kind == F) {
            run.chains.push_back(
                {offset, tracker.header_pages(), tracker.codecs(), tracker.comments()});
            EXPECT_EQ(tracker.chains(), run.chains.size());
        }
    });
    return run;
}

Tracked track(std::span<const std::uint8_t> stream) {
    OggChainTracker tracker;
    return track(stream, tracker);
}

Bytes slice(const Bytes& b, std::uint64_t from, std::uint64_t to) {
    return {b.begin() + static_cast<std::ptrdiff_t>(from),
            b.begin() + static_cast<std::ptrdiff_t>(to)};
}

// Decodes `stream` with ffmpeg; returns its complaints ("" = clean), or nullopt without ffmpeg.
std::optional<std::string> ffmpeg_decode(const Bytes& stream, std::string* codec = nullptr) {
    if (!test::have_ffprobe()) {
        return std::nullopt;
    }
    const auto path = std::filesystem::temp_directory_path() /
                      ("tinyice_codec_" + std::to_string(::getpid()) + ".ogg");
    {
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(stream.data()),
                  static_cast<std::streamsize>(stream.size()));
    }
    std::string output;
    const int status = test::run_command(
        "ffmpeg -nostdin -v error -i '" + path.string() + "' -f null - 2>&1", &output);
    if (status != 0) {
        output += "(exit status " + std::to_string(status) + ")";
    }
    if (codec != nullptr) {
        test::run_command("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 '" +
                              path.string() + "'",
                          codec);
    }
    std::filesystem::remove(path);
    return output;
}

Bytes comment_packet(std::string_view prefix, const std::vector<std::string>& entries) {
    Bytes out(prefix.begin(), prefix.end());
    const auto put = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) {
            out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
        }
    };
    put(4);
    out.insert(out.end(), {'t', 'e', 's', 't'});
    put(static_cast<std::uint32_t>(entries.size()));
    for (const auto& e : entries) {
        put(static_cast<std::uint32_t>(e.size()));
        out.insert(out.end(), e.begin(), e.end());
    }
    return out;
}

TEST(OggChainTracker, OpusFromFfmpeg) {
    const Bytes file = test::read_fixture("sine.opus");
    OggChainTracker tracker;
    EXPECT_TRUE(tracker.header_pages().empty());
    EXPECT_EQ(tracker.chains(), 0U);
    const Tracked run = track(file, tracker);
    EXPECT_EQ(run.kinds, (std::vector<Kind>{H, H, F, A}));
    ASSERT_EQ(run.chains.size(), 1U);
    EXPECT_EQ(run.chains[0].offset, 172U);
    EXPECT_EQ(run.chains[0].headers, slice(file, 0, 172));
    EXPECT_EQ(run.chains[0].codecs, "Opus");
    EXPECT_EQ(run.chains[0].title(), "Artist A - Tone A");
}

TEST(OggChainTracker, ChainedOpusGivesTwoHeaderSets) {
    const Bytes file = test::read_fixture("chained.opus"); // two ffmpeg files concatenated
    const Bytes first = test::read_fixture("sine.opus");
    OggChainTracker tracker;
    const auto pages = test::read_pages(file);
    ASSERT_EQ(pages.size(), 8U);
    std::vector<Kind> kinds;
    for (std::size_t i = 0; i < pages.size(); ++i) {
        kinds.push_back(tracker.on_page(pages[i].view()));
        if (i == 5) {
            // The second chain's headers are in, but until its first audio page listeners of
            // the first chain still need the first set.
            EXPECT_EQ(tracker.header_pages(), slice(first, 0, 172));
            EXPECT_EQ(tracker.comments()->title(), "Tone A");
            EXPECT_EQ(tracker.chains(), 1U);
        }
    }
    EXPECT_EQ(kinds, (std::vector<Kind>{H, H, F, A, H, H, F, A}));
    EXPECT_EQ(tracker.chains(), 2U);
    EXPECT_EQ(tracker.header_pages(), slice(file, first.size(), pages[6].offset));
    EXPECT_EQ(tracker.comments()->display_title(), "Artist B - Tone B");
    EXPECT_EQ(tracker.codecs(), "Opus");

    const Tracked run = track(file);
    ASSERT_EQ(run.chains.size(), 2U);
    EXPECT_EQ(run.chains[0].title(), "Artist A - Tone A");
    EXPECT_EQ(run.chains[1].title(), "Artist B - Tone B");
    EXPECT_EQ(run.chains[1].offset, pages[6].offset);
}

TEST(OggChainTracker, LiquidsoapChains) {
    for (const char* name : {"liquidsoap.opus", "liquidsoap.ogg"}) {
        SCOPED_TRACE(name);
        const Bytes file = test::read_fixture(name);
        const Tracked run = track(file);
        EXPECT_EQ(run.kinds, (std::vector<Kind>{H, H, F, H, H, F, H, H, F}));
        ASSERT_EQ(run.chains.size(), 3U);
        EXPECT_EQ(run.chains[1].title(), "LS Artist - LS One");
        EXPECT_EQ(run.chains[2].title(), "LS Artist - LS Two");
        const std::string codec = std::string_view(name).ends_with(".opus") ? "Opus" : "Vorbis";
        for (std::size_t i = 0; i < 3; ++i) {
            EXPECT_EQ(run.chains[i].codecs, codec);
            // Each set is exactly the two header pages before that chain's audio page.
            EXPECT_EQ(run.chains[i].headers,
                      slice(file, run.offsets[3 * i], run.offsets[3 * i + 2]));
            // A listener joining at this chain: its header set, then the chain's audio. (Only
            // up to the next chain: ffmpeg 5.1 itself chokes on these chained files.)
            const std::uint64_t chain_end = i + 1 < 3 ? run.offsets[3 * i + 3] : file.size();
            Bytes joiner = run.chains[i].headers;
            test::append(joiner, slice(file, run.chains[i].offset, chain_end));
            // ffmpeg 5.1 rejects liquidsoap's Opus pages (empty packets), so decode only Vorbis.
            if (codec == "Vorbis") {
                if (auto errors = ffmpeg_decode(joiner)) {
                    EXPECT_EQ(*errors, "");
                }
            }
        }
    }
}

TEST(OggChainTracker, VorbisHeaderSetDecodes) {
    const Bytes file = test::read_fixture("sine.ogg");
    const Tracked run = track(file);
    EXPECT_EQ(run.kinds, (std::vector<Kind>{H, H, F, A}));
    ASSERT_EQ(run.chains.size(), 1U);
    const Chain& chain = run.chains[0];
    EXPECT_EQ(chain.codecs, "Vorbis");
    EXPECT_EQ(chain.title(), "VA - Vorbis Tone");
    // The three Vorbis header packets, and nothing else, are in the set.
    const auto packets = test::read_packets(chain.headers);
    ASSERT_EQ(packets.size(), 3U);
    EXPECT_EQ(packets[0].data[0], 1);
    EXPECT_EQ(packets[1].data[0], 3);
    EXPECT_EQ(packets[2].data[0], 5);
    // A late joiner starting at the last audio page.
    Bytes joiner = chain.headers;
    joiner.insert(joiner.end(), file.begin() + static_cast<std::ptrdiff_t>(run.offsets[3]),
                  file.end());
    std::string codec;
    if (auto errors = ffmpeg_decode(joiner, &codec)) {
        EXPECT_EQ(*errors, "");
        EXPECT_EQ(codec, "vorbis\n");
    }
}

TEST(OggChainTracker, VorbisHeadersSpanningPages) {
    // Re-page sine.ogg the way libogg does with small pages: the setup header runs over several
    // pages, the middle ones with granule -1.
    const auto packets = test::read_packets(test::read_fixture("sine.ogg"));
    ASSERT_GT(packets.size(), 10U);
    test::OggWriter writer(0x1234, 700);
    writer.packet(packets[0].data, 0);
    writer.flush();
    writer.packet(packets[1].data, 0);
    writer.packet(packets[2].data, 0);
    writer.flush();
    const std::size_t header_page_count = writer.page_offsets().size();
    ASSERT_GE(header_page_count, 6U);
    for (std::size_t i = 3; i < packets.size(); ++i) {
        writer.packet(packets[i].data, packets[i].granule);
        if (i % 8 == 0) {
            writer.flush();
        }
    }
    writer.flush(true);
    const Bytes& stream = writer.out();
    const auto& page_offsets = writer.page_offsets();
    bool saw_no_granule = false;
    for (const auto& p : test::read_pages(stream)) {
        saw_no_granule = saw_no_granule || p.view().granule == -1;
    }
    EXPECT_TRUE(saw_no_granule);

    const Tracked run = track(stream);
    ASSERT_EQ(run.kinds.size(), page_offsets.size());
    for (std::size_t i = 0; i < run.kinds.size(); ++i) {
        const Kind want = i < header_page_count ? H : i == header_page_count ? F : A;
        EXPECT_EQ(run.kinds[i], want) << "page " << i;
    }
    ASSERT_EQ(run.chains.size(), 1U);
    EXPECT_EQ(run.chains[0].headers, slice(stream, 0, page_offsets[header_page_count]));
    EXPECT_EQ(run.chains[0].title(), "VA - Vorbis Tone");

    // Decodes from the start, and for a joiner starting at every 5th audio page.
    if (auto errors = ffmpeg_decode(stream)) {
        EXPECT_EQ(*errors, "");
    }
    for (std::size_t i = header_page_count; i < page_offsets.size(); i += 5) {
        Bytes joiner = run.chains[0].headers;
        joiner.insert(joiner.end(), stream.begin() + static_cast<std::ptrdiff_t>(page_offsets[i]),
                      stream.end());
        if (auto errors = ffmpeg_decode(joiner)) {
            EXPECT_EQ(*errors, "") << "joining at page " << i;
        }
    }
}

TEST(OggChainTracker, TheoraVorbisMultiplex) {
    const Bytes file = test::read_fixture("theora_vorbis.ogv");
    const Tracked run = track(file);
    // BOS theora, BOS vorbis, theora comment+setup, vorbis comment+setup, then data.
    EXPECT_EQ(run.kinds, (std::vector<Kind>{H, H, H, H, F, A, A}));
    ASSERT_EQ(run.chains.size(), 1U);
    EXPECT_EQ(run.chains[0].codecs, "Vorbis/Theora");
    EXPECT_EQ(run.chains[0].headers, slice(file, 0, run.offsets[4]));
    EXPECT_EQ(run.chains[0].title(), "AV");
}

TEST(OggChainTracker, FlacAndSpeex) {
    for (const auto& [name, codec, title] : {std::tuple{"sine.oga", "FLAC", "Flac Tone"},
                                             std::tuple{"sine.spx", "Speex", "Speex Tone"}}) {
        SCOPED_TRACE(name);
        const Bytes file = test::read_fixture(name);
        const Tracked run = track(file);
        EXPECT_EQ(run.kinds, (std::vector<Kind>{H, H, F}));
        ASSERT_EQ(run.chains.size(), 1U);
        EXPECT_EQ(run.chains[0].codecs, codec);
        EXPECT_EQ(run.chains[0].title(), title);
        EXPECT_EQ(run.chains[0].headers, slice(file, 0, run.offsets[2]));
    }
}

// Opus with a comment packet of `tag_bytes` of cover art, re-paged into 4 KB pages.
Bytes opus_with_cover_art(std::size_t tag_bytes, std::size_t* header_pages) {
    const auto packets = test::read_packets(test::read_fixture("sine.opus"));
    test::OggWriter writer(99, 4096);
    writer.packet(packets[0].data, 0);
    writer.flush();
    writer.packet(
        comment_packet("OpusTags", {"TITLE=Big", "X_PADDING=" + std::string(tag_bytes, 'A')}), 0);
    writer.flush();
    *header_pages = writer.page_offsets().size();
    for (std::size_t i = 2; i < packets.size(); ++i) {
        writer.packet(packets[i].data, packets[i].granule);
    }
    writer.flush(true);
    return writer.out();
}

TEST(OggChainTracker, LargeCommentPacketIsParsed) {
    std::size_t header_pages = 0;
    const Bytes stream = opus_with_cover_art(200 * 1024, &header_pages);
    const Tracked run = track(stream);
    ASSERT_EQ(run.chains.size(), 1U);
    EXPECT_EQ(run.kinds[header_pages - 1], H);
    EXPECT_EQ(run.kinds[header_pages], F);
    EXPECT_EQ(run.chains[0].headers.size(), run.offsets[header_pages]);
    EXPECT_EQ(run.chains[0].title(), "Big");
}

TEST(OggChainTracker, OversizedCommentPacketIsIgnored) {
    std::size_t header_pages = 0;
    const Bytes stream = opus_with_cover_art(300 * 1024, &header_pages);
    const Tracked run = track(stream);
    ASSERT_EQ(run.chains.size(), 1U);
    EXPECT_EQ(run.kinds[header_pages], F);
    EXPECT_EQ(run.chains[0].headers, slice(stream, 0, run.offsets[header_pages]));
    EXPECT_FALSE(run.chains[0].comments.has_value());
    EXPECT_EQ(run.chains[0].codecs, "Opus");
    if (auto errors = ffmpeg_decode(stream)) {
        EXPECT_EQ(*errors, "");
    }
}

TEST(OggChainTracker, HeaderSetOverTheCapIsDropped) {
    const Bytes file = test::read_fixture("chained.opus");
    OggChainTracker tracker(100); // smaller than OpusHead + OpusTags pages
    const Tracked run = track(file, tracker);
    EXPECT_EQ(run.kinds, (std::vector<Kind>{H, H, F, A, H, H, F, A}));
    ASSERT_EQ(run.chains.size(), 2U);
    EXPECT_TRUE(run.chains[0].headers.empty());
    EXPECT_EQ(run.chains[1].title(), "Artist B - Tone B"); // still read
}

TEST(OggChainTracker, JoinedMidChain) {
    const Bytes file = test::read_fixture("chained.opus");
    const auto pages = test::read_pages(file);
    OggChainTracker tracker;
    EXPECT_EQ(tracker.on_page(pages[2].view()), A);
    EXPECT_EQ(tracker.on_page(pages[3].view()), A);
    EXPECT_TRUE(tracker.header_pages().empty());
    EXPECT_FALSE(tracker.comments().has_value());
    EXPECT_EQ(tracker.codecs(), "");
    EXPECT_EQ(tracker.chains(), 0U);
    EXPECT_EQ(tracker.on_page(pages[4].view()), H);
    EXPECT_EQ(tracker.on_page(pages[5].view()), H);
    EXPECT_EQ(tracker.on_page(pages[6].view()), F);
    EXPECT_EQ(tracker.chains(), 1U);
    EXPECT_EQ(tracker.comments()->title(), "Tone B");
}

TEST(OggChainTracker, UnknownCodecUsesGranulePositions) {
    test::OggWriter writer(5, 300);
    writer.packet(test::bytes_of("NewCodec id header"), 0);
    writer.flush();
    writer.packet(Bytes(1000, 'h'), 0); // a header packet over 4 pages: granule -1, -1, -1, 0
    writer.flush();
    const std::size_t headers = writer.page_offsets().size();
    for (int i = 0; i < 10; ++i) {
        writer.packet(Bytes(100, 'a'), 480 * (i + 1));
        writer.flush();
    }
    const Tracked run = track(writer.out());
    ASSERT_EQ(headers, 5U);
    EXPECT_EQ(run.kinds, (std::vector<Kind>{H, H, H, H, H, F, A, A, A, A, A, A, A, A, A}));
    ASSERT_EQ(run.chains.size(), 1U);
    EXPECT_EQ(run.chains[0].codecs, "");
    EXPECT_EQ(run.chains[0].headers.size(), writer.page_offsets()[headers]);
}

TEST(OggChainTracker, SkeletonAndStrayPages) {
    // Skeleton (fishead BOS, fisbone, EOS) multiplexed with Opus, plus a page from a serial no
    // BOS announced.
    using namespace std::string_view_literals;
    const auto opus = test::read_packets(test::read_fixture("sine.opus"));
    test::OggWriter skeleton(1, 4096);
    skeleton.packet(test::bytes_of("fishead\0\3\0\0\0"sv), 0);
    skeleton.flush();
    skeleton.packet(test::bytes_of("fisbone\0 ..."sv), 0);
    skeleton.flush();
    skeleton.flush(true);
    test::OggWriter audio(2, 4096);
    audio.packet(opus[0].data, 0);
    audio.flush();
    audio.packet(opus[1].data, 0);
    audio.flush();
    audio.packet(opus[2].data, 960);
    audio.flush();
    test::OggWriter stray(3, 4096);
    stray.packet(Bytes(10, 's'), 0);
    stray.flush();
    stray.packet(Bytes(10, 's'), 0);
    stray.flush();
    const auto s = test::read_pages(skeleton.out());
    const auto a = test::read_pages(audio.out());
    const auto x = test::read_pages(stray.out());
    ASSERT_EQ(s.size(), 3U);
    Bytes stream;
    Bytes expected_headers;
    for (const auto* p : {&s[0], &a[0], &s[1], &a[1], &x[1], &s[2]}) {
        test::append(stream, p->bytes);
        if (p != &x[1]) {
            test::append(expected_headers, p->bytes);
        }
    }
    test::append(stream, a[2].bytes);
    const Tracked run = track(stream);
    EXPECT_EQ(run.kinds, (std::vector<Kind>{H, H, H, H, H, H, F}));
    ASSERT_EQ(run.chains.size(), 1U);
    EXPECT_EQ(run.chains[0].codecs, "Opus/Skeleton");
    EXPECT_EQ(run.chains[0].headers, expected_headers);
    EXPECT_EQ(run.chains[0].title(), "Artist A - Tone A");
}

TEST(OggChainTracker, LostCommentPageDoesNotBreakAnything) {
    const Bytes file = test::read_fixture("chained.opus");
    const auto pages = test::read_pages(file);
    OggChainTracker tracker;
    for (std::size_t i = 0; i < pages.size(); ++i) {
        if (i != 5) {
            tracker.on_page(pages[i].view());
        }
    }
    EXPECT_GE(tracker.chains(), 1U);
}

} // namespace
} // namespace tinyice::codec
