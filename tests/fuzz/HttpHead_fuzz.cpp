// Fuzzes the request-head reader and the helpers the server runs on its pieces.
// Input: [cap selector][fragmentation seed][wire bytes...]. The same bytes are parsed in one
// feed and in seeded random fragments; both must agree (the incremental scan must not depend
// on how TCP splits the head), and every accepted head must satisfy the documented invariants.

#include "protocol/http/Ascii.hpp"
#include "protocol/http/Auth.hpp"
#include "protocol/http/Query.hpp"
#include "protocol/http/RequestHead.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace tinyice::protocol::http;

namespace {

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

bool is_ctl_not_tab(char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
}

struct Parsed {
    RequestHeadParser::Status status;
    HeadError error;
    std::size_t consumed;
};

Parsed parse_fragmented(RequestHeadParser& parser, std::string_view wire, std::uint32_t seed) {
    Parsed out{RequestHeadParser::Status::need_more, HeadError::none, 0};
    std::size_t offset = 0;
    while (offset < wire.size()) {
        seed = seed * 1103515245U + 12345U;
        const std::size_t piece =
            std::min<std::size_t>(1 + (seed >> 16U) % 17, wire.size() - offset);
        std::size_t consumed = 0;
        out.status = parser.feed({wire.data() + offset, piece}, consumed);
        FUZZ_CHECK(consumed <= piece);
        out.consumed += consumed;
        if (out.status != RequestHeadParser::Status::need_more) {
            break;
        }
        FUZZ_CHECK(consumed == piece);
        offset += piece;
    }
    out.error = parser.error();
    return out;
}

void check_mount(std::string_view raw) {
    const auto mount = normalize_mount_path(raw);
    if (!mount) {
        return;
    }
    FUZZ_CHECK(!mount->empty() && mount->front() == '/');
    FUZZ_CHECK(mount->size() <= max_mount_path);
    FUZZ_CHECK(mount->find("//") == std::string::npos);
    FUZZ_CHECK(mount->find("/./") == std::string::npos);
    FUZZ_CHECK(mount->find("/../") == std::string::npos);
    FUZZ_CHECK(!mount->ends_with("/.") && !mount->ends_with("/.."));
    for (char c : *mount) {
        FUZZ_CHECK(!is_ctl_not_tab(c) && c != '\t' && c != '\\');
    }
}

void check_query(std::string_view raw) {
    const QueryParams q(raw);
    FUZZ_CHECK(q.items().size() <= QueryParams::max_params);
    for (const auto& [k, v] : q.items()) {
        FUZZ_CHECK(k.size() <= QueryParams::max_value_bytes);
        FUZZ_CHECK(v.size() <= QueryParams::max_value_bytes);
        FUZZ_CHECK(q.has(k));
    }
}

void check_auth(std::string_view value) {
    const auto creds = parse_basic_auth(value);
    if (!creds) {
        return;
    }
    FUZZ_CHECK(creds->user.find(':') == std::string::npos);
    FUZZ_CHECK(creds->user.size() + creds->password.size() + 1 <= max_basic_credentials);
    for (char c : creds->user + creds->password) {
        FUZZ_CHECK(!is_ctl_not_tab(c) && c != '\t');
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::size_t cap = 64 + std::size_t{data[0]} * 8; // 64 .. 2104 bytes
    const std::uint32_t seed = data[1];
    const std::string_view wire(reinterpret_cast<const char*>(data + 2), size - 2);

    RequestHeadParser whole(cap);
    std::size_t whole_consumed = 0;
    const auto whole_status = whole.feed({wire.data(), wire.size()}, whole_consumed);
    FUZZ_CHECK(whole_consumed <= wire.size());
    FUZZ_CHECK(whole.buffered() <= cap);

    RequestHeadParser pieces(cap);
    const auto frag = parse_fragmented(pieces, wire, seed);

    // Fragmentation must not change the outcome.
    if (whole_status != RequestHeadParser::Status::need_more) {
        FUZZ_CHECK(frag.status == whole_status);
        FUZZ_CHECK(frag.error == whole.error());
    } else {
        FUZZ_CHECK(frag.status == RequestHeadParser::Status::need_more);
        FUZZ_CHECK(whole_consumed == wire.size());
    }

    if (whole_status == RequestHeadParser::Status::done) {
        FUZZ_CHECK(frag.consumed == whole_consumed);
        FUZZ_CHECK(whole.buffered() == whole_consumed);
        const auto& h = whole.head();
        const auto& h2 = pieces.head();
        FUZZ_CHECK(h.method == h2.method && h.target == h2.target && h.path == h2.path &&
                   h.query == h2.query && h.headers.size() == h2.headers.size());

        FUZZ_CHECK(is_token(h.method));
        FUZZ_CHECK(h.protocol == "HTTP" || h.protocol == "ICE");
        FUZZ_CHECK(h.version_major == 1 && h.version_minor >= 0 && h.version_minor <= 9);
        FUZZ_CHECK(!h.target.empty());
        FUZZ_CHECK((!h.path.empty() && h.path.front() == '/') ||
                   (h.path == "*" && h.method == "OPTIONS"));
        FUZZ_CHECK(h.path.find('?') == std::string_view::npos || h.path == "*");
        FUZZ_CHECK(h.headers.size() <= RequestHeadParser::max_headers);
        for (const auto& hd : h.headers) {
            FUZZ_CHECK(is_token(hd.name));
            FUZZ_CHECK(hd.value.empty() || (hd.value.front() != ' ' && hd.value.front() != '\t' &&
                                            hd.value.back() != ' ' && hd.value.back() != '\t'));
            for (char c : hd.value) {
                FUZZ_CHECK(!is_ctl_not_tab(c));
            }
            FUZZ_CHECK(whole.head().header(hd.name).has_value());
            check_auth(hd.value);
        }
        (void)h.has_token("Connection", "close");
        check_query(h.query);
        check_mount(h.path);

        // Keep-alive reuse: after reset the same parser parses the rest like a fresh one.
        RequestHeadParser fresh(cap);
        std::size_t c1 = 0;
        std::size_t c2 = 0;
        const auto rest = wire.substr(whole_consumed);
        whole.reset();
        const auto s1 = whole.feed({rest.data(), rest.size()}, c1);
        const auto s2 = fresh.feed({rest.data(), rest.size()}, c2);
        FUZZ_CHECK(s1 == s2 && c1 == c2 && whole.error() == fresh.error());
    }

    // The helpers on raw slices of the input.
    const auto half = wire.size() / 2;
    check_auth(wire);
    check_query(wire);
    check_mount(wire);
    check_mount(wire.substr(half));

    const auto encoded = base64_encode(wire);
    FUZZ_CHECK(base64_decode(encoded) == std::string(wire));
    if (const auto decoded = base64_decode(wire)) {
        FUZZ_CHECK(decoded->size() <= wire.size());
    }

    const auto key = wire.substr(0, half);
    const auto value = wire.substr(half);
    if (!key.empty() && key.size() <= QueryParams::max_value_bytes &&
        value.size() <= QueryParams::max_value_bytes) {
        const QueryParams q(url_encode(key) + "=" + url_encode(value));
        FUZZ_CHECK(q.items().size() == 1 && q.get(key) == std::string(value));
    }
    return 0;
}
