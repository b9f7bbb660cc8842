// In-process sources (AutoDJ stations, transcoder outputs): they claim a mount and write to it
// exactly like an encoder's source coroutine does, minus the socket.

#include <boost/asio/post.hpp>

#include "protocol/icecast/IcyMetadata.hpp"
#include "protocol/icecast/Utf8.hpp"
#include "server/Server.hpp"
#include "storage/Database.hpp"
#include "storage/HistoryStore.hpp"
#include "util/Log.hpp"

namespace tinyice::server {

namespace asio = boost::asio;

InternalSource::InternalSource(Server& server, std::shared_ptr<core::Mount> mount,
                               std::shared_ptr<std::atomic<bool>> killed, bool record_history)
    : server_(server),
      mount_(std::move(mount)),
      killed_(std::move(killed)),
      record_history_(record_history),
      low_latency_(mount_->settings().flush_interval_ms == 0),
      seen_title_version_(mount_->title_version()) {}

InternalSource::~InternalSource() {
    mount_->release_source();
    server_.sources_active_.fetch_sub(1, std::memory_order_relaxed);
    auto info = mount_->source_info();
    util::logger("source")->info("{} stopped feeding {} after {} bytes",
                                 info && !info->origin.empty() ? info->origin : "in-process source",
                                 mount_->name(), mount_->bytes_read());
    server_.announce_source_ended(mount_);
    server_.mounts_.remove_if_unused(mount_);
}

void InternalSource::write(std::span<const std::uint8_t> data) {
    if (data.empty()) {
        return;
    }
    mount_->write(data);
    if (low_latency_) {
        const core::Mount* key = mount_.get();
        for (auto& loop : server_.loops_) {
            auto* l = loop.get();
            asio::post(l->context(), [l, key] { l->flush_mount(key); });
        }
    }
}

void InternalSource::set_title(const std::string& artist, const std::string& title) {
    std::string display = artist.empty() ? title : (title.empty() ? artist : artist + " - " + title);
    server_.publish_title(*mount_, display, artist, "");
    if (record_history_ && display != last_recorded_) {
        last_recorded_ = display;
        auto info = mount_->source_info();
        server_.record_play(*mount_, info ? info->origin : "");
    }
}

std::uint64_t InternalSource::listeners() const {
    return mount_->listeners();
}

const std::string& InternalSource::mount_name() const {
    return mount_->name();
}

std::unique_ptr<InternalSource> Server::open_internal_source(const std::string& mount_name,
                                                             core::SourceInfo info) {
    if (stopping_) {
        return nullptr;
    }
    auto path = protocol::http::normalize_mount_path(mount_name);
    if (!path || *path != mount_name || mount_name == "/" || mount_name.starts_with("/admin") ||
        mount_name.starts_with("/api/") || router_.owns(mount_name)) {
        util::logger("source")->warn("{}: '{}' cannot be a mount", info.origin, mount_name);
        return nullptr;
    }
    if (mounts_.sources() >= config_.limits.max_sources) {
        return nullptr;
    }
    auto killed = std::make_shared<std::atomic<bool>>(false);
    std::weak_ptr<std::atomic<bool>> weak = killed;
    auto kill = [weak] {
        if (auto k = weak.lock()) {
            k->store(true, std::memory_order_release);
        }
    };
    const bool record = info.origin != "autodj";  // the AutoDJ records its own plays, with files
    auto origin = info.origin.empty() ? std::string("in-process source") : info.origin;
    auto content_type = info.content_type;
    auto mount = mounts_.claim_source(mount_name, std::move(info), kill);
    if (!mount) {
        return nullptr;
    }
    source_connections_.fetch_add(1, std::memory_order_relaxed);
    sources_active_.fetch_add(1, std::memory_order_relaxed);
    util::logger("source")->info("{} started feeding {} ({})", origin, mount->name(), content_type);
    announce_source_started(mount);
    return std::unique_ptr<InternalSource>(
        new InternalSource(*this, std::move(mount), std::move(killed), record));
}

void Server::publish_title(core::Mount& mount, std::string display, std::string artist,
                           std::string url) {
    const auto charset = mount.settings().charset;
    auto block = protocol::icecast::render_icy_block(protocol::icecast::from_utf8(display, charset),
                                                     protocol::icecast::from_utf8(url, charset));
    mount.set_metadata({std::move(display), std::move(artist), std::move(url), std::move(block)});
}

void Server::record_play(const core::Mount& mount, std::string_view origin) {
    if (history_ == nullptr) {
        return;
    }
    auto t = mount.title_info();
    if (t.title.empty()) {
        return;
    }
    storage::PlayRecord play;
    play.mount = mount.name();
    play.started_at = storage::unix_ms_now();
    play.artist = t.artist;
    play.title = t.title;
    // The display title is "Artist - Title" when both are known: keep the title part.
    if (!t.artist.empty() && t.title.starts_with(t.artist + " - ")) {
        play.title = t.title.substr(t.artist.size() + 3);
    }
    play.listeners = mount.listeners();
    play.source = origin.empty() ? "live" : std::string(origin);
    history_->record(std::move(play));
}

}  // namespace tinyice::server
