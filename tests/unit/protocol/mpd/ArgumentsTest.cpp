#include "protocol/mpd/Arguments.hpp"

#include "protocol/mpd/Ack.hpp"

#include <gtest/gtest.h>

using namespace tinyice::protocol::mpd;

namespace {

// The ACK code and message an argument parser throws.
template <typename F>
std::string failure(F&& f) {
    try {
        f();
    } catch (const CommandError& e) {
        EXPECT_EQ(e.code(), Ack::arg);
        return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
}

TEST(Arguments, Unsigned) {
    EXPECT_EQ(parse_unsigned("0"), 0U);
    EXPECT_EQ(parse_unsigned("4294967295"), 4294967295U);
    EXPECT_EQ(parse_unsigned("18446744073709551615", UINT64_MAX), UINT64_MAX);
    EXPECT_EQ(failure([] { (void)parse_unsigned("4294967296"); }), "Number too large: 4294967296");
    EXPECT_EQ(failure([] { (void)parse_unsigned("99999999999999999999999", UINT64_MAX); }),
              "Number too large: 99999999999999999999999");
    EXPECT_EQ(failure([] { (void)parse_unsigned("-1"); }), "Integer expected: -1");
    EXPECT_EQ(failure([] { (void)parse_unsigned(""); }), "Integer expected: ");
    EXPECT_EQ(failure([] { (void)parse_unsigned("1x"); }), "Integer expected: 1x");
    EXPECT_EQ(failure([] { (void)parse_unsigned(" 1"); }), "Integer expected:  1");
    EXPECT_EQ(failure([] { (void)parse_unsigned("101", 100); }), "Number too large: 101");
}

TEST(Arguments, SignedInteger) {
    EXPECT_EQ(parse_integer("+10", -100, 100), 10);
    EXPECT_EQ(parse_integer("-10", -100, 100), -10);
    EXPECT_EQ(parse_integer("7", -100, 100), 7);
    EXPECT_EQ(failure([] { (void)parse_integer("-101", -100, 100); }), "Number out of range: -101");
    EXPECT_EQ(failure([] { (void)parse_integer("+", -100, 100); }), "Integer expected: +");
    EXPECT_EQ(failure([] { (void)parse_integer("--1", -100, 100); }), "Integer expected: --1");
}

TEST(Arguments, Bool) {
    EXPECT_FALSE(parse_bool("0"));
    EXPECT_TRUE(parse_bool("1"));
    EXPECT_EQ(failure([] { (void)parse_bool("on"); }), "Boolean (0/1) expected: on");
    EXPECT_EQ(failure([] { (void)parse_bool("2"); }), "Boolean (0/1) expected: 2");
}

TEST(Arguments, Seconds) {
    EXPECT_DOUBLE_EQ(parse_seconds("12"), 12.0);
    EXPECT_DOUBLE_EQ(parse_seconds("12.5"), 12.5);
    EXPECT_DOUBLE_EQ(parse_seconds(".5"), 0.5);
    EXPECT_EQ(failure([] { (void)parse_seconds("-1"); }), "Number expected: -1");
    EXPECT_EQ(failure([] { (void)parse_seconds("1.2.3"); }), "Number expected: 1.2.3");
    EXPECT_EQ(failure([] { (void)parse_seconds("inf"); }), "Number expected: inf");
    EXPECT_EQ(failure([] { (void)parse_seconds("nan"); }), "Number expected: nan");
    EXPECT_EQ(failure([] { (void)parse_seconds("."); }), "Number expected: .");
    EXPECT_EQ(failure([] { (void)parse_seconds("1e400"); }), "Number expected: 1e400");
    EXPECT_EQ(failure([] { (void)parse_seconds("99999999999"); }), "Number too large: 99999999999");
}

TEST(Arguments, TimeOffset) {
    auto t = parse_time_offset("30");
    EXPECT_FALSE(t.relative);
    EXPECT_DOUBLE_EQ(t.seconds, 30);
    t = parse_time_offset("+5.5");
    EXPECT_TRUE(t.relative);
    EXPECT_DOUBLE_EQ(t.seconds, 5.5);
    t = parse_time_offset("-5");
    EXPECT_TRUE(t.relative);
    EXPECT_DOUBLE_EQ(t.seconds, -5);
    EXPECT_EQ(failure([] { (void)parse_time_offset("+-5"); }), "Number expected: +-5");
}

TEST(Arguments, Ranges) {
    EXPECT_EQ(parse_range("5"), (Range{5, 6}));
    EXPECT_EQ(parse_range("3:7"), (Range{3, 7}));
    EXPECT_EQ(parse_range("3:3"), (Range{3, 3}));
    const auto open = parse_range("3:");
    EXPECT_EQ(open.start, 3U);
    EXPECT_TRUE(open.open_ended());
    const auto all = parse_range("-1");
    EXPECT_EQ(all.start, 0U);
    EXPECT_TRUE(all.open_ended());
    EXPECT_EQ(failure([] { (void)parse_range("7:3"); }), "Bad range: 7:3");
    EXPECT_EQ(failure([] { (void)parse_range(":3"); }), "Integer expected: ");
    EXPECT_EQ(failure([] { (void)parse_range("1:2:3"); }), "Integer expected: 2:3");
    EXPECT_EQ(failure([] { (void)parse_range("-2"); }), "Integer expected: -2");
}

TEST(Arguments, RangeClamp) {
    EXPECT_EQ(parse_range("3:").clamped(10), (Range{3, 10}));
    EXPECT_EQ(parse_range("3:20").clamped(10), (Range{3, 10}));
    EXPECT_EQ(parse_range("12:20").clamped(10), (Range{10, 10}));
}

} // namespace
