#pragma once
// Incremental "Transfer-Encoding: chunked" body decoder (RFC 9112 §7.1) for source uploads
// (e.g. liquidsoap with chunked=true, PUT clients). Feed raw bytes as they arrive; payload is
// handed to a callback as sub-spans of the input (no copy). Tolerates chunk extensions
// (";name=value", ignored), optional whitespace after the size, and bare-LF line ends. Rejects
// sizes over max_chunk_size or with more than 16 hex digits. Trailer fields are skipped; after
// the terminal 0-size chunk and its empty line the status is `finished` and any further bytes
// are left unconsumed (see consumed()).

#include <cstddef>
#include <cstdint>
#include <span>

namespace tinyice::protocol::http {

class ChunkedDecoder {
public:
    static constexpr std::uint64_t max_chunk_size = std::uint64_t{16} * 1024 * 1024;
    static constexpr std::size_t max_size_digits = 16;
    static constexpr std::size_t max_extension_bytes = 4096; // per chunk-size line
    static constexpr std::size_t max_trailer_bytes = 8192;   // whole trailer section

    enum class Status { ok, finished, error };

    // Decodes `in`, calling on_payload(std::span<const std::uint8_t>) for each non-empty piece
    // of chunk data, in order. Returns ok (need more), finished, or error (sticky).
    template <class F>
    Status feed(std::span<const std::uint8_t> in, F&& on_payload) {
        std::size_t pos = 0;
        for (;;) {
            const auto piece = advance(in, pos);
            if (piece.empty()) {
                break;
            }
            on_payload(piece);
        }
        consumed_ = pos;
        return status();
    }

    [[nodiscard]] Status status() const {
        if (state_ == State::error) {
            return Status::error;
        }
        return state_ == State::finished ? Status::finished : Status::ok;
    }

    // Bytes of the last feed() that were used; less than its size only once finished (the rest
    // belongs to whatever follows the body) or on error.
    [[nodiscard]] std::size_t consumed() const { return consumed_; }

    void reset() { *this = ChunkedDecoder{}; }

private:
    enum class State {
        size,          // hex digits of the chunk size
        size_ws,       // optional whitespace after the size
        extension,     // ";..." up to the line end
        size_lf,       // CR seen after the size line, need LF
        data,          // chunk payload
        data_cr,       // after payload: CR or LF
        data_lf,       // after payload CR: LF
        trailer_start, // start of a trailer line (or of the final empty line)
        trailer,       // inside a trailer line
        final_lf,      // CR of the final empty line seen, need LF
        finished,
        error,
    };

    // Consumes framing bytes from in[pos..] until a payload piece is available (returned, pos
    // moved past it), the input is exhausted, or a final state is reached (empty span).
    std::span<const std::uint8_t> advance(std::span<const std::uint8_t> in, std::size_t& pos);
    void end_size_line();

    State state_ = State::size;
    std::uint64_t size_ = 0;      // size being parsed
    std::uint64_t remaining_ = 0; // payload bytes left in the current chunk
    std::size_t digits_ = 0;
    std::size_t extension_bytes_ = 0;
    std::size_t trailer_bytes_ = 0;
    std::size_t consumed_ = 0;
};

} // namespace tinyice::protocol::http
