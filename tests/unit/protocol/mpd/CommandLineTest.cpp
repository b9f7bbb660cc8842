#include "protocol/mpd/CommandLine.hpp"

#include "protocol/mpd/CommandList.hpp"
#include "protocol/mpd/LineReader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

using namespace tinyice::protocol::mpd;

namespace {

Command ok(std::string_view line) {
    auto parsed = parse_command_line(line);
    if (const auto* e = std::get_if<ParseError>(&parsed)) {
        ADD_FAILURE() << "unexpected error for [" << line << "]: " << e->message;
        return {};
    }
    return std::get<Command>(parsed);
}

ParseError error(std::string_view line, std::size_t max_args = default_max_arguments) {
    auto parsed = parse_command_line(line, max_args);
    if (const auto* e = std::get_if<ParseError>(&parsed)) {
        return *e;
    }
    ADD_FAILURE() << "expected an error for [" << line << "]";
    return {};
}

// ---- tokenizer ------------------------------------------------------------------------------

TEST(CommandLine, NameAlone) {
    EXPECT_EQ(ok("status"), (Command{"status", {}}));
    EXPECT_EQ(ok("command_list_ok_begin"), (Command{"command_list_ok_begin", {}}));
}

TEST(CommandLine, UnquotedArgumentsSeparatedBySpacesAndTabs) {
    EXPECT_EQ(ok("play 5"), (Command{"play", {"5"}}));
    EXPECT_EQ(ok("move  1:3\t\t7"), (Command{"move", {"1:3", "7"}}));
    EXPECT_EQ(ok("  \tping"), (Command{"ping", {}}));
    EXPECT_EQ(ok("add Jazz/Miles/So_What.mp3"), (Command{"add", {"Jazz/Miles/So_What.mp3"}}));
}

TEST(CommandLine, QuotedArguments) {
    EXPECT_EQ(ok(R"(add "Jazz/Miles Davis/So What.mp3")"),
              (Command{"add", {"Jazz/Miles Davis/So What.mp3"}}));
    EXPECT_EQ(ok(R"(find artist "X" album "Y")"), (Command{"find", {"artist", "X", "album", "Y"}}));
    EXPECT_EQ(ok(R"(lsinfo "")"), (Command{"lsinfo", {""}}));
    EXPECT_EQ(ok("tagtypes \"clear\"\t\"x\""), (Command{"tagtypes", {"clear", "x"}}));
}

TEST(CommandLine, BackslashEscapesInsideQuotes) {
    EXPECT_EQ(ok(R"(find artist "say \"hi\"")"), (Command{"find", {"artist", "say \"hi\""}}));
    EXPECT_EQ(ok(R"(add "C:\\music")"), (Command{"add", {"C:\\music"}}));
    // A backslash before any other character just keeps that character.
    EXPECT_EQ(ok(R"(add "a\b")"), (Command{"add", {"ab"}}));
    // The expression form nests quotes: the outer level unescapes \" and \\ .
    EXPECT_EQ(ok(R"x(find "((artist == 'X') AND (album contains \"y\\\"z\"))")x"),
              (Command{"find", {R"x(((artist == 'X') AND (album contains "y\"z")))x"}}));
}

TEST(CommandLine, QuoteArgumentRoundTrips) {
    for (std::string value : {"", "plain", "with space", "quote\"inside", "back\\slash", "\t"}) {
        const auto line = "add " + quote_argument(value);
        EXPECT_EQ(ok(line), (Command{"add", {value}})) << line;
    }
}

TEST(CommandLine, UnicodeAndHighBytesInArguments) {
    EXPECT_EQ(ok("search title \"Café\""), (Command{"search", {"title", "Café"}}));
    EXPECT_EQ(ok("search title Björk"), (Command{"search", {"title", "Björk"}}));
}

TEST(CommandLine, BadCommandNames) {
    EXPECT_EQ(error(""), (ParseError{Ack::unknown, "No command given"}));
    EXPECT_EQ(error("   "), (ParseError{Ack::unknown, "No command given"}));
    EXPECT_EQ(error("5play"), (ParseError{Ack::unknown, "Letter expected"}));
    EXPECT_EQ(error("\"status\""), (ParseError{Ack::unknown, "Letter expected"}));
    EXPECT_EQ(error("sta-tus"), (ParseError{Ack::unknown, "Invalid word character"}));
}

TEST(CommandLine, BadArguments) {
    EXPECT_EQ(error(R"(add "unterminated)"), (ParseError{Ack::arg, "Missing closing '\"'"}));
    EXPECT_EQ(error(R"(add "ends in backslash\)"), (ParseError{Ack::arg, "Missing closing '\"'"}));
    EXPECT_EQ(error(R"(add "a"b)"), (ParseError{Ack::arg, "Space expected after closing '\"'"}));
    EXPECT_EQ(error(R"(add a"b)"), (ParseError{Ack::arg, "Invalid unquoted character"}));
    EXPECT_EQ(error("add it's"), (ParseError{Ack::arg, "Invalid unquoted character"}));
    EXPECT_EQ(error("add a\x01z"), (ParseError{Ack::arg, "Invalid unquoted character"}));
    EXPECT_EQ(error(std::string_view("add \"a\0b\"", 9)),
              (ParseError{Ack::arg, "NUL byte in request"}));
}

TEST(CommandLine, ArgumentLimit) {
    std::string line = "tagtypes enable";
    for (int i = 0; i < 9; ++i) {
        line += " Artist";
    }
    EXPECT_EQ(ok(line).args.size(), 10U);
    EXPECT_EQ(error(line, 9), (ParseError{Ack::arg, "Too many arguments"}));
    EXPECT_TRUE(std::holds_alternative<Command>(parse_command_line(line, 10)));
}

// ---- line framing ---------------------------------------------------------------------------

TEST(LineReader, SplitsLinesAndStripsTrailingBlanks) {
    LineReader reader;
    reader.feed("status\nplay 1\r\ncurrentsong \t\nnext");
    std::string line;
    ASSERT_EQ(reader.next(line), LineReader::Status::line);
    EXPECT_EQ(line, "status");
    ASSERT_EQ(reader.next(line), LineReader::Status::line);
    EXPECT_EQ(line, "play 1");
    ASSERT_EQ(reader.next(line), LineReader::Status::line);
    EXPECT_EQ(line, "currentsong");
    EXPECT_EQ(reader.next(line), LineReader::Status::need_more);
    reader.feed("\n");
    ASSERT_EQ(reader.next(line), LineReader::Status::line);
    EXPECT_EQ(line, "next");
    EXPECT_EQ(reader.next(line), LineReader::Status::need_more);
    EXPECT_EQ(reader.buffered(), 0U);
}

TEST(LineReader, ByteByByteGivesTheSameLines) {
    const std::string wire = "command_list_begin\nadd \"a b\"\n\ncommand_list_end\n";
    LineReader reader;
    std::vector<std::string> lines;
    std::string line;
    for (char c : wire) {
        reader.feed(std::string_view(&c, 1));
        while (reader.next(line) == LineReader::Status::line) {
            lines.push_back(line);
        }
    }
    EXPECT_EQ(lines, (std::vector<std::string>{"command_list_begin", "add \"a b\"", "",
                                               "command_list_end"}));
}

TEST(LineReader, RefusesOverlongLineWithOrWithoutNewline) {
    {
        LineReader reader(16);
        reader.feed(std::string(16, 'a') + "\n");
        std::string line;
        EXPECT_EQ(reader.next(line), LineReader::Status::line); // exactly the limit is fine
    }
    {
        LineReader reader(16);
        reader.feed(std::string(17, 'a') + "\nping\n");
        std::string line;
        EXPECT_EQ(reader.next(line), LineReader::Status::too_long);
        EXPECT_EQ(reader.next(line), LineReader::Status::too_long); // sticky
    }
    {
        LineReader reader(16);
        std::string line;
        for (int i = 0; i < 16; ++i) {
            reader.feed("a");
            EXPECT_EQ(reader.next(line), LineReader::Status::need_more);
        }
        reader.feed("a");
        EXPECT_EQ(reader.next(line), LineReader::Status::too_long);
        reader.feed(std::string(1000, 'b'));
        EXPECT_LE(reader.buffered(), 17U); // nothing more is kept after the refusal
    }
}

TEST(LineReader, BufferStaysBoundedWhileDraining) {
    LineReader reader(64);
    std::string line;
    for (int i = 0; i < 10000; ++i) {
        reader.feed("ping\nstatus\n");
        while (reader.next(line) == LineReader::Status::line) {
        }
        EXPECT_LE(reader.buffered(), 64U);
    }
}

// ---- command lists --------------------------------------------------------------------------

TEST(CommandList, SingleCommandsOutsideAList) {
    CommandListCollector lists;
    EXPECT_EQ(lists.feed("status"), CommandListCollector::Step::execute);
    EXPECT_EQ(lists.feed("command_list_end"), CommandListCollector::Step::execute);
    EXPECT_FALSE(lists.active());
}

TEST(CommandList, CollectsUntilEnd) {
    CommandListCollector lists;
    EXPECT_EQ(lists.feed("command_list_ok_begin"), CommandListCollector::Step::begun);
    EXPECT_TRUE(lists.active());
    EXPECT_EQ(lists.feed("status"), CommandListCollector::Step::queued);
    EXPECT_EQ(lists.feed("command_list_begin"), CommandListCollector::Step::queued); // stored
    EXPECT_EQ(lists.feed("currentsong"), CommandListCollector::Step::queued);
    EXPECT_EQ(lists.feed("command_list_end"), CommandListCollector::Step::complete);
    EXPECT_FALSE(lists.active());
    const auto batch = lists.take();
    EXPECT_TRUE(batch.list_ok);
    EXPECT_EQ(batch.lines,
              (std::vector<std::string>{"status", "command_list_begin", "currentsong"}));

    EXPECT_EQ(lists.feed("command_list_begin"), CommandListCollector::Step::begun);
    EXPECT_EQ(lists.feed("command_list_end"), CommandListCollector::Step::complete);
    const auto empty = lists.take();
    EXPECT_FALSE(empty.list_ok);
    EXPECT_TRUE(empty.lines.empty());
}

TEST(CommandList, OverflowDiscardsUpToEndAndReportsOnce) {
    CommandListCollector lists({/*max_commands=*/3, /*max_bytes=*/1000});
    EXPECT_EQ(lists.feed("command_list_begin"), CommandListCollector::Step::begun);
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(lists.feed("ping"), CommandListCollector::Step::queued);
    }
    EXPECT_EQ(lists.size(), 0U); // freed at the overflow
    EXPECT_EQ(lists.feed("command_list_end"), CommandListCollector::Step::too_long);
    EXPECT_FALSE(lists.active());
    // The collector is usable again.
    EXPECT_EQ(lists.feed("command_list_begin"), CommandListCollector::Step::begun);
    EXPECT_EQ(lists.feed("ping"), CommandListCollector::Step::queued);
    EXPECT_EQ(lists.feed("command_list_end"), CommandListCollector::Step::complete);
    EXPECT_EQ(lists.take().lines.size(), 1U);
}

TEST(CommandList, ByteLimit) {
    CommandListCollector lists({/*max_commands=*/100, /*max_bytes=*/20});
    lists.feed("command_list_begin");
    lists.feed("add 0123456789"); // 15 bytes with the newline
    EXPECT_EQ(lists.size(), 1U);
    lists.feed("add 0123456789");
    EXPECT_EQ(lists.feed("command_list_end"), CommandListCollector::Step::too_long);
}

} // namespace
