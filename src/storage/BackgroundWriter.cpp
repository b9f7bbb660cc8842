#include "storage/BackgroundWriter.hpp"

#include "util/Log.hpp"

namespace tinyice::storage::detail {

void log_queue_full(const Database& db, std::string_view queue_name, std::size_t queue_limit,
                    std::string_view rows_name) {
    util::logger("storage")->warn(
        "{}: {} queue full ({} pending), dropping {} until the disk catches up", db.path().string(),
        queue_name, queue_limit, rows_name);
}

void log_write_failed(std::size_t rows, std::string_view rows_name, std::string_view why) {
    util::logger("storage")->error("{} {} not recorded: {}", rows, rows_name, why);
}

} // namespace tinyice::storage::detail
