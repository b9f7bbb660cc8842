#include "protocol/icecast/IcyInterleaver.hpp"

#include "protocol/icecast/IcyMetadata.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <limits>

namespace tinyice::protocol::icecast {

namespace {

// Source of the single-byte "no change" block and of the padding that completes a block whose
// metadata changed mid-write.
constexpr std::array<char, 1 + max_icy_block> zeros{};

iovec make_iovec(const void* data, std::size_t size) {
    // writev never writes through iov_base; the const_cast only satisfies the POSIX struct.
    return iovec{const_cast<void*>(data), size}; // NOLINT(cppcoreguidelines-pro-type-const-cast)
}

} // namespace

IcyInterleaver::IcyInterleaver(std::uint32_t metaint) : metaint_(metaint) {
    state_.audio_left = metaint;
}

std::uint32_t IcyInterleaver::bytes_until_block() const {
    return enabled() ? state_.audio_left : std::numeric_limits<std::uint32_t>::max();
}

void IcyInterleaver::consume_audio(std::uint32_t n) {
    planned_bytes_ = 0;
    if (!enabled()) {
        return;
    }
    assert(n <= state_.audio_left);
    state_.audio_left -= std::min(n, state_.audio_left);
}

bool IcyInterleaver::block_due() const {
    return enabled() && state_.audio_left == 0;
}

void IcyInterleaver::choose(State& s, std::uint64_t meta_id, std::size_t full_size) {
    if (s.block_offset != 0) {
        return; // committed to the block whose length byte went out
    }
    s.block_full = full_size != 0 && !(s.sent_any && s.last_sent_id == meta_id);
    s.block_id = meta_id;
    s.block_size = s.block_full ? full_size : 1;
}

std::string_view IcyInterleaver::remainder(const State& s, std::uint64_t meta_id,
                                           std::string_view full_block) {
    const std::size_t rest = s.block_size - s.block_offset;
    if (s.block_full && s.block_id == meta_id && full_block.size() == s.block_size) {
        return full_block.substr(s.block_offset);
    }
    // The "\0" block, or padding for a block whose metadata is gone.
    return {zeros.data(), std::min(rest, zeros.size())};
}

void IcyInterleaver::advance_block(State& s, std::size_t n) const {
    s.block_offset += n;
    if (s.block_offset < s.block_size) {
        return;
    }
    if (s.block_full) {
        s.last_sent_id = s.block_id;
        s.sent_any = true;
    }
    s.block_offset = 0;
    s.block_size = 0;
    s.audio_left = metaint_;
}

std::string_view IcyInterleaver::choose_block(std::uint64_t current_meta_id,
                                              std::string_view full_block) {
    planned_bytes_ = 0;
    if (!block_due()) {
        return {};
    }
    choose(state_, current_meta_id, full_block.size());
    return remainder(state_, current_meta_id, full_block);
}

void IcyInterleaver::consume_block(std::size_t n) {
    planned_bytes_ = 0;
    if (!block_due() || n == 0) {
        return;
    }
    assert(state_.block_size != 0 && "choose_block() first");
    if (state_.block_size == 0) {
        return;
    }
    assert(n <= state_.block_size - state_.block_offset);
    advance_block(state_, std::min(n, state_.block_size - state_.block_offset));
}

void IcyInterleaver::block_written() {
    planned_bytes_ = 0;
    if (!block_due()) {
        return;
    }
    if (state_.block_size == 0) {
        state_.audio_left = metaint_; // written without choose_block(): nothing to record
        return;
    }
    advance_block(state_, state_.block_size - state_.block_offset);
}

std::size_t IcyInterleaver::plan(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b,
                                 std::uint64_t meta_id, std::string_view full_block,
                                 std::span<iovec> out) {
    State s = state_;
    const std::array<std::span<const std::uint8_t>, 2> pieces{a, b};
    std::size_t piece = 0;
    std::size_t offset = 0;
    std::size_t used = 0;
    std::size_t total = 0;
    while (used < out.size()) {
        if (in_audio(s)) {
            while (piece < pieces.size() && offset == pieces[piece].size()) {
                ++piece;
                offset = 0;
            }
            if (piece == pieces.size()) {
                break;
            }
            std::size_t take = pieces[piece].size() - offset;
            if (enabled()) {
                take = std::min<std::size_t>(take, s.audio_left);
                s.audio_left -= static_cast<std::uint32_t>(take);
            }
            out[used++] = make_iovec(pieces[piece].data() + offset, take);
            offset += take;
            total += take;
        } else {
            choose(s, meta_id, full_block.size());
            const std::string_view block = remainder(s, meta_id, full_block);
            out[used++] = make_iovec(block.data(), block.size());
            advance_block(s, block.size());
            total += block.size();
        }
    }
    planned_meta_id_ = meta_id;
    planned_full_size_ = full_block.size();
    planned_bytes_ = total;
    return used;
}

std::size_t IcyInterleaver::commit(std::size_t bytes_written) {
    assert(bytes_written <= planned_bytes_);
    std::size_t left = std::min(bytes_written, planned_bytes_);
    planned_bytes_ -= left;
    std::size_t audio = 0;
    while (left > 0) {
        if (in_audio(state_)) {
            std::size_t take = left;
            if (enabled()) {
                take = std::min<std::size_t>(take, state_.audio_left);
                state_.audio_left -= static_cast<std::uint32_t>(take);
            }
            audio += take;
            left -= take;
        } else {
            choose(state_, planned_meta_id_, planned_full_size_);
            const std::size_t take = std::min(left, state_.block_size - state_.block_offset);
            advance_block(state_, take);
            left -= take;
        }
    }
    return audio;
}

} // namespace tinyice::protocol::icecast
