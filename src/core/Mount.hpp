#pragma once
// A mount: one stream name, at most one source feeding it, a ring of recent audio that every
// listener reads by position, and the small amount of per-position state listeners need to
// start cleanly (frame/page sync points, Ogg header pages, ICY metadata). No I/O here.
//
// Threads: exactly one source thread calls the source-side methods at a time (claim_source
// serialises sources). Listener-side methods are called from any event loop; they take the
// short `index_mutex_` only at joins, moves and metadata boundaries, never per write.
//
// Settings: the name and the buffer fields (queue_size, burst_size, flush_interval_ms, metaint)
// are fixed for the life of a Mount: the ring is sized by them and listeners take them at
// admission. The other ("live") fields can change at run time (update_live_settings); readers
// get a consistent copy from settings() under a short lock. Nothing on the write path (source
// writes, listener flushes) reads settings, so changing them costs the streams nothing. To
// change buffer fields the MountRegistry swaps in a new Mount once this one is idle.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codec/FrameSync.hpp"
#include "codec/OggChainTracker.hpp"
#include "codec/OggPage.hpp"
#include "codec/StreamFormat.hpp"
#include "core/Snapshot.hpp"
#include "core/SourceInfo.hpp"
#include "core/StreamRing.hpp"

namespace tinyice::core {

struct MountSettings {
    std::string name;                  // "/live"
    std::size_t queue_size = 524288;   // ring bytes; a listener further behind is dropped
    std::size_t burst_size = 65536;    // bytes sent at once to a new listener
    std::uint32_t flush_interval_ms = 250;  // 0 = write on arrival
    std::uint32_t metaint = 16000;
    std::optional<std::uint32_t> max_listeners;
    std::string fallback;
    bool fallback_override = true;
    bool hidden = false;
    std::string stream_name;           // overrides the source's ice-name
    std::string charset = "UTF-8";     // of ICY metadata sent to listeners
    bool configured = false;           // defined (config file or API): survives its source leaving
};

// True when `a` and `b` agree on the fields a Mount fixes at construction (queue_size,
// burst_size, flush_interval_ms, metaint); the name is not compared.
bool same_buffer_settings(const MountSettings& a, const MountSettings& b);

// An ICY block ready to send, with a process-wide unique id so listeners can tell "changed".
struct MetaBlock {
    std::uint64_t id = 0;
    std::string bytes;  // length byte + padded text
};

struct MetadataUpdate {
    std::string title;   // display title ("Artist - Title" when both known)
    std::string artist;
    std::string url;
    std::string icy_block;  // rendered by the caller in this mount's charset
};

class Mount {
public:
    explicit Mount(MountSettings settings);
    Mount(const Mount&) = delete;
    Mount& operator=(const Mount&) = delete;

    // A consistent copy of the current settings (the live fields may change at any time).
    // Read at connection setup, never per write.
    MountSettings settings() const;
    const std::string& name() const { return name_; }
    const StreamRing& ring() const { return ring_; }

    // Takes the live fields of `s` (max_listeners, fallback, fallback_override, hidden,
    // stream_name, charset, configured); the name and buffer fields are ignored. Applies to
    // listeners and sources that arrive from now on; connected ones are not disturbed.
    void update_live_settings(const MountSettings& s);
    // Called by the registry when this mount replaces `old` (same name, new buffer settings):
    // carries over the statistics and the current title, so counters do not go backwards and
    // the status pages show the same title. `old` must be idle (no source, no listeners).
    void take_over_from(const Mount& old);

    // ---- source side ----------------------------------------------------------------
    // Takes the mount for a new source; false when one is connected already. `kill` is
    // called (from any thread) when an admin removes the source.
    bool claim_source(SourceInfo info, std::function<void()> kill);
    void release_source();
    // Appends stream bytes: finds frame/page boundaries, keeps Ogg header pages and
    // comments, stores the bytes in the ring. Source thread only.
    void write(std::span<const std::uint8_t> data);
    bool kill_source();

    // ---- listener side --------------------------------------------------------------
    bool has_source() const { return has_source_.load(std::memory_order_acquire); }
    // Taken by a source (set in claim_source() before has_source(), cleared last in
    // release_source()).
    bool claimed() const { return claimed_.load(std::memory_order_acquire); }
    // No source and no listener fed from it: the registry may replace it.
    bool idle() const { return !claimed() && listeners() == 0; }
    codec::StreamFormat format() const { return format_.load(std::memory_order_acquire); }
    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
    std::shared_ptr<const SourceInfo> source_info() const;

