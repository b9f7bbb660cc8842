// Micro-benchmarks of the per-byte and per-write work on the broadcast path: the ring the
// source appends to and listeners read from, the ICY interleaver that lays out one listener
// write, and the MP3/Ogg scanners every source byte goes through.

#include <sys/uio.h>

#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "codec/FrameSync.hpp"
#include "codec/OggChainTracker.hpp"
#include "codec/OggPage.hpp"
#include "core/StreamRing.hpp"
#include "protocol/icecast/IcyInterleaver.hpp"
#include "protocol/icecast/IcyMetadata.hpp"

using namespace tinyice;

namespace {

std::vector<std::uint8_t> mp3_stream(std::size_t frames) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < frames; ++i) {
        std::vector<std::uint8_t> f(417, static_cast<std::uint8_t>(i * 7));
        f[0] = 0xFF;
        f[1] = 0xFB;
        f[2] = 0x90;
        f[3] = 0x64;
        out.insert(out.end(), f.begin(), f.end());
    }
    return out;
}

// One source chunk (a 128 kbps MP3 frame) appended to a 512 KiB ring.
void BM_RingAppend(benchmark::State& state) {
    core::StreamRing ring(524288);
    std::vector<std::uint8_t> chunk(static_cast<std::size_t>(state.range(0)), 0x42);
    for (auto _ : state) {
        ring.append(chunk);
        benchmark::DoNotOptimize(ring.head());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_RingAppend)->Arg(418)->Arg(4096)->Arg(16384);

// What a listener flush does before the syscall: view the pending range (up to two spans).
void BM_RingView(benchmark::State& state) {
    core::StreamRing ring(524288);
    std::vector<std::uint8_t> chunk(600000, 0x42);
    ring.append(chunk);
    std::uint64_t from = ring.head() - 4000;
    for (auto _ : state) {
        std::span<const std::uint8_t> spans[2];
        benchmark::DoNotOptimize(ring.view(from, ring.head(), spans));
        benchmark::DoNotOptimize(ring.still_valid(from));
    }
}
BENCHMARK(BM_RingView);

// Laying out one 250 ms listener write (4 KB) with ICY metadata, and committing it.
void BM_IcyPlanCommit(benchmark::State& state) {
    protocol::icecast::IcyInterleaver icy(16000);
    std::vector<std::uint8_t> data(4000, 0x11);
    auto block = protocol::icecast::render_icy_block("Artist - Title");
    for (auto _ : state) {
        iovec iov[8];
        auto n = icy.plan(data, {}, 7, block, iov);
        std::size_t bytes = 0;
        for (std::size_t i = 0; i < n; ++i) {
            bytes += iov[i].iov_len;
        }
        benchmark::DoNotOptimize(icy.commit(bytes));
    }
}
BENCHMARK(BM_IcyPlanCommit);

void BM_RenderIcyBlock(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(protocol::icecast::render_icy_block("Some Artist - Some Title"));
    }
}
BENCHMARK(BM_RenderIcyBlock);

// Frame sync over a locked MP3 stream, fed in 4 KiB reads as a source delivers it.
void BM_Mp3FrameScan(benchmark::State& state) {
    auto stream = mp3_stream(2000);
    for (auto _ : state) {
        codec::FrameScanner scanner(codec::StreamFormat::mp3);
        std::uint64_t frames = 0;
        for (std::size_t off = 0; off < stream.size(); off += 4096) {
            auto n = std::min<std::size_t>(4096, stream.size() - off);
            scanner.feed(std::span<const std::uint8_t>(stream.data() + off, n), off,
                         [&](std::uint64_t, const codec::FrameInfo&) { ++frames; });
        }
        benchmark::DoNotOptimize(frames);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_Mp3FrameScan);

// Scanning bytes that never lock (a worst case: garbage from a broken source).
void BM_Mp3FrameScanGarbage(benchmark::State& state) {
    std::vector<std::uint8_t> junk(1 << 20);
    std::uint32_t x = 12345;
    for (auto& b : junk) {
        x = x * 1103515245 + 12345;
        b = static_cast<std::uint8_t>(x >> 16);
    }
    for (auto _ : state) {
        codec::FrameScanner scanner(codec::StreamFormat::mp3);
        scanner.feed(junk, 0, [](std::uint64_t, const codec::FrameInfo&) {});
        benchmark::DoNotOptimize(scanner.frames());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * junk.size()));
}
BENCHMARK(BM_Mp3FrameScanGarbage);

}  // namespace
