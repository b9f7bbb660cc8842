#pragma once
// The one place SQLiteCpp is included: Database::call_guarded (which turns SQLite exceptions into
// StorageError naming the file) and the small binding helpers every store uses. Private to
// src/storage; nobody outside this folder includes it.

#include "storage/Database.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/SQLiteCpp.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace tinyice::storage {

namespace detail {

// "<path>: <what>", on one line whatever the message holds.
std::string describe(const std::filesystem::path& path, std::string_view what);

// SQLite stores a NaN as NULL, which would break NOT NULL columns and make a measured track look
// unmeasured; non-finite values are normalised before binding.
inline double finite_or(double value, double fallback) {
    return std::isfinite(value) ? value : fallback;
}

inline std::int64_t to_i64(std::uint64_t v) {
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(v > max ? max : v);
}

inline void bind_text(SQLite::Statement& st, int index, std::string_view text) {
    st.bind(index, std::string(text));
}

// NULL for nullopt and for NaN.
inline void bind_optional(SQLite::Statement& st, int index, const std::optional<double>& value) {
    if (value && !std::isnan(*value)) {
        st.bind(index, *value);
    } else {
        st.bind(index);
    }
}

inline std::optional<double> optional_double(const SQLite::Column& column) {
    if (column.isNull()) {
        return std::nullopt;
    }
    return column.getDouble();
}

} // namespace detail

template <class F>
auto Database::call_guarded(F&& fn) -> decltype(fn(std::declval<SQLite::Database&>())) {
    try {
        return fn(*db_);
    } catch (const SQLite::Exception& e) {
        throw StorageError(detail::describe(path_, e.what()));
    }
}

} // namespace tinyice::storage
