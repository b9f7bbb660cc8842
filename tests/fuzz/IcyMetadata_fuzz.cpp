// Fuzzes the ICY metadata helpers and the per-listener interleaver.
// The whole input is (1) parsed as block text, (2) rendered as a title (and, after the first
// '\n', a url) and checked against the block layout, (3) converted between charsets, and
// (4) read again as a script of writev calls with partial writes and title changes; the bytes
// the interleaver produced are then walked by the metaint / length-byte structure and checked
// byte by byte against a reference model.

#include "protocol/icecast/IcyInterleaver.hpp"
#include "protocol/icecast/IcyMetadata.hpp"
#include "protocol/icecast/StatusDocuments.hpp"
#include "protocol/icecast/Utf8.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <string_view>
#include <vector>

using namespace tinyice::protocol::icecast;

namespace {

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

void check_block(std::string_view title, std::string_view url) {
    const std::string block = render_icy_block(title, url);
    FUZZ_CHECK(block.size() >= 17 && block.size() <= 1 + max_icy_block);
    const auto units = static_cast<unsigned char>(block[0]);
    FUZZ_CHECK(units >= 1 && block.size() == 1 + 16U * units);
    const std::string_view body = std::string_view(block).substr(1);
    const std::size_t nul = body.find('\0');
    FUZZ_CHECK(nul != std::string_view::npos);
    FUZZ_CHECK(body.find_first_not_of('\0', nul) == std::string_view::npos);
    const std::string_view text = body.substr(0, nul);
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        FUZZ_CHECK(b >= 0x20 && b != 0x7f);
    }
    FUZZ_CHECK(text.starts_with("StreamTitle='") && text.ends_with("';"));
    const auto fields = parse_icy_text(body);
    FUZZ_CHECK(fields && !fields->empty() && fields->front().first == "StreamTitle");
    const std::string& value = fields->front().second;
    FUZZ_CHECK(value.find("';") == std::string::npos);
    if (is_valid_utf8(title)) {
        FUZZ_CHECK(is_valid_utf8(value));
    }
}

void check_charsets(std::string_view input) {
    const auto latin1 = to_utf8(input, "ISO-8859-1");
    FUZZ_CHECK(latin1 && is_valid_utf8(*latin1));
    const auto utf8 = to_utf8(input, "UTF-8");
    FUZZ_CHECK(utf8 && is_valid_utf8(*utf8));
    FUZZ_CHECK(from_utf8(*latin1, "ISO-8859-1") == input);
    from_utf8(input, "ISO-8859-1");
    const std::string escaped = xml_escape(input);
    FUZZ_CHECK(is_valid_utf8(escaped) && escaped.find('<') == std::string::npos);
}

class Driver {
public:
    Driver(std::uint32_t metaint, std::size_t audio_size, std::vector<std::string> blocks)
        : metaint_(metaint), icy_(metaint), blocks_(std::move(blocks)) {
        audio_.resize(audio_size);
        for (std::size_t i = 0; i < audio_size; ++i) {
            audio_[i] = static_cast<char>(i * 31 + i / 7);
        }
    }

    void next_meta() { ++id_; }

    std::size_t write(std::size_t window, std::size_t split, std::size_t iov_count,
                      std::size_t accept) {
        const std::size_t avail = std::min(window, audio_.size() - cursor_);
        split = std::min(split, avail);
        const std::string a = audio_.substr(cursor_, split);
        const std::string b = audio_.substr(cursor_ + split, avail - split);
        std::array<iovec, 8> iov{};
        const std::string& block = block_for(id_);
        const std::size_t n = icy_.plan({reinterpret_cast<const std::uint8_t*>(a.data()), a.size()},
                                        {reinterpret_cast<const std::uint8_t*>(b.data()), b.size()},
                                        id_, block, std::span(iov).first(iov_count));
        FUZZ_CHECK(n <= iov_count);
        std::string planned;
        for (std::size_t i = 0; i < n; ++i) {
            FUZZ_CHECK(iov[i].iov_len > 0);
            planned.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
        }
        FUZZ_CHECK(planned.size() == icy_.planned_bytes());
        const std::size_t k = std::min(accept, planned.size());
        out_.append(planned, 0, k);
        ids_.insert(ids_.end(), k, id_);
        cursor_ += icy_.commit(k);
        FUZZ_CHECK(cursor_ <= audio_.size());
        return k;
    }

