#pragma once
// Fixture loading and small Ogg helpers shared by the codec tests. Fixtures live in data/ next to
// this file (see data/make_fixtures.sh for how they were made).

#include "codec/OggPage.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::codec::test {

using Bytes = std::vector<std::uint8_t>;

inline std::filesystem::path data_dir() {
    return std::filesystem::path(__FILE__).parent_path() / "data";
}

inline Bytes read_fixture(std::string_view name) {
    std::ifstream in(data_dir() / name, std::ios::binary);
    if (!in) {
        throw std::runtime_error("missing fixture " + std::string(name));
    }
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ffprobe's packet pos= list, one offset per line.
inline std::vector<std::uint64_t> read_positions(std::string_view name) {
    std::ifstream in(data_dir() / name);
    std::vector<std::uint64_t> out;
    std::uint64_t v = 0;
    while (in >> v) {
        out.push_back(v);
    }
    return out;
}

inline Bytes bytes_of(std::string_view s) {
    return {s.begin(), s.end()};
}

inline void append(Bytes& to, std::span<const std::uint8_t> from) {
    to.insert(to.end(), from.begin(), from.end());
}

// Splits `size` bytes into pieces: fixed `step` when step > 0, else random 1..max_random.
inline std::vector<std::size_t> piece_sizes(std::size_t size, std::size_t step, unsigned seed = 1,
                                            std::size_t max_random = 3000) {
    std::vector<std::size_t> out;
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> dist(1, max_random);
    for (std::size_t done = 0; done < size;) {
        const std::size_t n = std::min(size - done, step > 0 ? step : dist(rng));
        out.push_back(n);
        done += n;
    }
    return out;
}

struct Page {
    std::uint64_t offset;
    Bytes bytes;
    OggPageView view() const {
        std::size_t consumed = 0;
        OggPageView v;
        if (parse_ogg_page(bytes, consumed, v) != OggParseStatus::page) {
            throw std::logic_error("not a page");
        }
        return v;
    }
};

inline std::vector<Page> read_pages(std::span<const std::uint8_t> stream) {
    std::vector<Page> pages;
    OggPageReader reader;
    reader.feed(stream, [&](std::uint64_t offset, const OggPageView& v) {
        pages.push_back({offset, Bytes(v.bytes.begin(), v.bytes.end())});
    });
    return pages;
}

struct Packet {
    Bytes data;
    std::int64_t granule; // of the page the packet ends on
    std::uint32_t serial;
};

// Reassembles the packets of every logical stream, in the order they complete.
inline std::vector<Packet> read_packets(std::span<const std::uint8_t> stream) {
    std::vector<Packet> out;
    std::vector<std::pair<std::uint32_t, Bytes>> partial;
    for (const Page& page : read_pages(stream)) {
        const OggPageView v = page.view();
        Bytes* current = nullptr;
        for (auto& [serial, bytes] : partial) {
            if (serial == v.serial) {
                current = &bytes;
            }
        }
        if (current == nullptr) {
            partial.emplace_back(v.serial, Bytes{});
            current = &partial.back().second;
        }
        std::size_t pos = 0;
        for (const std::uint8_t lacing : v.segment_table) {
            append(*current, v.body.subspan(pos, lacing));
            pos += lacing;
            if (lacing < 255) {
                out.push_back({*current, v.granule, v.serial});
                current->clear();
            }
        }
    }
    return out;
}

// Lays the packets of one logical stream out into pages of at most `max_body` bytes, the way a
// libogg-based muxer does: a page on which no packet ends gets granule -1; flush() ends a page.
class OggWriter {
public:
    explicit OggWriter(std::uint32_t serial, std::size_t max_body = 4096)
        : serial_(serial), max_body_(max_body) {}

    void packet(std::span<const std::uint8_t> data, std::int64_t granule) {
        std::size_t pos = 0;
        for (;;) {
            const std::size_t lacing = std::min<std::size_t>(255, data.size() - pos);
            if (lacing_.size() == 255 || (!body_.empty() && body_.size() + lacing > max_body_)) {
                emit(false, pos > 0);
            }
            lacing_.push_back(static_cast<std::uint8_t>(lacing));
            body_.insert(body_.end(), data.begin() + static_cast<std::ptrdiff_t>(pos),
                         data.begin() + static_cast<std::ptrdiff_t>(pos + lacing));
            pos += lacing;
            if (lacing < 255) {
                break;
            }
        }
        granule_ = granule;
        packet_ended_ = true;
    }
    // Ends the current page (if it has anything, or eos is wanted).
    void flush(bool eos = false) {
        if (!lacing_.empty() || eos) {
            emit(eos, false);
        }
    }
    const Bytes& out() const { return out_; }
    const std::vector<std::uint64_t>& page_offsets() const { return page_offsets_; }

private:
    void emit(bool eos, bool next_continued) {
        Bytes page = {'O', 'g', 'g', 'S', 0};
        std::uint8_t flags = continued_ ? OggPageView::flag_continued : 0;
        if (sequence_ == 0) {
            flags |= OggPageView::flag_bos;
        }
        if (eos) {
            flags |= OggPageView::flag_eos;
        }
        page.push_back(flags);
        const std::int64_t granule = packet_ended_ ? granule_ : -1;
        for (int i = 0; i < 8; ++i) {
            page.push_back(
                static_cast<std::uint8_t>(static_cast<std::uint64_t>(granule) >> (8 * i)));
        }
        for (const std::uint32_t v : {serial_, sequence_, 0U}) {
            for (int i = 0; i < 4; ++i) {
                page.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
            }
        }
        page.push_back(static_cast<std::uint8_t>(lacing_.size()));
        append(page, lacing_);
        append(page, body_);
        const std::uint32_t crc = ogg_crc(page);
        for (int i = 0; i < 4; ++i) {
            page[22 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
        }
        page_offsets_.push_back(out_.size());
        append(out_, page);
        ++sequence_;
        lacing_.clear();
        body_.clear();
        packet_ended_ = false;
        continued_ = next_continued;
    }

    std::uint32_t serial_;
    std::size_t max_body_;
    std::uint32_t sequence_ = 0;
    Bytes lacing_;
    Bytes body_;
    std::int64_t granule_ = 0;
    bool packet_ended_ = false; // a packet ended on the page being built
    bool continued_ = false;    // the page being built starts mid-packet
    Bytes out_;
    std::vector<std::uint64_t> page_offsets_;
};

// Runs a command, returning its exit status and stdout.
inline int run_command(const std::string& command, std::string* output = nullptr) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return -1;
    }
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
        if (output != nullptr) {
            output->append(buf, n);
        }
    }
    return ::pclose(pipe);
}

inline bool have_ffprobe() {
    static const bool have = run_command("ffprobe -version > /dev/null 2>&1") == 0 &&
                             run_command("ffmpeg -version > /dev/null 2>&1") == 0;
    return have;
}

} // namespace tinyice::codec::test
