#include "protocol/icecast/Utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tinyice::protocol::icecast {
namespace {

using namespace std::string_literals;
constexpr const char* fffd = "\xef\xbf\xbd";

TEST(Utf8, Validity) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("abc \xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5"));
    EXPECT_FALSE(is_valid_utf8("\xc0\x80"));         // overlong NUL
    EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));     // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // > U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xe2\x82"));         // truncated
    EXPECT_FALSE(is_valid_utf8("\x80"));
    EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(Utf8, RepairUsesMaximalSubparts) {
    EXPECT_EQ(repair_utf8("ok"), "ok");
    EXPECT_EQ(repair_utf8("a\xffz"), "a"s + fffd + "z");
    // A truncated 3-byte sequence is one replacement, not two.
    EXPECT_EQ(repair_utf8("a\xe2\x82z"), "a"s + fffd + "z");
    EXPECT_EQ(repair_utf8("\xc0\x80"), std::string(fffd) + fffd);
    EXPECT_EQ(repair_utf8("\xe2\x82"), fffd);
    EXPECT_TRUE(is_valid_utf8(repair_utf8("\xf0\x9f\x8e\xb5\xf0\x9f\x8e")));
}

TEST(Utf8, PrefixLength) {
    const std::string s = "ab\xe2\x82\xac"
                          "cd"; // a b € c d
    EXPECT_EQ(utf8_prefix_length(s, 0), 0U);
    EXPECT_EQ(utf8_prefix_length(s, 2), 2U);
    EXPECT_EQ(utf8_prefix_length(s, 3), 2U);
    EXPECT_EQ(utf8_prefix_length(s, 4), 2U);
    EXPECT_EQ(utf8_prefix_length(s, 5), 5U);
    EXPECT_EQ(utf8_prefix_length(s, 100), s.size());
    // Latin-1 bytes are not mistaken for sequences.
    const std::string latin1 = "caf\xe9 \xa9\xa9\xa9";
    for (std::size_t n = 0; n <= latin1.size(); ++n) {
        EXPECT_EQ(utf8_prefix_length(latin1, n), n);
    }
}

} // namespace
} // namespace tinyice::protocol::icecast
