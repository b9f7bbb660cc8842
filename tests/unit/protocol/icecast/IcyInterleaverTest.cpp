#include "protocol/icecast/IcyInterleaver.hpp"

#include "protocol/icecast/IcyMetadata.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace tinyice::protocol::icecast {
namespace {

using namespace std::string_literals;

std::span<const std::uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string flatten(std::span<const iovec> iov) {
    std::string out;
    for (const auto& v : iov) {
        out.append(static_cast<const char*>(v.iov_base), v.iov_len);
    }
    return out;
}

std::string audio_pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    }
    return s;
}

// Drives one interleaver like a listener session would and checks the bytes it produced
// against a reference model of the ICY stream.
class Harness {
public:
    Harness(std::uint32_t metaint, std::size_t audio_size)
        : metaint_(metaint), icy_(metaint), source_(audio_pattern(audio_size)) {
        set_meta(1);
    }

    void set_meta(std::uint64_t id) {
        id_ = id;
        blocks_.try_emplace(
            id, render_icy_block("Title number " + std::to_string(id) + std::string(id % 40, '+')));
    }
    IcyInterleaver& icy() { return icy_; }
    [[nodiscard]] bool done() const { return cursor_ == source_.size(); }

    // One writev: `window` audio bytes from the ring in two pieces split at `split`, at most
    // `iov_count` iovecs, the kernel accepting `accept` bytes (clamped to what was planned).
    // Returns the bytes written.
    std::size_t write(std::size_t window, std::size_t split, std::size_t iov_count,
                      std::size_t accept) {
        const std::size_t avail = std::min(window, source_.size() - cursor_);
        split = std::min(split, avail);
        // Separate buffers, as a ring's two pieces are.
        const std::string a = source_.substr(cursor_, split);
        const std::string b = source_.substr(cursor_ + split, avail - split);
        std::vector<iovec> iov(iov_count);
        const std::size_t n = icy_.plan(bytes(a), bytes(b), id_, blocks_.at(id_), iov);
        EXPECT_LE(n, iov_count);
        const std::string planned = flatten(std::span(iov).first(n));
        EXPECT_EQ(planned.size(), icy_.planned_bytes());
        const std::size_t k = std::min(accept, planned.size());
        out_.append(planned, 0, k);
        out_ids_.insert(out_ids_.end(), k, id_);
        const std::size_t audio = icy_.commit(k);
        EXPECT_EQ(icy_.planned_bytes(), planned.size() - k);
        cursor_ += audio;
        EXPECT_LE(cursor_, source_.size());
        return k;
    }

    void drain() {
        for (int i = 0; i < 100000 && (!done() || icy_.block_due()); ++i) {
            if (write(1 << 20, 1 << 19, 8, std::numeric_limits<std::size_t>::max()) == 0) {
                break;
            }
        }
        EXPECT_TRUE(done());
    }

    // Walks the output by the metaint / length-byte structure and checks every byte.
    void verify(bool complete = true) const {
        std::string audio;
        std::size_t pos = 0;
        bool sent_any = false;
        std::uint64_t last_full = 0;
        std::size_t blocks = 0;
        while (pos < out_.size()) {
            const std::size_t take = std::min<std::size_t>(metaint_, out_.size() - pos);
            audio.append(out_, pos, take);
            pos += take;
            if (pos == out_.size()) {
                break;
            }
            const std::uint64_t block_id = out_ids_[pos];
            const std::string& full = blocks_.at(block_id);
            const bool expect_full = !sent_any || block_id != last_full;
            const auto units = static_cast<unsigned char>(out_[pos]);
            const std::size_t size = 1 + 16U * units;
            ASSERT_EQ(size, expect_full ? full.size() : 1U) << "block " << blocks << " at " << pos;
            if (complete) {
                ASSERT_LE(pos + size, out_.size()) << "truncated block at " << pos;
            }
            for (std::size_t i = 1; i < size && pos + i < out_.size(); ++i) {
                const char expected = out_ids_[pos + i] == block_id ? full[i] : '\0';
                ASSERT_EQ(out_[pos + i], expected) << "block " << blocks << " byte " << i;
            }
            if (expect_full && pos + size <= out_.size()) {
                sent_any = true;
                last_full = block_id;
            }
            pos += size;
            ++blocks;
        }
        EXPECT_EQ(audio.size(), cursor_);
        EXPECT_EQ(audio, source_.substr(0, audio.size()));
    }

private:
    std::uint32_t metaint_;
    IcyInterleaver icy_;
    std::string source_;
    std::size_t cursor_ = 0;
    std::uint64_t id_ = 0;
    std::map<std::uint64_t, std::string> blocks_;
    std::string out_;
    std::vector<std::uint64_t> out_ids_;
};

