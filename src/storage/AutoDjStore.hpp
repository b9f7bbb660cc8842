#pragma once
// What an AutoDJ station remembers across restarts: its state (playlist, queue, options,
// position; a JSON document the station owns the shape of) and its stored playlists (named,
// ordered lists of library paths: MPD save/load/rm, the admin API's save/load).

#include "storage/Database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::storage {

struct StoredPlaylistInfo {
    std::string name;
    std::size_t entries = 0;
    std::int64_t updated_at = 0; // unix ms
};

class AutoDjStore {
public:
    explicit AutoDjStore(Database& db);

    [[nodiscard]] std::optional<std::string> load_state(std::string_view station) const;
    void save_state(std::string_view station, std::string_view json);
    void delete_state(std::string_view station); // also deletes its stored playlists

    // Sorted by name.
    [[nodiscard]] std::vector<StoredPlaylistInfo> list_playlists(std::string_view station) const;
    [[nodiscard]] std::optional<std::vector<std::string>>
    load_playlist(std::string_view station, std::string_view name) const;
    // Creates or replaces.
    void save_playlist(std::string_view station, std::string_view name,
                       const std::vector<std::string>& paths);
    bool remove_playlist(std::string_view station, std::string_view name);

private:
    Database& db_;
};

} // namespace tinyice::storage
