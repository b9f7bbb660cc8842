#include "protocol/icecast/Utf8.hpp"

#include <cstdint>

namespace tinyice::protocol::icecast {

namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

// Number of bytes at `pos` that form a valid prefix of a UTF-8 sequence, and the length the
// full sequence would need. Follows Table 3-7 of the Unicode standard.
struct SequenceProbe {
    std::size_t valid_prefix = 0;
    std::size_t needed = 0;
};

SequenceProbe probe(std::string_view text, std::size_t pos) {
    const auto byte = [&](std::size_t i) {
        return static_cast<std::uint8_t>(text[i]);
    };
    const std::uint8_t lead = byte(pos);
    if (lead < 0x80) {
        return {1, 1};
    }
    std::size_t needed = 0;
    std::uint8_t second_lo = 0x80;
    std::uint8_t second_hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        needed = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        needed = 3;
        if (lead == 0xE0) {
            second_lo = 0xA0; // no overlong forms
        } else if (lead == 0xED) {
            second_hi = 0x9F; // no surrogates
        }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        needed = 4;
        if (lead == 0xF0) {
            second_lo = 0x90;
        } else if (lead == 0xF4) {
            second_hi = 0x8F; // <= U+10FFFF
        }
    } else {
        return {0, 0};
    }
    std::size_t valid = 1;
    while (valid < needed && pos + valid < text.size()) {
        const std::uint8_t b = byte(pos + valid);
        const std::uint8_t lo = valid == 1 ? second_lo : 0x80;
        const std::uint8_t hi = valid == 1 ? second_hi : 0xBF;
        if (b < lo || b > hi) {
            break;
        }
        ++valid;
    }
    return {valid, needed};
}

} // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
    if (pos >= text.size()) {
        return 0;
    }
    const SequenceProbe p = probe(text, pos);
    return p.needed != 0 && p.valid_prefix == p.needed ? p.needed : 0;
}

bool is_valid_utf8(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t n = utf8_sequence_length(text, pos);
        if (n == 0) {
            return false;
        }
        pos += n;
    }
    return true;
}

std::string repair_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        const SequenceProbe p = probe(text, pos);
        if (p.needed != 0 && p.valid_prefix == p.needed) {
            out.append(text.substr(pos, p.needed));
            pos += p.needed;
        } else {
            out.append(replacement_character);
            pos += p.valid_prefix == 0 ? 1 : p.valid_prefix;
        }
    }
    return out;
}

std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes) {
    if (max_bytes >= text.size()) {
        return text.size();
    }
    // Walk back over at most three continuation bytes to the lead byte; cut before it only if
    // the sequence it starts is well formed and would extend past the cut.
    std::size_t start = max_bytes;
    for (int i = 0; i < 3 && start > 0; ++i) {
        const auto b = static_cast<std::uint8_t>(text[start]);
        if ((b & 0xC0) != 0x80) {
            break;
        }
        --start;
    }
    if (start == max_bytes) {
        return max_bytes;
    }
    const std::size_t len = utf8_sequence_length(text, start);
    if (len != 0 && start + len > max_bytes) {
        return start;
    }
    return max_bytes;
}

} // namespace tinyice::protocol::icecast
