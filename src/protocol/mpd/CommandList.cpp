#include "protocol/mpd/CommandList.hpp"

namespace tinyice::protocol::mpd {

CommandListCollector::Step CommandListCollector::feed(std::string_view line) {
    if (!active_) {
        if (line == command_list_begin || line == command_list_ok_begin) {
            active_ = true;
            overflow_ = false;
            bytes_ = 0;
            batch_ = Batch{line == command_list_ok_begin, {}};
            return Step::begun;
        }
        return Step::execute;
    }
    if (line == command_list_end) {
        active_ = false;
        if (overflow_) {
            batch_ = Batch{};
            bytes_ = 0;
            return Step::too_long;
        }
        return Step::complete;
    }
    if (overflow_) {
        return Step::queued;
    }
    if (batch_.lines.size() >= limits_.max_commands ||
        bytes_ + line.size() + 1 > limits_.max_bytes) {
        // Free the stored lines at once: the list will only be answered with an error.
        overflow_ = true;
        batch_ = Batch{};
        bytes_ = 0;
        return Step::queued;
    }
    bytes_ += line.size() + 1;
    batch_.lines.emplace_back(line);
    return Step::queued;
}

CommandListCollector::Batch CommandListCollector::take() {
    Batch out = std::move(batch_);
    batch_ = Batch{};
    bytes_ = 0;
    return out;
}

} // namespace tinyice::protocol::mpd
