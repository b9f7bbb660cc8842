#pragma once
// Where ICY metadata blocks go in one listener's byte stream (docs/icecast-protocol.md §2.3):
// `metaint` audio bytes, one block, `metaint` audio bytes, ... counting from the first body byte.
// No I/O and no allocation; one instance per listener, touched only by that listener's strand.
//
// Two ways to drive it:
//
// 1. plan/commit, for writev with partial writes (the intended use):
//
//      iovec iov[8];
//      std::size_t n = icy.plan(ring_piece_a, ring_piece_b, meta_id, meta_block, iov);
//      ssize_t written = writev(fd, iov, n);              // may stop anywhere, even mid-block
//      std::size_t audio = icy.commit(written);           // advance the ring cursor by `audio`
//
//    plan() lays out audio from the two ring pieces (in order), the block that is due, more
//    audio, and so on, until `out` is full or the audio runs out. It does not change the state.
//    commit() replays that layout over the bytes the kernel accepted and returns how many of
//    them were audio. Several commits may follow one plan as long as their total does not exceed
//    planned_bytes(); any other mutating call invalidates the plan (call plan() again).
//
// 2. The step-by-step calls (bytes_until_block / consume_audio / block_due / choose_block /
//    consume_block / block_written) for callers that write piece by piece.
//
// Partial blocks: a block is "in progress" once its length byte was written. The rest of it is
// sent next, before any audio. The interleaver remembers only the meta id, size and offset of
// that block, never a pointer: every plan()/choose_block() call passes the current metadata
// again, and the remainder is taken from it when it is still the same block. If the metadata
// changed while a block was half written, the remainder is sent as NUL padding (the length byte
// already promised those bytes); the listener sees a truncated title for one interval and the
// new title in the next block, because the new id differs from the one recorded as sent.
//
// Choosing: the first block a listener gets is always the full block (players expect the
// current title, even an empty one); afterwards the single byte "\0" while the meta id is
// unchanged, the full block whenever it changes. An empty `full_block` means "no metadata
// known" and sends "\0" without recording anything.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <sys/uio.h>

namespace tinyice::protocol::icecast {

class IcyInterleaver {
public:
    explicit IcyInterleaver(std::uint32_t metaint); // metaint 0 = disabled

    [[nodiscard]] bool enabled() const { return metaint_ != 0; }
    [[nodiscard]] std::uint32_t metaint() const { return metaint_; }

    // Audio bytes that may be written before the next block is due: 0 while a block is due or
    // in progress, UINT32_MAX when disabled.
    [[nodiscard]] std::uint32_t bytes_until_block() const;
    // Records that n audio bytes were written (n <= bytes_until_block()).
    void consume_audio(std::uint32_t n);
    // True when a block (or the rest of one) must be written before more audio.
    [[nodiscard]] bool block_due() const;
    // True when part of a block has been written.
    [[nodiscard]] bool block_in_progress() const { return state_.block_offset != 0; }

    // The bytes of the due block still to be written: the chosen block (full or "\0") when none
    // of it was written yet, otherwise its remainder (see the header comment). Valid as long as
    // `full_block` is. Empty when no block is due. Re-chooses on every call until the first byte
    // is consumed.
    std::string_view choose_block(std::uint64_t current_meta_id, std::string_view full_block);
    // Records that n bytes of the view returned by the last choose_block() were written.
    void consume_block(std::size_t n);
    // Records that the rest of the chosen block was written; restarts the audio count.
    void block_written();

    // Fills up to out.size() iovecs with audio from `a` then `b` and the blocks that fall
    // between, as described above. Returns the number of iovecs used (0 = nothing to write).
    // A due block is planned even when no audio follows it. The iovecs point into a, b,
    // full_block and static storage.
    std::size_t plan(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                     std::uint64_t meta_id, std::string_view full_block, std::span<iovec> out);
    // Advances by `bytes_written` bytes of the last plan (clamped to what remains of it).
    // Returns how many of them were audio bytes.
    std::size_t commit(std::size_t bytes_written);
    // Bytes of the last plan not yet committed.
    [[nodiscard]] std::size_t planned_bytes() const { return planned_bytes_; }

private:
    struct State {
        std::uint32_t audio_left = 0; // audio bytes until the next block
        std::size_t block_size = 0;   // size of the chosen block, 0 = none chosen
        std::size_t block_offset = 0; // bytes of it written
        std::uint64_t block_id = 0;
        bool block_full = false;
        std::uint64_t last_sent_id = 0; // id of the last full block written
        bool sent_any = false;
    };

    [[nodiscard]] bool in_audio(const State& s) const { return metaint_ == 0 || s.audio_left > 0; }
    static void choose(State& s, std::uint64_t meta_id, std::size_t full_size);
    static std::string_view remainder(const State& s, std::uint64_t meta_id,
                                      std::string_view full_block);
    void advance_block(State& s, std::size_t n) const;

    std::uint32_t metaint_;
    State state_;
    std::uint64_t planned_meta_id_ = 0;
    std::size_t planned_full_size_ = 0;
    std::size_t planned_bytes_ = 0;
};

} // namespace tinyice::protocol::icecast