    // Where a new listener starts: the first frame/page boundary at or after
    // head - burst_bytes (never before this source's first byte).
    std::uint64_t start_position(std::size_t burst_bytes) const;
    // The Ogg header pages a listener starting at `pos` must receive first (empty for
    // non-Ogg streams).
    std::shared_ptr<const std::vector<std::uint8_t>> ogg_headers_at(std::uint64_t pos) const;
    // The ICY block current at stream position `pos`.
    std::shared_ptr<const MetaBlock> meta_at(std::uint64_t pos) const;

    void set_metadata(MetadataUpdate update);
    std::string title() const;
    struct TitleInfo {
        std::string title;   // display title ("Artist - Title" when both known)
        std::string artist;
        std::int64_t since_ms = 0;  // unix ms when it was set; 0 = never
    };
    TitleInfo title_info() const;
    // Increments whenever the title changes (metadata update or a new Ogg chain's comments),
    // so a watcher can tell "changed" with one atomic load.
    std::uint64_t title_version() const { return title_version_.load(std::memory_order_acquire); }

    // ---- statistics ----------------------------------------------------------------
    void listener_added();
    void listener_removed() { listeners_.fetch_sub(1, std::memory_order_relaxed); }
    void add_bytes_sent(std::uint64_t n) { bytes_sent_.fetch_add(n, std::memory_order_relaxed); }
    void listener_dropped_slow() { slow_listeners_.fetch_add(1, std::memory_order_relaxed); }
    std::uint64_t listeners() const { return listeners_.load(std::memory_order_relaxed); }
    std::uint64_t bytes_read() const { return bytes_read_.load(std::memory_order_relaxed); }

    MountSnapshot snapshot() const;

private:
    void add_sync_point(std::uint64_t pos);
    void on_ogg_page(const codec::OggPageView& page);
    void reset_stream_state(codec::StreamFormat format);

    const std::string name_;
    mutable std::mutex settings_mutex_;  // guards settings_ (live fields change at run time)
    MountSettings settings_;
    StreamRing ring_;

    std::atomic<bool> claimed_{false};     // taken by claim_source (one source at a time)
    std::atomic<bool> has_source_{false};  // the claimed source's state is published
    std::atomic<codec::StreamFormat> format_{codec::StreamFormat::generic};
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<std::uint64_t> listeners_{0};
    std::atomic<std::uint64_t> listener_peak_{0};
    std::atomic<std::uint64_t> slow_listeners_{0};
    std::atomic<std::uint64_t> bytes_read_{0};
    std::atomic<std::uint64_t> bytes_sent_{0};
    std::atomic<std::int64_t> stream_start_{0};
    std::atomic<std::uint64_t> stream_base_{0};  // ring position of this source's first byte
    std::atomic<std::uint64_t> title_version_{0};

    // Source-thread state (only touched between claim_source and release_source).
    std::optional<codec::FrameScanner> frames_;
    std::optional<codec::OggPageReader> ogg_reader_;
    std::optional<codec::OggChainTracker> ogg_chain_;
    std::uint64_t fed_ = 0;          // bytes fed to the frame scanner by this source

    mutable std::mutex source_mutex_;  // guards the fields below
    std::shared_ptr<const SourceInfo> source_;
    std::function<void()> kill_;
    std::string title_;
    std::string artist_;
    std::int64_t title_since_ms_ = 0;
    std::string subtype_;

    // Index of positions, guarded by index_mutex_. Bounded: oldest entries fall off.
    mutable std::mutex index_mutex_;
    std::deque<std::uint64_t> sync_points_;
    struct HeaderEntry {
        std::uint64_t pos;
        std::shared_ptr<const std::vector<std::uint8_t>> pages;
    };
    std::deque<HeaderEntry> ogg_headers_;
    struct MetaEntry {
        std::uint64_t pos;
        std::shared_ptr<const MetaBlock> block;
    };
    std::deque<MetaEntry> meta_;
};

// A process-wide id for metadata blocks, so "has the title changed" is an integer compare.
std::uint64_t next_meta_id();

}  // namespace tinyice::core
