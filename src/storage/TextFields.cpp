#include "storage/TextFields.hpp"

#include "storage/Database.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace tinyice::storage::detail {
namespace {

namespace json = boost::json;

// For error messages: one line, and never a whole oversized value.
std::string excerpt(std::string_view value) {
    constexpr std::size_t max_shown = 40;
    std::string out;
    for (char c : value.substr(0, max_shown)) {
        const auto byte = static_cast<unsigned char>(c);
        out += (byte < 0x20 || byte == 0x7f) ? '?' : c;
    }
    if (value.size() > max_shown) {
        out += "...";
    }
    return out;
}

} // namespace

void check_length(std::string_view what, std::string_view value, std::size_t max_bytes,
                  bool required) {
    if (required && value.empty()) {
        throw StorageError(fmt::format("{} is empty", what));
    }
    if (value.size() > max_bytes) {
        throw StorageError(fmt::format("{} is longer than {} bytes", what, max_bytes));
    }
}

void check_printable(std::string_view what, std::string_view value) {
    for (char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            throw StorageError(fmt::format("{} contains a control character", what));
        }
    }
}

void check_one_of(std::string_view what, std::string_view value,
                  std::initializer_list<std::string_view> allowed) {
    for (std::string_view a : allowed) {
        if (value == a) {
            return;
        }
    }
    throw StorageError(
        fmt::format(R"({} "{}" is not one of {})", what, excerpt(value), fmt::join(allowed, ", ")));
}

void clip_utf8(std::string& text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) {
        return;
    }
    std::size_t end = max_bytes;
    // Back off over continuation bytes (10xxxxxx) to the start of the sequence that was cut.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
        --end;
    }
    text.resize(end);
}

std::string encode_string_array(const std::vector<std::string>& values) {
    json::array array;
    array.reserve(values.size());
    for (const std::string& v : values) {
        array.emplace_back(json::string_view(v.data(), v.size()));
    }
    return json::serialize(array);
}

std::optional<std::vector<std::string>> decode_string_array(std::string_view text) {
    json::parse_options options;
    // The serializer wrote non-UTF-8 bytes through unchanged; read them back the same way.
    options.allow_invalid_utf8 = true;
    json::error_code ec;
    const json::value value =
        json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
    if (ec || !value.is_array()) {
        return std::nullopt;
    }
    std::vector<std::string> out;
    out.reserve(value.get_array().size());
    for (const json::value& v : value.get_array()) {
        if (!v.is_string()) {
            return std::nullopt;
        }
        out.emplace_back(v.get_string().data(), v.get_string().size());
    }
    return out;
}

} // namespace tinyice::storage::detail
