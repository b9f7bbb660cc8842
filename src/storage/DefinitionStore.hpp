#pragma once
// Definitions created at run time through the admin API (AutoDJ stations, transcoders), kept as
// the JSON of their config section so they come back after a restart. Definitions from the
// config file are not stored here; the file stays the operator's.

#include "storage/Database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyice::storage {

struct Definition {
    std::string kind; // "autodj", "transcoder"
    std::string name;
    std::string json; // the config section, as written by config::to_json of that section
    std::int64_t created_at = 0; // unix ms
    std::int64_t updated_at = 0;
};

class DefinitionStore {
public:
    explicit DefinitionStore(Database& db);

    [[nodiscard]] std::vector<Definition> list(std::string_view kind) const; // by name
    [[nodiscard]] std::optional<Definition> get(std::string_view kind, std::string_view name) const;
    // Creates or replaces (keeps created_at on replace).
    void put(std::string_view kind, std::string_view name, std::string_view json);
    bool remove(std::string_view kind, std::string_view name);

private:
    Database& db_;
};

} // namespace tinyice::storage
