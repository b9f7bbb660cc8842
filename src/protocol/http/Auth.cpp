#include "protocol/http/Auth.hpp"

#include "protocol/http/Ascii.hpp"

#include <array>
#include <cstdint>

namespace tinyice::protocol::http {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t not_base64 = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
    std::array<std::uint8_t, 256> table{};
    table.fill(not_base64);
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return table;
}

constexpr auto decode_table = make_decode_table();

// Longest base64 text whose decoding can still fit max_basic_credentials.
constexpr std::size_t max_basic_token = (max_basic_credentials + 2) / 3 * 4;

} // namespace

std::string base64_encode(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) {
        return static_cast<unsigned char>(data[k]);
    };
    for (; i + 3 <= data.size(); i += 3) {
        const unsigned v = (byte(i) << 16U) | (byte(i + 1) << 8U) | byte(i + 2);
        out += alphabet[(v >> 18U) & 63U];
        out += alphabet[(v >> 12U) & 63U];
        out += alphabet[(v >> 6U) & 63U];
        out += alphabet[v & 63U];
    }
    const std::size_t left = data.size() - i;
    if (left == 1) {
        const unsigned v = byte(i) << 16U;
        out += alphabet[(v >> 18U) & 63U];
        out += alphabet[(v >> 12U) & 63U];
        out += "==";
    } else if (left == 2) {
        const unsigned v = (byte(i) << 16U) | (byte(i + 1) << 8U);
        out += alphabet[(v >> 18U) & 63U];
        out += alphabet[(v >> 12U) & 63U];
        out += alphabet[(v >> 6U) & 63U];
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 == 0 && !text.empty()) {
        // Padded form: at most two '=' and only at the very end.
        std::size_t pad = 0;
        while (pad < 2 && text[text.size() - 1 - pad] == '=') {
            ++pad;
        }
        text.remove_suffix(pad);
    }
    if (text.size() % 4 == 1) {
        return std::nullopt; // a single leftover sextet cannot encode a byte
    }
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    unsigned acc = 0;
    int bits = 0;
    for (char c : text) {
        const std::uint8_t v = decode_table[static_cast<unsigned char>(c)];
        if (v == not_base64) {
            return std::nullopt; // includes a stray '=' in the middle
        }
        acc = (acc << 6U) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> static_cast<unsigned>(bits)) & 0xFFU);
        }
    }
    return out;
}

std::optional<BasicCredentials> parse_basic_auth(std::string_view value) {
    value = trim_ows(value);
    const auto ws = value.find_first_of(" \t");
    if (ws == std::string_view::npos || !iequals(value.substr(0, ws), "Basic")) {
        return std::nullopt;
    }
    const auto token = trim_ows(value.substr(ws));
    if (token.empty() || token.size() > max_basic_token ||
        token.find_first_of(" \t") != std::string_view::npos) {
        return std::nullopt;
    }
    auto decoded = base64_decode(token);
    if (!decoded || decoded->size() > max_basic_credentials) {
        return std::nullopt;
    }
    for (char c : *decoded) {
        if (is_ctl(c)) {
            return std::nullopt;
        }
    }
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    BasicCredentials creds;
    creds.user = decoded->substr(0, colon);
    creds.password = decoded->substr(colon + 1);
    return creds;
}

} // namespace tinyice::protocol::http
