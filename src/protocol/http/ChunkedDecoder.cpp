#include "protocol/http/ChunkedDecoder.hpp"

#include "protocol/http/Ascii.hpp"

#include <algorithm>

namespace tinyice::protocol::http {

void ChunkedDecoder::end_size_line() {
    if (size_ == 0) {
        state_ = State::trailer_start;
        return;
    }
    remaining_ = size_;
    state_ = State::data;
}

std::span<const std::uint8_t> ChunkedDecoder::advance(std::span<const std::uint8_t> in,
                                                      std::size_t& pos) {
    while (pos < in.size()) {
        if (state_ == State::data) {
            const auto n =
                static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - pos));
            const auto piece = in.subspan(pos, n);
            pos += n;
            remaining_ -= n;
            if (remaining_ == 0) {
                state_ = State::data_cr;
            }
            return piece;
        }
        if (state_ == State::finished || state_ == State::error) {
            return {};
        }
        const char c = static_cast<char>(in[pos++]);
        switch (state_) {
        case State::size: {
            const int v = hex_value(c);
            if (v >= 0) {
                size_ = size_ * 16 + static_cast<std::uint64_t>(v);
                if (++digits_ > max_size_digits || size_ > max_chunk_size) {
                    state_ = State::error;
                }
                break;
            }
            if (digits_ == 0) {
                state_ = State::error; // a size line must start with a hex digit
                break;
            }
            if (c == ' ' || c == '\t') {
                state_ = State::size_ws;
            } else if (c == ';') {
                state_ = State::extension;
            } else if (c == '\r') {
                state_ = State::size_lf;
            } else if (c == '\n') {
                end_size_line();
            } else {
                state_ = State::error;
            }
            break;
        }
        case State::size_ws:
            if (c == ';') {
                state_ = State::extension;
            } else if (c == '\r') {
                state_ = State::size_lf;
            } else if (c == '\n') {
                end_size_line();
            } else if (c != ' ' && c != '\t') {
                state_ = State::error;
            }
            break;
        case State::extension:
            if (c == '\r') {
                state_ = State::size_lf;
            } else if (c == '\n') {
                end_size_line();
            } else if ((is_ctl(c) && c != '\t') || ++extension_bytes_ > max_extension_bytes) {
                state_ = State::error;
            }
            break;
        case State::size_lf:
            if (c == '\n') {
                end_size_line();
            } else {
                state_ = State::error;
            }
            break;
        case State::data_cr:
        case State::data_lf:
            if (c == '\n') {
                state_ = State::size;
                size_ = 0;
                digits_ = 0;
                extension_bytes_ = 0;
            } else if (c == '\r' && state_ == State::data_cr) {
                state_ = State::data_lf;
            } else {
                state_ = State::error; // chunk data longer than its declared size
            }
            break;
        case State::trailer_start:
            if (c == '\n') {
                state_ = State::finished;
            } else if (c == '\r') {
                state_ = State::final_lf;
            } else {
                state_ = State::trailer;
            }
            if (state_ == State::trailer && ++trailer_bytes_ > max_trailer_bytes) {
                state_ = State::error;
            }
            break;
        case State::trailer:
            if (++trailer_bytes_ > max_trailer_bytes) {
                state_ = State::error;
            } else if (c == '\n') {
                state_ = State::trailer_start;
            }
            break;
        case State::final_lf:
            // Only CRLF (or LF) may end the body; a CR must be followed by LF.
            state_ = c == '\n' ? State::finished : State::error;
            break;
        case State::data:
        case State::finished:
        case State::error:
            break; // handled above
        }
    }
    return {};
}

} // namespace tinyice::protocol::http
