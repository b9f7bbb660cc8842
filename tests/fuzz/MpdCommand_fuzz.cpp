// Fuzzes the MPD request path a session runs on untrusted bytes: line framing, the command-line
// tokenizer, the command-list state machine, and the argument, range, filter and query parsers.
// Input: [line limit selector][list limit / fragmentation seed][wire bytes...]. Everything must
// either parse or fail with a CommandError/ParseError; the checks below are the documented
// invariants.

#include "protocol/mpd/Ack.hpp"
#include "protocol/mpd/Arguments.hpp"
#include "protocol/mpd/CommandLine.hpp"
#include "protocol/mpd/CommandList.hpp"
#include "protocol/mpd/Filter.hpp"
#include "protocol/mpd/Idle.hpp"
#include "protocol/mpd/LineReader.hpp"
#include "protocol/mpd/Response.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using namespace tinyice::protocol::mpd;

namespace {

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

const std::vector<Song>& songs() {
    static const std::vector<Song> s = [] {
        std::vector<Song> v(3);
        v[0].file = "Jazz/Miles Davis/So What.mp3";
        v[0].artist = "Miles Davis";
        v[0].album = "Kind of Blue";
        v[0].title = "So What";
        v[0].mtime = 1600000000;
        v[1].file = "Rock/Björk/ÉLAN.ogg";
        v[1].artist = "Björk";
        v[1].album_artist = "Various";
        v[1].genre = "Rock";
        v[2].file = "top.flac";
        return v;
    }();
    return s;
}

template <typename F>
void expect_command_error(F&& f) {
    try {
        f();
    } catch (const CommandError& e) {
        FUZZ_CHECK(e.what() != nullptr);
    }
}

void check_filter(const std::vector<std::string>& args) {
    for (bool fold : {false, true}) {
        expect_command_error([&] {
            const auto filter = SongFilter::parse(args, fold);
            for (const auto& song : songs()) {
                (void)filter.matches(song);
            }
        });
        expect_command_error([&] {
            const auto q = split_query_args(args, query_sort_window | query_position | query_group);
            FUZZ_CHECK(q.filter.size() <= args.size());
            if (q.window) {
                FUZZ_CHECK(q.window->start <= q.window->end);
            }
            if (!q.filter.empty()) {
                (void)SongFilter::parse(q.filter, fold);
            }
        });
    }
}

void check_arguments(const std::string& arg) {
    expect_command_error([&] {
        const auto r = parse_range(arg);
        FUZZ_CHECK(r.start <= r.end);
        const auto c = r.clamped(10);
        FUZZ_CHECK(c.start <= c.end && c.end <= 10);
    });
    expect_command_error([&] { (void)parse_unsigned(arg); });
    expect_command_error([&] { (void)parse_integer(arg, -100, 100); });
    expect_command_error([&] { (void)parse_bool(arg); });
    expect_command_error([&] {
        const double s = parse_seconds(arg);
        FUZZ_CHECK(s >= 0 && s <= 1e9);
    });
    expect_command_error([&] { (void)parse_time_offset(arg); });
    (void)parse_timestamp(arg);
    (void)parse_tag(arg);
    (void)parse_idle_subsystem(arg);

    const auto folded = fold_case(arg);
    FUZZ_CHECK(folded.size() == arg.size());
    FUZZ_CHECK(fold_case(folded) == folded);

    // Quoting round-trips through the tokenizer (a NUL is refused anywhere).
    const auto parsed = parse_command_line("add " + quote_argument(arg));
    if (arg.find('\0') == std::string::npos) {
        const auto* cmd = std::get_if<Command>(&parsed);
        FUZZ_CHECK(cmd != nullptr && cmd->args.size() == 1 && cmd->args[0] == arg);
    } else {
        FUZZ_CHECK(std::holds_alternative<ParseError>(parsed));
    }

    // A reply line can never be split by a value.
    Response out(1 << 20);
    out.add("key", arg);
    const auto& text = out.text();
    FUZZ_CHECK(!text.empty() && text.back() == '\n');
    FUZZ_CHECK(text.find('\n') == text.size() - 1);
    const auto ack = format_ack(Ack::arg, 0, arg, arg);
    FUZZ_CHECK(ack.find('\n') == ack.size() - 1);
}

void run_line(std::string_view line) {
    const auto parsed = parse_command_line(line, 64);
    if (const auto* e = std::get_if<ParseError>(&parsed)) {
        FUZZ_CHECK(!e->message.empty());
        FUZZ_CHECK(e->code == Ack::arg || e->code == Ack::unknown);
        return;
    }
    const auto& cmd = std::get<Command>(parsed);
    FUZZ_CHECK(!cmd.name.empty() && cmd.args.size() <= 64);
    FUZZ_CHECK((cmd.name[0] >= 'a' && cmd.name[0] <= 'z') ||
               (cmd.name[0] >= 'A' && cmd.name[0] <= 'Z'));
    check_filter(cmd.args);
    for (const auto& arg : cmd.args) {
        check_arguments(arg);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::size_t max_line = 16 + std::size_t{data[0]} * 16; // 16 .. 4096 bytes
    const std::uint32_t seed = data[1];
    const std::string_view wire(reinterpret_cast<const char*>(data + 2), size - 2);

    // The raw bytes as one filter expression: the deepest parser, straight from the input.
    check_filter({std::string(wire)});

    LineReader reader(max_line);
    CommandListCollector lists({1 + seed % 8, 64 + (seed % 16) * 32});
    std::size_t offset = 0;
    std::uint32_t state = seed;
    bool refused = false;
    while (offset < wire.size() && !refused) {
        state = state * 1103515245U + 12345U;
        const std::size_t piece =
            std::min<std::size_t>(1 + (state >> 16U) % 64, wire.size() - offset);
        reader.feed(wire.substr(offset, piece));
        offset += piece;
        std::string line;
        while (true) {
            const auto status = reader.next(line);
            if (status == LineReader::Status::need_more) {
                break;
            }
            if (status == LineReader::Status::too_long) {
                FUZZ_CHECK(reader.next(line) == LineReader::Status::too_long);
                refused = true;
                break;
            }
            FUZZ_CHECK(line.size() <= max_line);
            FUZZ_CHECK(line.find('\n') == std::string::npos);
            FUZZ_CHECK(line.empty() ||
                       (line.back() != ' ' && line.back() != '\t' && line.back() != '\r'));
            switch (lists.feed(line)) {
            case CommandListCollector::Step::execute:
                run_line(line);
                break;
            case CommandListCollector::Step::complete: {
                const auto batch = lists.take();
                FUZZ_CHECK(batch.lines.size() <= lists.limits().max_commands);
                for (const auto& l : batch.lines) {
                    run_line(l);
                }
                break;
            }
            case CommandListCollector::Step::begun:
            case CommandListCollector::Step::queued:
                FUZZ_CHECK(lists.active());
                FUZZ_CHECK(lists.size() <= lists.limits().max_commands);
                break;
            case CommandListCollector::Step::too_long:
                FUZZ_CHECK(!lists.active());
                break;
            }
        }
        FUZZ_CHECK(reader.buffered() <= max_line + 64);
    }
    return 0;
}
