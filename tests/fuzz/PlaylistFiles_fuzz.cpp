// Fuzzes the M3U/PLS reader (playlists uploaded through the admin API or read from the music
// folder are untrusted text). Properties: never crashes or hangs, respects its limits, is
// deterministic, and what write_m3u / write_pls produce reads back as the same items (those it
// could write: one-line, non-empty locations).

#include "autodj/PlaylistFiles.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace tinyice::autodj;

namespace {

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool writable(const PlaylistItem& item) {
    return !item.location.empty() &&
           item.location.find_first_of("\r\n") == std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    bool truncated = false;
    const auto items = parse_playlist(text, truncated);
    FUZZ_CHECK(items.size() <= max_playlist_entries);
    FUZZ_CHECK(parse_playlist(text) == items);

    std::vector<PlaylistItem> keep;
    for (const auto& item : items) {
        if (writable(item)) {
            keep.push_back(item);
        }
    }
    for (const std::string& written : {write_m3u(items), write_pls(items)}) {
        const auto again = parse_playlist(written);
        FUZZ_CHECK(again.size() == keep.size());
        for (std::size_t i = 0; i < again.size(); ++i) {
            // Locations the reader would take for a comment or a section header, or whose
            // surrounding blanks it trims, cannot round-trip through a text line; they must at
            // least not be invented.
            FUZZ_CHECK(again[i].location == keep[i].location ||
                       keep[i].location.starts_with('#') || keep[i].location.starts_with('[') ||
                       trimmed(keep[i].location) != keep[i].location);
        }
    }
    return 0;
}