    void drain() {
        while (cursor_ < audio_.size() || icy_.block_due()) {
            FUZZ_CHECK(write(audio_.size(), audio_.size() / 2, 8, SIZE_MAX) > 0);
        }
    }

    void verify() const {
        std::size_t pos = 0;
        std::string audio;
        bool sent_any = false;
        std::uint64_t last_full = 0;
        while (pos < out_.size()) {
            const std::size_t take = std::min<std::size_t>(metaint_, out_.size() - pos);
            audio.append(out_, pos, take);
            pos += take;
            if (pos == out_.size()) {
                break;
            }
            const std::uint64_t id = ids_[pos];
            const std::string& full = block_for(id);
            const bool expect_full = !full.empty() && (!sent_any || id != last_full);
            const std::size_t size = 1 + 16U * static_cast<unsigned char>(out_[pos]);
            FUZZ_CHECK(size == (expect_full ? full.size() : 1U));
            FUZZ_CHECK(pos + size <= out_.size());
            for (std::size_t i = 1; i < size; ++i) {
                FUZZ_CHECK(out_[pos + i] == (ids_[pos + i] == id ? full[i] : '\0'));
            }
            if (expect_full) {
                sent_any = true;
                last_full = id;
            }
            pos += size;
        }
        FUZZ_CHECK(audio == audio_.substr(0, cursor_));
        FUZZ_CHECK(cursor_ == audio_.size());
    }

private:
    const std::string& block_for(std::uint64_t id) const { return blocks_[id % blocks_.size()]; }

    std::uint32_t metaint_;
    IcyInterleaver icy_;
    std::vector<std::string> blocks_;
    std::string audio_;
    std::size_t cursor_ = 0;
    std::uint64_t id_ = 0;
    std::string out_;
    std::vector<std::uint64_t> ids_;
};

void run_interleaver(const std::uint8_t* data, std::size_t size, std::string_view input) {
    FuzzedDataProvider fdp(data, size);
    const auto metaint = fdp.ConsumeIntegralInRange<std::uint32_t>(1, 100);
    const auto audio_size = fdp.ConsumeIntegralInRange<std::size_t>(0, 3000);
    // Ids cycle through these; consecutive ids always differ in content or in id, and the
    // empty block checks the "no metadata" path.
    Driver driver(metaint, audio_size,
                  {render_icy_block(input.substr(0, 40)), render_icy_block(""), std::string(),
                   render_icy_block(input)});
    for (int step = 0; step < 400 && fdp.remaining_bytes() > 0; ++step) {
        const auto op = fdp.ConsumeIntegral<std::uint8_t>();
        if (op % 5 == 0) {
            driver.next_meta();
        }
        const auto window = fdp.ConsumeIntegralInRange<std::size_t>(0, 400);
        const auto split = fdp.ConsumeIntegralInRange<std::size_t>(0, window);
        const auto iov_count = fdp.ConsumeIntegralInRange<std::size_t>(1, 8);
        const auto accept =
            (op & 0x80) != 0 ? SIZE_MAX : fdp.ConsumeIntegralInRange<std::size_t>(0, 200);
        driver.write(window, split, iov_count, accept);
    }
    driver.drain();
    driver.verify();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    if (const auto fields = parse_icy_text(input)) {
        FUZZ_CHECK(!fields->empty());
        for (const auto& [key, value] : *fields) {
            FUZZ_CHECK(!key.empty() && key.size() <= 64);
            FUZZ_CHECK(value.find('\0') == std::string::npos);
        }
    }

    const std::size_t newline = input.find('\n');
    check_block(input, {});
    if (newline != std::string_view::npos) {
        check_block(input.substr(0, newline), input.substr(newline + 1));
    }
    check_charsets(input);
    run_interleaver(data, size, input);
    return 0;
}
