#include "protocol/mpd/LineReader.hpp"

namespace tinyice::protocol::mpd {

LineReader::LineReader(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

void LineReader::feed(std::string_view data) {
    if (too_long_) {
        return;
    }
    // Compact before growing so the buffer stays near one line plus one piece.
    if (start_ > 0 && start_ >= buffer_.size() / 2) {
        buffer_.erase(0, start_);
        start_ = 0;
    }
    buffer_.append(data);
}

LineReader::Status LineReader::next(std::string& line) {
    if (too_long_) {
        return Status::too_long;
    }
    const std::string_view pending(buffer_.data() + start_, buffer_.size() - start_);
    const auto newline = pending.find('\n', scan_);
    if (newline == std::string_view::npos) {
        scan_ = pending.size();
        if (pending.size() > max_line_bytes_) {
            too_long_ = true;
            return Status::too_long;
        }
        return Status::need_more;
    }
    if (newline > max_line_bytes_) {
        too_long_ = true;
        return Status::too_long;
    }
    std::size_t end = newline;
    while (end > 0 &&
           (pending[end - 1] == ' ' || pending[end - 1] == '\t' || pending[end - 1] == '\r')) {
        --end;
    }
    line.assign(pending.data(), end);
    start_ += newline + 1;
    scan_ = 0;
    if (start_ == buffer_.size()) {
        buffer_.clear();
        start_ = 0;
    }
    return Status::line;
}

} // namespace tinyice::protocol::mpd