TEST(IcyInterleaver, DisabledPassesAudioThrough) {
    IcyInterleaver icy(0);
    EXPECT_FALSE(icy.enabled());
    EXPECT_FALSE(icy.block_due());
    EXPECT_EQ(icy.bytes_until_block(), std::numeric_limits<std::uint32_t>::max());
    const std::string a = "hello";
    const std::string b = " world";
    iovec iov[8];
    const std::size_t n = icy.plan(bytes(a), bytes(b), 1, render_icy_block("x"), iov);
    ASSERT_EQ(n, 2U);
    EXPECT_EQ(flatten(std::span(iov, n)), "hello world");
    EXPECT_EQ(icy.commit(7), 7U);
    EXPECT_EQ(icy.commit(4), 4U);
    EXPECT_EQ(icy.planned_bytes(), 0U);
}

TEST(IcyInterleaver, FirstBlockIsFullThenZeroUntilChange) {
    const std::string block = render_icy_block("");
    const std::string changed = render_icy_block("New");
    const std::string audio = audio_pattern(20);
    IcyInterleaver icy(4);
    iovec iov[16];
    std::size_t n = icy.plan(bytes(audio), {}, 7, block, iov);
    // 4 audio, full block, 4 audio, "\0", 4 audio, "\0", 4, "\0", 4, "\0" (block due, planned)
    ASSERT_EQ(n, 10U);
    EXPECT_EQ(flatten(std::span(iov, n)), audio.substr(0, 4) + block + audio.substr(4, 4) + '\0' +
                                              audio.substr(8, 4) + '\0' + audio.substr(12, 4) +
                                              '\0' + audio.substr(16, 4) + '\0');
    EXPECT_EQ(icy.commit(4 + block.size() + 4), 8U);
    EXPECT_TRUE(icy.block_due());
    const std::string rest = audio.substr(8);
    n = icy.plan(bytes(rest), {}, 8, changed, iov);
    ASSERT_GE(n, 2U);
    EXPECT_EQ(flatten(std::span(iov, 2)), changed + audio.substr(8, 4));
    EXPECT_EQ(icy.commit(changed.size() + 1), 1U);
    EXPECT_EQ(icy.bytes_until_block(), 3U);
}

TEST(IcyInterleaver, EmptyFullBlockSendsZeroByte) {
    IcyInterleaver icy(2);
    icy.consume_audio(2);
    EXPECT_EQ(icy.choose_block(1, {}), "\0"s);
    icy.block_written();
    icy.consume_audio(2);
    // Nothing was recorded as sent, so a real block is still a first block.
    const std::string block = render_icy_block("t");
    EXPECT_EQ(icy.choose_block(1, block), block);
}

TEST(IcyInterleaver, StepByStepApi) {
    const std::string block = render_icy_block("abc");
    IcyInterleaver icy(10);
    EXPECT_TRUE(icy.enabled());
    EXPECT_EQ(icy.bytes_until_block(), 10U);
    EXPECT_TRUE(icy.choose_block(1, block).empty()) << "no block due yet";
    icy.consume_audio(6);
    EXPECT_EQ(icy.bytes_until_block(), 4U);
    EXPECT_FALSE(icy.block_due());
    icy.consume_audio(4);
    EXPECT_TRUE(icy.block_due());
    EXPECT_EQ(icy.bytes_until_block(), 0U);
    EXPECT_EQ(icy.choose_block(1, block), block);
    icy.consume_block(5);
    EXPECT_TRUE(icy.block_in_progress());
    EXPECT_EQ(icy.choose_block(1, block), std::string_view(block).substr(5));
    icy.block_written();
    EXPECT_FALSE(icy.block_in_progress());
    EXPECT_EQ(icy.bytes_until_block(), 10U);
    icy.consume_audio(10);
    EXPECT_EQ(icy.choose_block(1, block), "\0"s);
    // Re-chosen until a byte is written: a new title arriving now is sent at once.
    const std::string other = render_icy_block("other");
    EXPECT_EQ(icy.choose_block(2, other), other);
    icy.consume_block(other.size());
    EXPECT_EQ(icy.bytes_until_block(), 10U);
}

