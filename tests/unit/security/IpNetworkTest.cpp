#include "security/IpNetwork.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tinyice::security {
namespace {

IpAddress addr(std::string_view text) {
    const auto a = IpAddress::parse(text);
    EXPECT_TRUE(a.has_value()) << text;
    return a.value_or(IpAddress{});
}

IpNetwork net(std::string_view text) {
    std::string error;
    const auto n = IpNetwork::parse(text, &error);
    EXPECT_TRUE(n.has_value()) << text << ": " << error;
    return n.value_or(IpNetwork{});
}

TEST(IpAddress, ParsesIpv4AsV4Mapped) {
    const IpAddress a = addr("1.2.3.4");
    const std::array<std::uint8_t, 16> expected{0, 0, 0,    0,    0, 0, 0, 0,
                                                0, 0, 0xff, 0xff, 1, 2, 3, 4};
    EXPECT_EQ(a.bytes, expected);
    EXPECT_TRUE(a.is_v4());
    EXPECT_EQ(a.to_string(), "1.2.3.4");
    EXPECT_EQ(addr("0.0.0.0").to_string(), "0.0.0.0");
    EXPECT_EQ(addr("255.255.255.255").to_string(), "255.255.255.255");
}

TEST(IpAddress, V4MappedTextIsTheSameAddress) {
    EXPECT_EQ(addr("::ffff:1.2.3.4"), addr("1.2.3.4"));
    EXPECT_EQ(addr("::FFFF:0102:0304"), addr("1.2.3.4"));
    EXPECT_EQ(addr("0:0:0:0:0:ffff:1.2.3.4"), addr("1.2.3.4"));
    EXPECT_EQ(addr("::ffff:1.2.3.4").to_string(), "1.2.3.4");
    EXPECT_TRUE(addr("::ffff:1.2.3.4").is_v4());
    // v4-compatible (::a.b.c.d, deprecated) and NAT64 forms are IPv6, not IPv4.
    EXPECT_FALSE(addr("::1.2.3.4").is_v4());
    EXPECT_EQ(addr("::1.2.3.4").to_string(), "::102:304");
    EXPECT_FALSE(addr("64:ff9b::1.2.3.4").is_v4());
}

TEST(IpAddress, ParsesIpv6) {
    const IpAddress loopback = addr("::1");
    std::array<std::uint8_t, 16> expected{};
    expected[15] = 1;
    EXPECT_EQ(loopback.bytes, expected);
    EXPECT_FALSE(loopback.is_v4());
    EXPECT_EQ(addr("::").bytes, (std::array<std::uint8_t, 16>{}));
    EXPECT_EQ(addr("2001:db8::1"), addr("2001:0DB8:0000:0000:0000:0000:0000:0001"));
    EXPECT_EQ(addr("1:2:3:4:5:6:7::"), addr("1:2:3:4:5:6:7:0"));
    EXPECT_EQ(addr("::2:3:4:5:6:7:8"), addr("0:2:3:4:5:6:7:8"));
    EXPECT_EQ(addr("1:2:3:4:5:6:1.2.3.4"), addr("1:2:3:4:5:6:102:304"));
}

TEST(IpAddress, CanonicalIpv6Text) {
    // RFC 5952: lower case, no leading zeros, longest zero run compressed (first on a tie),
    // a single zero group is not compressed.
    EXPECT_EQ(addr("2001:0DB8:0000:0000:0000:0000:0000:0001").to_string(), "2001:db8::1");
    EXPECT_EQ(addr("2001:db8:0:0:1:0:0:1").to_string(), "2001:db8::1:0:0:1");
    EXPECT_EQ(addr("2001:db8:0:1:1:1:1:1").to_string(), "2001:db8:0:1:1:1:1:1");
    EXPECT_EQ(addr("2001:0:0:1:0:0:0:1").to_string(), "2001:0:0:1::1");
    EXPECT_EQ(addr("::").to_string(), "::");
    EXPECT_EQ(addr("::1").to_string(), "::1");
    EXPECT_EQ(addr("1::").to_string(), "1::");
    EXPECT_EQ(addr("fe80::").to_string(), "fe80::");
}

TEST(IpAddress, ZoneIsAcceptedAndDropped) {
    EXPECT_EQ(addr("fe80::1%eth0"), addr("fe80::1"));
    EXPECT_EQ(addr("fe80::1%2"), addr("fe80::1"));
    EXPECT_FALSE(IpAddress::parse("fe80::1%"));
    EXPECT_FALSE(IpAddress::parse("fe80::1%eth 0"));
    EXPECT_FALSE(IpAddress::parse("1.2.3.4%eth0"));
}

TEST(IpAddress, RejectsMalformedText) {
    for (const char* bad : {"",
                            "1.2.3",
                            "1.2.3.4.5",
                            "1.2.3.256",
                            "1.2.3.-1",
                            "01.2.3.4",
                            "1.2.3.04",
                            "1..3.4",
                            ".1.2.3",
                            "1.2.3.4.",
                            " 1.2.3.4",
                            "1.2.3.4 ",
                            "1.2.3.4\n",
                            "1.2.3.4/32",
                            "a.b.c.d",
                            "1.2.3.0x4",
                            "::g",
                            ":::",
                            "1:::2",
                            "::1::",
                            "1::2::3",
                            ":1::",
                            "1::2:",
                            ":",
                            "1:2",
                            "1:2:3:4:5:6:7",
                            "1:2:3:4:5:6:7:8:9",
                            "1:2:3:4:5:6:7:8::",
                            "::1:2:3:4:5:6:7:8",
                            "12345::",
                            "[::1]",
                            "::1 ",
                            "::ffff:1.2.3",
                            "::ffff:1.2.3.4:5",
                            "1.2.3.4::",
                            "::1.2.3.4.5",
                            "1:2:3:4:5:6:7:1.2.3.4",
                            "::1:2:3:4:5:6:1.2.3.4",
                            "localhost",
                            "1.2.3.4:80"}) {
        EXPECT_FALSE(IpAddress::parse(bad)) << '"' << bad << '"';
    }
    EXPECT_FALSE(IpAddress::parse(std::string("1.2.3.4\0", 8)));
    EXPECT_FALSE(IpAddress::parse(std::string(1000, '1')));
}

TEST(IpAddress, FromSocketBytes) {
    EXPECT_EQ(IpAddress::from_v4({10, 1, 2, 3}), addr("10.1.2.3"));
    std::array<std::uint8_t, 16> v6{};
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[15] = 7;
    EXPECT_EQ(IpAddress::from_v6(v6), addr("2001::7"));
}

TEST(IpAddress, Masked) {
    EXPECT_EQ(addr("10.1.2.3").masked(96 + 8), addr("10.0.0.0"));
    EXPECT_EQ(addr("2001:db8:1:2:3:4:5:6").masked(64), addr("2001:db8:1:2::"));
    EXPECT_EQ(addr("ffff::").masked(3), addr("e000::"));
    EXPECT_EQ(addr("1.2.3.4").masked(128), addr("1.2.3.4"));
    EXPECT_EQ(addr("1.2.3.4").masked(0), addr("::"));
    EXPECT_EQ(addr("1.2.3.4").masked(500), addr("1.2.3.4")); // clamped
    EXPECT_EQ(addr("1.2.3.4").masked(-1), addr("::"));
}

TEST(IpNetwork, ParsesHostsAndRanges) {
    const IpNetwork host = net("1.2.3.4");
    EXPECT_EQ(host.prefix, 128);
    EXPECT_EQ(host.base, addr("1.2.3.4"));
    EXPECT_EQ(net("10.0.0.0/8").prefix, 104);
    EXPECT_EQ(net("::1").prefix, 128);
    EXPECT_EQ(net("2001:db8::/32").prefix, 32);
    EXPECT_EQ(net("::ffff:10.0.0.0/104"), net("10.0.0.0/8"));
    EXPECT_EQ(net("1.2.3.4/32"), net("1.2.3.4"));
    EXPECT_EQ(net("::1/128"), net("::1"));
}

TEST(IpNetwork, HostBitsAreMasked) {
    EXPECT_EQ(net("10.0.0.1/8").base, addr("10.0.0.0"));
    EXPECT_EQ(net("10.0.0.1/8").to_string(), "10.0.0.0/8");
    EXPECT_EQ(net("2001:db8::ff/120").to_string(), "2001:db8::/120");
    EXPECT_EQ(net("192.168.1.77/23").to_string(), "192.168.0.0/23");
}

TEST(IpNetwork, CanonicalText) {
    EXPECT_EQ(net("10.0.0.0/8").to_string(), "10.0.0.0/8");
    EXPECT_EQ(net("2001:DB8::/32").to_string(), "2001:db8::/32");
    EXPECT_EQ(net("1.2.3.4").to_string(), "1.2.3.4");
    EXPECT_EQ(net("1.2.3.4/32").to_string(), "1.2.3.4");
    EXPECT_EQ(net("::ffff:10.0.0.0/104").to_string(), "10.0.0.0/8");
    EXPECT_EQ(net("0.0.0.0/0").to_string(), "0.0.0.0/0");
    EXPECT_EQ(net("::/0").to_string(), "::/0");
    EXPECT_EQ(net("::1").to_string(), "::1");
    EXPECT_EQ(net("::ffff:0:0/95").to_string(), "::fffe:0:0/95");
    for (const char* text : {"10.0.0.0/8", "2001:db8::/32", "1.2.3.4", "0.0.0.0/0", "::/0",
                             "::ffff:0:0/95", "fe80::/10", "::1", "1.2.3.128/25"}) {
        EXPECT_EQ(net(net(text).to_string()), net(text)) << text;
    }
}

TEST(IpNetwork, RejectsMalformedText) {
    for (const char* bad :
         {"", "1.2.3", "::g", "1.2.3.4/33", "::/129", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/+8",
          "1.2.3.4/08", "1.2.3.4/8/8", "1.2.3.4 /8", "1.2.3.4/ 8", " 10.0.0.0/8", "10.0.0.0/8 ",
          "/8", "fe80::1%eth0", "fe80::/10%eth0", "10.0.0.0/8a", "1.2.3.4/1000"}) {
        std::string error;
        EXPECT_FALSE(IpNetwork::parse(bad, &error)) << '"' << bad << '"';
        EXPECT_FALSE(error.empty()) << '"' << bad << '"';
    }
    EXPECT_FALSE(IpNetwork::parse("1.2.3.4/33")); // no error string requested
}

TEST(IpNetwork, ErrorMessagesNameTheProblem) {
    std::string error;
    EXPECT_FALSE(IpNetwork::parse("1.2.3.4/33", &error));
    EXPECT_NE(error.find("0 to 32"), std::string::npos) << error;
    EXPECT_FALSE(IpNetwork::parse("::/129", &error));
    EXPECT_NE(error.find("0 to 128"), std::string::npos) << error;
    EXPECT_FALSE(IpNetwork::parse("1.2.3/8", &error));
    EXPECT_NE(error.find("'1.2.3' is not an IPv4 or IPv6 address"), std::string::npos) << error;
    // Control bytes never reach a log line.
    EXPECT_FALSE(IpNetwork::parse("evil\r\nline", &error));
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_FALSE(IpNetwork::parse(std::string(500, 'x'), &error));
    EXPECT_LT(error.size(), 200U) << error;
}

TEST(IpNetwork, ContainsAtTheEdges) {
    const IpNetwork ten = net("10.0.0.0/8");
    EXPECT_TRUE(ten.contains(addr("10.0.0.0")));
    EXPECT_TRUE(ten.contains(addr("10.255.255.255")));
    EXPECT_FALSE(ten.contains(addr("11.0.0.0")));
    EXPECT_FALSE(ten.contains(addr("9.255.255.255")));
    EXPECT_TRUE(ten.contains(addr("::ffff:10.1.2.3")));
    EXPECT_FALSE(ten.contains(addr("::a01:203"))); // v4-compatible is not v4

    const IpNetwork host32 = net("192.0.2.7/32");
    EXPECT_TRUE(host32.contains(addr("192.0.2.7")));
    EXPECT_FALSE(host32.contains(addr("192.0.2.6")));
    EXPECT_FALSE(host32.contains(addr("192.0.2.8")));

    const IpNetwork all_v4 = net("0.0.0.0/0");
    EXPECT_TRUE(all_v4.contains(addr("0.0.0.0")));
    EXPECT_TRUE(all_v4.contains(addr("255.255.255.255")));
    EXPECT_FALSE(all_v4.contains(addr("::1")));
    EXPECT_FALSE(all_v4.contains(addr("2001:db8::1")));

    const IpNetwork everything = net("::/0");
    EXPECT_TRUE(everything.contains(addr("::1")));
    EXPECT_TRUE(everything.contains(addr("1.2.3.4")));
    EXPECT_TRUE(everything.contains(addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));

    const IpNetwork host128 = net("2001:db8::1");
    EXPECT_TRUE(host128.contains(addr("2001:db8::1")));
    EXPECT_FALSE(host128.contains(addr("2001:db8::")));
    EXPECT_FALSE(host128.contains(addr("2001:db8::3")));

    const IpNetwork pair127 = net("2001:db8::2/127");
    EXPECT_TRUE(pair127.contains(addr("2001:db8::2")));
    EXPECT_TRUE(pair127.contains(addr("2001:db8::3")));
    EXPECT_FALSE(pair127.contains(addr("2001:db8::1")));
    EXPECT_FALSE(pair127.contains(addr("2001:db8::4")));

    const IpNetwork odd = net("192.168.0.0/23");
    EXPECT_TRUE(odd.contains(addr("192.168.1.255")));
    EXPECT_FALSE(odd.contains(addr("192.168.2.0")));

    const IpNetwork doc = net("2001:db8::/32");
    EXPECT_TRUE(doc.contains(addr("2001:db8:ffff::1")));
    EXPECT_FALSE(doc.contains(addr("2001:db9::1")));
}

TEST(IpNetwork, HandBuiltNetworkIgnoresHostBits) {
    const IpNetwork n{addr("10.9.9.9"), 104}; // not masked by anyone
    EXPECT_TRUE(n.contains(addr("10.0.0.1")));
    EXPECT_EQ(n.to_string(), "10.0.0.0/8");
}

TEST(IpSet, MixedRules) {
    IpSet set;
    EXPECT_TRUE(set.empty());
    EXPECT_FALSE(set.contains(addr("10.0.0.1")));
    set.add(net("10.0.0.0/8"));
    set.add(net("192.168.1.5"));
    set.add(net("2001:db8::/32"));
    set.add(net("::1"));
    set.add(net("172.16.0.0/12"));
    EXPECT_EQ(set.size(), 5U);
    EXPECT_FALSE(set.empty());

    EXPECT_TRUE(set.contains(addr("10.200.0.1")));
    EXPECT_TRUE(set.contains(addr("::ffff:10.200.0.1")));
    EXPECT_TRUE(set.contains(addr("192.168.1.5")));
    EXPECT_FALSE(set.contains(addr("192.168.1.6")));
    EXPECT_TRUE(set.contains(addr("2001:db8:1::5")));
    EXPECT_TRUE(set.contains(addr("::1")));
    EXPECT_TRUE(set.contains(addr("172.31.255.255")));
    EXPECT_FALSE(set.contains(addr("172.32.0.0")));
    EXPECT_FALSE(set.contains(addr("::2")));
    EXPECT_FALSE(set.contains(addr("8.8.8.8")));
    EXPECT_FALSE(set.contains(addr("2001:db9::1")));
}

TEST(IpSet, DuplicatesAndRemoval) {
    IpSet set;
    set.add(net("10.0.0.0/8"));
    set.add(net("10.1.2.3/8")); // same rule after masking
    set.add(net("::ffff:10.0.0.0/104"));
    EXPECT_EQ(set.size(), 1U);
    set.add(net("10.1.0.0/16"));
    EXPECT_EQ(set.size(), 2U);

    EXPECT_TRUE(set.remove(net("10.0.0.0/8")));
    EXPECT_FALSE(set.remove(net("10.0.0.0/8")));
    EXPECT_EQ(set.size(), 1U);
    EXPECT_TRUE(set.contains(addr("10.1.5.5"))); // the narrower rule stays
    EXPECT_FALSE(set.contains(addr("10.2.5.5")));

    set.clear();
    EXPECT_TRUE(set.empty());
    EXPECT_FALSE(set.contains(addr("10.1.5.5")));
    set.add(net("::/0"));
    EXPECT_TRUE(set.contains(addr("10.1.5.5")));
}

TEST(IpSet, ManyRulesAgreeWithLinearScan) {
    IpSet set;
    std::vector<IpNetwork> rules;
    for (int i = 0; i < 1500; ++i) {
        // A deterministic spread of v4 hosts, v4 ranges and v6 ranges of many lengths.
        const auto b = static_cast<std::uint8_t>(i * 37);
        const auto c = static_cast<std::uint8_t>(i * 11);
        IpNetwork n;
        if (i % 3 == 0) {
            n = IpNetwork{IpAddress::from_v4({100, b, c, 1}), 96 + 16 + i % 17};
        } else if (i % 3 == 1) {
            n = IpNetwork{IpAddress::from_v4({50, b, c, static_cast<std::uint8_t>(i)}), 128};
        } else {
            std::array<std::uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8, b, c};
            n = IpNetwork{IpAddress::from_v6(v6).masked(40 + i % 60), 40 + i % 60};
        }
        set.add(n);
        rules.push_back(n);
    }
    int hits = 0;
    for (int i = 0; i < 1000; ++i) {
        const auto b = static_cast<std::uint8_t>(i * 13);
        const auto c = static_cast<std::uint8_t>(i * 7);
        std::array<std::uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8, b, c, 1, 2, 3};
        for (const IpAddress& a : {IpAddress::from_v4({100, b, c, 9}),
                                   IpAddress::from_v4({50, b, c, static_cast<std::uint8_t>(i)}),
                                   IpAddress::from_v6(v6)}) {
            const bool linear = std::any_of(rules.begin(), rules.end(),
                                            [&](const auto& r) { return r.contains(a); });
            ASSERT_EQ(set.contains(a), linear) << a.to_string();
            hits += linear ? 1 : 0;
        }
    }
    EXPECT_GT(hits, 100); // the probe mix exercises both answers
    EXPECT_LT(hits, 3000);
}

TEST(Anonymize, KeepsNetworkPart) {
    EXPECT_EQ(anonymize(addr("1.2.3.4")), "1.2.3.0");
    EXPECT_EQ(anonymize(addr("::ffff:203.0.113.99")), "203.0.113.0");
    EXPECT_EQ(anonymize(addr("2001:db8:1:2:3:4:5:6")), "2001:db8:1::");
    EXPECT_EQ(anonymize(addr("2001:db8:1::")), "2001:db8:1::");
    EXPECT_EQ(anonymize(addr("::1")), "::");
}

TEST(IpAddressHash, EqualAddressesHashEqual) {
    const IpAddressHash h;
    EXPECT_EQ(h(addr("1.2.3.4")), h(addr("::ffff:1.2.3.4")));
    EXPECT_NE(h(addr("1.2.3.4")), h(addr("1.2.3.5")));
}

} // namespace
} // namespace tinyice::security
