#include "protocol/http/Forwarded.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

using tinyice::protocol::http::client_address;
using tinyice::protocol::http::forwarded_https;
using tinyice::protocol::http::max_forwarded_hops;

namespace {

// Trusts a fixed set of address texts and records what it was asked.
struct Trust {
    std::set<std::string, std::less<>> trusted;
    mutable std::vector<std::string> asked;

    bool operator()(std::string_view a) const {
        asked.emplace_back(a);
        return trusted.contains(a);
    }
};

std::string resolve(std::string_view peer, std::vector<std::string_view> xff,
                    std::optional<std::string_view> real_ip, const Trust& trust) {
    return client_address(peer, xff, real_ip, std::cref(trust));
}

TEST(ClientAddress, UntrustedPeerIgnoresHeaders) {
    const Trust trust{{"10.0.0.1"}};
    EXPECT_EQ(resolve("203.0.113.5", {"198.51.100.1"}, "198.51.100.2", trust), "203.0.113.5");
    // The headers were not even looked at.
    EXPECT_EQ(trust.asked, std::vector<std::string>{"203.0.113.5"});
}

TEST(ClientAddress, OneTrustedProxy) {
    const Trust trust{{"10.0.0.1"}};
    EXPECT_EQ(resolve("10.0.0.1", {"198.51.100.7"}, std::nullopt, trust), "198.51.100.7");
}

TEST(ClientAddress, ChainWhereOnlyTheLastProxyIsTrusted) {
    // client, proxy1, proxy2: proxy2 is the peer and trusted; it vouches for proxy1 only.
    const Trust trust{{"10.0.0.2"}};
    EXPECT_EQ(resolve("10.0.0.2", {"198.51.100.7, 192.0.2.1"}, std::nullopt, trust), "192.0.2.1");
}

TEST(ClientAddress, ChainOfTrustedProxies) {
    const Trust trust{{"10.0.0.1", "10.0.0.2", "10.0.0.3"}};
    EXPECT_EQ(resolve("10.0.0.3", {"198.51.100.7, 10.0.0.1, 10.0.0.2"}, std::nullopt, trust),
              "198.51.100.7");
}

TEST(ClientAddress, SpoofedLeftEntriesAreIgnored) {
    // The client sent "X-Forwarded-For: 10.0.0.1, 1.1.1.1" itself; our proxy appended its address.
    const Trust trust{{"10.0.0.1", "10.0.0.9"}};
    EXPECT_EQ(resolve("10.0.0.9", {"10.0.0.1, 1.1.1.1, 203.0.113.5"}, std::nullopt, trust),
              "203.0.113.5");
    // Garbage the client wrote further left is never reached either.
    EXPECT_EQ(resolve("10.0.0.9", {"<script>, not-an-ip, 203.0.113.5"}, std::nullopt, trust),
              "203.0.113.5");
}

TEST(ClientAddress, SeveralHeadersAreOneList) {
    const Trust trust{{"10.0.0.1", "10.0.0.2"}};
    EXPECT_EQ(resolve("10.0.0.2", {"198.51.100.7", "10.0.0.1"}, std::nullopt, trust),
              "198.51.100.7");
    EXPECT_EQ(resolve("10.0.0.2", {"198.51.100.7, 10.0.0.1", "", " , "}, std::nullopt, trust),
              "198.51.100.7");
}

TEST(ClientAddress, AllTrustedMeansLeftMostIsTheClient) {
    const Trust trust{{"10.0.0.1", "10.0.0.2", "10.0.0.50"}};
    EXPECT_EQ(resolve("10.0.0.2", {"10.0.0.50, 10.0.0.1"}, std::nullopt, trust), "10.0.0.50");
}

TEST(ClientAddress, PortsAndBracketsAreStripped) {
    const Trust trust{{"10.0.0.1", "::1"}};
    EXPECT_EQ(resolve("10.0.0.1", {"198.51.100.7:51234"}, std::nullopt, trust), "198.51.100.7");
    EXPECT_EQ(resolve("10.0.0.1", {"[2001:db8::7]:443"}, std::nullopt, trust), "2001:db8::7");
    EXPECT_EQ(resolve("10.0.0.1", {"[2001:db8::7]"}, std::nullopt, trust), "2001:db8::7");
    EXPECT_EQ(resolve("10.0.0.1", {"2001:db8::7"}, std::nullopt, trust), "2001:db8::7");
    // The trust test saw the bare address.
    EXPECT_EQ(resolve("10.0.0.1", {"198.51.100.7, [::1]:8080"}, std::nullopt, trust),
              "198.51.100.7");
    EXPECT_EQ(resolve("::1", {"::ffff:198.51.100.7"}, std::nullopt, trust), "::ffff:198.51.100.7");
}

TEST(ClientAddress, GarbageFallsBackToPeer) {
    const Trust trust{{"10.0.0.1"}};
    for (std::string_view bad :
         {"unknown", "example.com", "1.2.3", "1.2.3.4.5", "01.2.3.4", "::g", "[::1", "[::1]x",
          "[::1]:", "[::1]:123456", "1.2.3.4:", "1.2.3.4:http", "2001:db8::1:80x",
          "1.2.3.4 5.6.7.8", "fe80::1%eth0", "\x01", "[1.2.3.4]"}) {
        EXPECT_EQ(resolve("10.0.0.1", {bad}, "198.51.100.9", trust), "10.0.0.1") << bad;
    }
    // Garbage behind a trusted hop: the chain cannot be followed past it.
    EXPECT_EQ(resolve("10.0.0.1", {"198.51.100.7, junk, 10.0.0.1"}, std::nullopt, trust),
              "10.0.0.1");
}

TEST(ClientAddress, RealIpOnlyWithoutForwardedFor) {
    const Trust trust{{"10.0.0.1"}};
    EXPECT_EQ(resolve("10.0.0.1", {}, "198.51.100.9", trust), "198.51.100.9");
    EXPECT_EQ(resolve("10.0.0.1", {" , "}, " 198.51.100.9 ", trust), "198.51.100.9");
    EXPECT_EQ(resolve("10.0.0.1", {"198.51.100.7"}, "198.51.100.9", trust), "198.51.100.7");
    EXPECT_EQ(resolve("10.0.0.1", {}, "[2001:db8::9]:1", trust), "2001:db8::9");
    EXPECT_EQ(resolve("10.0.0.1", {}, "garbage", trust), "10.0.0.1");
    EXPECT_EQ(resolve("10.0.0.1", {}, "", trust), "10.0.0.1");
    EXPECT_EQ(resolve("10.0.0.1", {}, std::nullopt, trust), "10.0.0.1");
}

TEST(ClientAddress, OverlongTrustedChainFallsBackToPeer) {
    const Trust trust{{"10.0.0.1"}};
    std::string chain = "198.51.100.7";
    for (std::size_t i = 0; i < max_forwarded_hops; ++i) {
        chain += ", 10.0.0.1";
    }
    EXPECT_EQ(resolve("10.0.0.1", {chain}, std::nullopt, trust), "10.0.0.1");
    // One hop less is still followed.
    const std::string shorter = chain.substr(0, chain.size() - std::string(", 10.0.0.1").size());
    EXPECT_EQ(resolve("10.0.0.1", {shorter}, std::nullopt, trust), "198.51.100.7");
}

TEST(ForwardedHttps, LeftMostValue) {
    EXPECT_TRUE(forwarded_https("https"));
    EXPECT_TRUE(forwarded_https("HTTPS"));
    EXPECT_TRUE(forwarded_https(" https , http"));
    EXPECT_FALSE(forwarded_https("http, https"));
    EXPECT_FALSE(forwarded_https("http"));
    EXPECT_FALSE(forwarded_https(""));
    EXPECT_FALSE(forwarded_https("httpsx"));
    EXPECT_FALSE(forwarded_https("wss"));
}

} // namespace