TEST(IcyInterleaver, MetadataChangeMidBlockPadsWithNul) {
    const std::string first = render_icy_block("first title");
    const std::string second = render_icy_block("second");
    IcyInterleaver icy(3);
    icy.consume_audio(3);
    ASSERT_EQ(icy.choose_block(1, first), first);
    icy.consume_block(4);
    const std::string_view rest = icy.choose_block(2, second);
    EXPECT_EQ(rest, std::string(first.size() - 4, '\0'));
    icy.consume_block(rest.size());
    icy.consume_audio(3);
    EXPECT_EQ(icy.choose_block(2, second), second) << "the new title follows in the next block";
}

TEST(IcyInterleaver, SmallIovecArray) {
    Harness h(5, 200);
    while (!h.done()) {
        h.write(17, 9, 1, 1000);
    }
    h.drain();
    h.verify();
}

// Splits one writev at every possible byte, for writes that start at every position around
// a block boundary, and checks the continuation.
TEST(IcyInterleaver, PartialWriteAtEveryOffsetAcrossBlockBoundary) {
    constexpr std::uint32_t metaint = 16;
    for (std::size_t lead = 0; lead < 40; ++lead) {
        for (std::size_t cut = 0; cut <= 120; ++cut) {
            Harness h(metaint, 160);
            h.write(lead, lead / 2, 8, std::numeric_limits<std::size_t>::max());
            h.write(64, 30, 8, cut);
            h.write(64, 7, 8, std::numeric_limits<std::size_t>::max());
            h.drain();
            h.verify();
            if (HasFatalFailure() || HasFailure()) {
                FAIL() << "lead " << lead << " cut " << cut;
            }
        }
    }
}

TEST(IcyInterleaver, PartialWritesInsideBlockWithTitleChange) {
    // Change the title after every byte-level cut inside the first block.
    const std::size_t block_size = render_icy_block("Title number 1+").size();
    for (std::size_t cut = 1; cut < 10 + block_size + 10; ++cut) {
        Harness h(10, 100);
        h.write(100, 50, 8, cut);
        h.set_meta(2);
        h.write(100, 10, 8, 3);
        h.set_meta(3);
        h.drain();
        h.verify();
        if (HasFailure()) {
            FAIL() << "cut " << cut;
        }
    }
}

TEST(IcyInterleaver, RandomisedPartialWrites) {
    std::mt19937_64 rng(12345); // NOLINT(cert-msc32-c,cert-msc51-cpp): reproducible
    for (int round = 0; round < 300; ++round) {
        const auto metaint = static_cast<std::uint32_t>(1 + rng() % 300);
        Harness h(metaint, 1 + rng() % 20000);
        std::uint64_t id = 1;
        for (int step = 0; step < 2000 && !h.done(); ++step) {
            if (rng() % 13 == 0) {
                h.set_meta(++id);
            }
            const std::size_t window = rng() % 2000;
            const std::size_t split = rng() % (window + 1);
            const std::size_t iov_count = 1 + rng() % 8;
            std::size_t accept = 0;
            switch (rng() % 4) {
            case 0:
                accept = 0;
                break;
            case 1:
                accept = rng() % 8;
                break;
            case 2:
                accept = rng() % 3000;
                break;
            default:
                accept = std::numeric_limits<std::size_t>::max();
                break;
            }
            h.write(window, split, iov_count, accept);
        }
        h.drain();
        h.verify();
        if (HasFailure()) {
            FAIL() << "round " << round << " metaint " << metaint;
        }
    }
}

TEST(IcyInterleaver, MatchesIcecastCapturedOffsets) {
    // §2.3: blocks at offsets 16000, 32017, 48066, 64067 with metaint 16000 and lengths
    // 1, 3, 0, 3 units.
    const std::string b0 = render_icy_block("");
    const std::string b1 = render_icy_block("Artist One - Song \xc3\xa4");
    const std::string b3 = render_icy_block("Some Artist - Some Title");
    const std::string audio = audio_pattern(std::size_t{16000} * 5);
    IcyInterleaver icy(16000);
    std::string out;
    std::size_t cursor = 0;
    const std::vector<std::pair<std::uint64_t, const std::string*>> metas{
        {1, &b0}, {2, &b1}, {2, &b1}, {3, &b3}, {3, &b3}};
    for (const auto& [id, block] : metas) {
        iovec iov[2];
        const std::size_t n = icy.plan(bytes(audio).subspan(cursor, 16000), {}, id, *block, iov);
        const std::string planned = flatten(std::span(iov, n));
        out += planned;
        cursor += icy.commit(planned.size());
    }
    EXPECT_EQ(out[16000], '\x01');
    EXPECT_EQ(out[32017], '\x03');
    EXPECT_EQ(out[48066], '\x00');
    EXPECT_EQ(out[64067], '\x03');
}

} // namespace
} // namespace tinyice::protocol::icecast
