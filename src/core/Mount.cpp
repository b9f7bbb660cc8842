#include "core/Mount.hpp"

#include <algorithm>
#include <chrono>

namespace tinyice::core {
namespace {

constexpr std::size_t max_sync_points = 16384;
constexpr std::size_t max_header_sets = 16;
constexpr std::size_t max_meta_entries = 64;

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::uint64_t next_meta_id() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

bool same_buffer_settings(const MountSettings& a, const MountSettings& b) {
    return a.queue_size == b.queue_size && a.burst_size == b.burst_size &&
           a.flush_interval_ms == b.flush_interval_ms && a.metaint == b.metaint;
}

Mount::Mount(MountSettings settings)
    : name_(settings.name), settings_(std::move(settings)), ring_(settings_.queue_size) {
    // Every mount starts with an empty title so the first ICY block is well formed.
    auto block = std::make_shared<MetaBlock>();
    block->id = next_meta_id();
    block->bytes = std::string("\x01StreamTitle='';\0", 17);  // L=1: 16 bytes of text
    meta_.push_back({0, std::move(block)});
}

MountSettings Mount::settings() const {
    std::lock_guard lock(settings_mutex_);
    return settings_;
}

void Mount::update_live_settings(const MountSettings& s) {
    std::lock_guard lock(settings_mutex_);
    settings_.max_listeners = s.max_listeners;
    settings_.fallback = s.fallback;
    settings_.fallback_override = s.fallback_override;
    settings_.hidden = s.hidden;
    settings_.stream_name = s.stream_name;
    settings_.charset = s.charset;
    settings_.configured = s.configured;
}

void Mount::take_over_from(const Mount& old) {
    constexpr auto relaxed = std::memory_order_relaxed;
    listener_peak_.store(old.listener_peak_.load(relaxed), relaxed);
    slow_listeners_.store(old.slow_listeners_.load(relaxed), relaxed);
    bytes_read_.store(old.bytes_read_.load(relaxed), relaxed);
    bytes_sent_.store(old.bytes_sent_.load(relaxed), relaxed);
    {
        // The current ICY block, so the next source's ICY listeners start with the same title
        // they would have got from the old mount.
        std::scoped_lock lock(index_mutex_, old.index_mutex_);
        meta_.clear();
        meta_.push_back({0, old.meta_.back().block});
    }
    std::scoped_lock lock(source_mutex_, old.source_mutex_);
    title_ = old.title_;
    artist_ = old.artist_;
    title_since_ms_ = old.title_since_ms_;
    subtype_ = old.subtype_;
    // Same title, same version: a watcher sees no title change.
    title_version_.store(old.title_version_.load(std::memory_order_acquire),
                         std::memory_order_release);
}

bool Mount::claim_source(SourceInfo info, std::function<void()> kill) {
    bool expected = false;
    if (!claimed_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
        return false;
    }
    auto format = codec::format_from_content_type(info.content_type);
    {
        std::lock_guard lock(source_mutex_);
        source_ = std::make_shared<const SourceInfo>(std::move(info));
        kill_ = std::move(kill);
        subtype_.clear();
    }
    reset_stream_state(format);
    stream_start_.store(unix_now(), std::memory_order_relaxed);
    format_.store(format, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    // Published last: whoever sees has_source() also sees this source's format and generation.
    has_source_.store(true, std::memory_order_release);
    return true;
}

void Mount::reset_stream_state(codec::StreamFormat format) {
    fed_ = 0;
    frames_.reset();
    ogg_reader_.reset();
    ogg_chain_.reset();
    if (format == codec::StreamFormat::mp3 || format == codec::StreamFormat::aac) {
        frames_.emplace(format);
    } else if (format == codec::StreamFormat::ogg) {
        ogg_reader_.emplace();
        ogg_chain_.emplace();
    }
    std::lock_guard lock(index_mutex_);
    stream_base_.store(ring_.head(), std::memory_order_relaxed);
    sync_points_.clear();
    ogg_headers_.clear();
}

void Mount::release_source() {
    {
        std::lock_guard lock(source_mutex_);
        kill_ = nullptr;
    }
    stream_start_.store(0, std::memory_order_relaxed);
    has_source_.store(false, std::memory_order_release);
    claimed_.store(false, std::memory_order_release);
}

bool Mount::kill_source() {
    std::function<void()> kill;
    {
        std::lock_guard lock(source_mutex_);
        kill = kill_;
    }
    if (!kill) {
        return false;
    }
    kill();
    return true;
}

std::shared_ptr<const SourceInfo> Mount::source_info() const {
    std::lock_guard lock(source_mutex_);
    return source_;
}

void Mount::write(std::span<const std::uint8_t> data) {
    bytes_read_.fetch_add(data.size(), std::memory_order_relaxed);
    if (ogg_reader_) {
        // Only whole, CRC-checked pages reach the ring: listeners always get clean Ogg.
        ogg_reader_->feed(data, [this](std::uint64_t, const codec::OggPageView& page) {
            on_ogg_page(page);
        });
        return;
    }
    if (frames_) {
        auto base_pos = stream_base_.load(std::memory_order_relaxed);
        frames_->feed(data, fed_, [this, base_pos](std::uint64_t offset, const codec::FrameInfo&) {
            add_sync_point(base_pos + offset);
        });
    }
    fed_ += data.size();
    ring_.append(data);
}

void Mount::on_ogg_page(const codec::OggPageView& page) {
    auto kind = ogg_chain_->on_page(page);
    auto pos = ring_.head();
    if (kind == codec::OggChainTracker::PageKind::first_audio) {
        auto headers = std::make_shared<const std::vector<std::uint8_t>>(ogg_chain_->header_pages());
        {
            std::lock_guard lock(index_mutex_);
            ogg_headers_.push_back({pos, std::move(headers)});
            while (ogg_headers_.size() > max_header_sets) {
                ogg_headers_.pop_front();
            }
        }
        std::string title;
        std::string artist;
        if (const auto& comments = ogg_chain_->comments()) {
            title = comments->display_title();
            artist = comments->artist();
        }
        std::lock_guard lock(source_mutex_);
        subtype_ = ogg_chain_->codecs();
        if (!title.empty()) {
            title_ = std::move(title);
            artist_ = std::move(artist);
            title_since_ms_ = unix_ms_now();
            title_version_.fetch_add(1, std::memory_order_acq_rel);
        }
    }
    if (kind != codec::OggChainTracker::PageKind::header) {
        add_sync_point(pos);
    }
    ring_.append(page.bytes);
}

void Mount::add_sync_point(std::uint64_t pos) {
    std::lock_guard lock(index_mutex_);
    auto tail = ring_.tail();
    while (!sync_points_.empty() &&
           (sync_points_.front() < tail || sync_points_.size() >= max_sync_points)) {
        sync_points_.pop_front();
    }
    if (sync_points_.empty() || sync_points_.back() < pos) {
        sync_points_.push_back(pos);
    }
}

std::uint64_t Mount::start_position(std::size_t burst_bytes) const {
    auto head = ring_.head();
    std::lock_guard lock(index_mutex_);
    auto floor = std::max(stream_base_.load(std::memory_order_relaxed), ring_.tail());
    auto target = head > burst_bytes ? std::max(head - burst_bytes, floor) : floor;
    if (format() == codec::StreamFormat::generic) {
        return target;  // no frame structure known: exactly burst_bytes back
    }
    auto it = std::lower_bound(sync_points_.begin(), sync_points_.end(), target);
    if (it != sync_points_.end() && *it <= head) {
        return *it;
    }
    // No boundary inside the burst window: start at the newest boundary we know of (an
    // older one still in the ring). With none known yet (a stream that just started, before
    // the frame scanner locked), the stream's own first byte is a safe start: it is where the
    // encoder began (ID3 tag or first frame).
    if (!sync_points_.empty() && sync_points_.back() >= floor) {
        return sync_points_.back();
    }
    return floor;
}

std::shared_ptr<const std::vector<std::uint8_t>> Mount::ogg_headers_at(std::uint64_t pos) const {
    std::lock_guard lock(index_mutex_);
    for (auto it = ogg_headers_.rbegin(); it != ogg_headers_.rend(); ++it) {
        if (it->pos <= pos) {
            return it->pages;
        }
    }
    return ogg_headers_.empty() ? nullptr : ogg_headers_.front().pages;
}

std::shared_ptr<const MetaBlock> Mount::meta_at(std::uint64_t pos) const {
    std::lock_guard lock(index_mutex_);
    for (auto it = meta_.rbegin(); it != meta_.rend(); ++it) {
        if (it->pos <= pos) {
            return it->block;
        }
    }
    return meta_.front().block;
}

void Mount::set_metadata(MetadataUpdate update) {
    auto block = std::make_shared<MetaBlock>();
    block->id = next_meta_id();
    block->bytes = std::move(update.icy_block);
    {
        std::lock_guard lock(index_mutex_);
        meta_.push_back({ring_.head(), std::move(block)});
        while (meta_.size() > max_meta_entries) {
            meta_.pop_front();
        }
    }
    std::lock_guard lock(source_mutex_);
    title_ = std::move(update.title);
    artist_ = std::move(update.artist);
    title_since_ms_ = unix_ms_now();
    title_version_.fetch_add(1, std::memory_order_acq_rel);
}

Mount::TitleInfo Mount::title_info() const {
    std::lock_guard lock(source_mutex_);
    return {title_, artist_, title_since_ms_};
}

std::string Mount::title() const {
    std::lock_guard lock(source_mutex_);
    return title_;
}

void Mount::listener_added() {
    auto now = listeners_.fetch_add(1, std::memory_order_relaxed) + 1;
    auto peak = listener_peak_.load(std::memory_order_relaxed);
    while (now > peak && !listener_peak_.compare_exchange_weak(peak, now)) {
    }
}

MountSnapshot Mount::snapshot() const {
    const auto settings = this->settings();
    MountSnapshot s;
    s.mount = name_;
    s.hidden = settings.hidden;
    s.has_source = has_source();
    s.listeners = listeners_.load(std::memory_order_relaxed);
    s.listener_peak = listener_peak_.load(std::memory_order_relaxed);
    s.max_listeners = settings.max_listeners;
    s.slow_listeners = slow_listeners_.load(std::memory_order_relaxed);
    s.stream_start = stream_start_.load(std::memory_order_relaxed);
    s.total_bytes_read = bytes_read_.load(std::memory_order_relaxed);
    s.total_bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
    s.fallback = settings.fallback;
    std::lock_guard lock(source_mutex_);
    s.title = title_;
    s.artist = artist_;
    s.subtype = subtype_;
    if (source_ && s.has_source) {
        s.content_type = source_->content_type;
        s.server_name = settings.stream_name.empty() ? source_->name : settings.stream_name;
        s.server_description = source_->description;
        s.server_url = source_->url;
        s.genre = source_->genre;
        s.is_public = source_->is_public;
        s.bitrate = source_->bitrate;
        s.audio_info = source_->audio_info;
        s.audio_info_pairs = source_->audio_info_pairs;
        s.source_ip = source_->source_ip;
        s.user_agent = source_->user_agent;
    } else {
        s.server_name = settings.stream_name;
    }
    return s;
}

}  // namespace tinyice::core
