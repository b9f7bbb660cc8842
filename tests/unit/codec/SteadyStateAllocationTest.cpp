// The ingest-path probes must not allocate in steady state. This file replaces the global
// operator new for the codec test binary and counts calls while a test holds a Counting guard.

#include "codec/CodecTestUtil.hpp"
#include "codec/FrameSync.hpp"
#include "codec/OggChainTracker.hpp"
#include "codec/OggPage.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

namespace {
thread_local bool g_counting = false;
thread_local std::size_t g_allocations = 0;

void* counted_alloc(std::size_t size) {
    if (g_counting) {
        ++g_allocations;
    }
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
} // namespace

void* operator new(std::size_t size) {
    return counted_alloc(size);
}
void* operator new[](std::size_t size) {
    return counted_alloc(size);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}

namespace tinyice::codec {
namespace {

using test::Bytes;

class Counting {
public:
    Counting() {
        g_allocations = 0;
        g_counting = true;
    }
    ~Counting() { g_counting = false; }
    Counting(const Counting&) = delete;
    Counting& operator=(const Counting&) = delete;
    std::size_t count() const { return g_allocations; }
};

TEST(SteadyStateAllocation, FrameScannerFeedDoesNotAllocate) {
    for (const auto& [name, format] :
         {std::pair{"sine.mp3", StreamFormat::mp3}, std::pair{"sine.aac", StreamFormat::aac}}) {
        const Bytes file = test::read_fixture(name);
        const auto pieces = test::piece_sizes(file.size(), 0, 5, 50);
        FrameScanner scanner(format);
        std::uint64_t frames = 0;
        std::uint64_t offset = 0;
        Counting counting;
        for (const auto n : pieces) {
            scanner.feed(std::span(file).subspan(offset, n), offset,
                         [&](std::uint64_t, const FrameInfo&) { ++frames; });
            offset += n;
        }
        EXPECT_EQ(counting.count(), 0U) << name;
        EXPECT_GT(frames, 30U);
    }
}

TEST(SteadyStateAllocation, OggReaderAndTrackerOnAudioPagesDoNotAllocate) {
    const Bytes file = test::read_fixture("sine.ogg");
    const auto pages = test::read_pages(file);
    OggPageReader reader;
    OggChainTracker tracker;
    // Headers may allocate (they are stored); audio pages must not.
    std::size_t audio_start = pages[2].offset;
    reader.feed(std::span(file).first(audio_start),
                [&](std::uint64_t, const OggPageView& page) { tracker.on_page(page); });
    const auto pieces = test::piece_sizes(file.size() - audio_start, 0, 9, 700);
    int audio_pages = 0;
    Counting counting;
    std::uint64_t offset = audio_start;
    for (const auto n : pieces) {
        reader.feed(std::span(file).subspan(offset, n),
                    [&](std::uint64_t, const OggPageView& page) {
                        if (tracker.on_page(page) != OggChainTracker::PageKind::header) {
                            ++audio_pages;
                        }
                    });
        offset += n;
    }
    EXPECT_EQ(counting.count(), 0U);
    EXPECT_EQ(audio_pages, 2);
}

} // namespace
} // namespace tinyice::codec
