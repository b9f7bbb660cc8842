#include "autodj/Library.hpp"

#include "codec/FileDecoder.hpp"
#include "codec/Loudness.hpp"
#include "util/Log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

namespace tinyice::autodj {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Probed files are stored and published in batches: often enough that a first scan of a big
// folder becomes playable as it goes, rarely enough that rebuilding the index stays cheap.
constexpr std::size_t scan_batch = 200;
constexpr auto scan_flush_interval = std::chrono::seconds(3);
// Loudness results are published every so many tracks or seconds.
constexpr std::size_t analysis_batch = 8;
constexpr std::size_t analysis_publish_every = 25;
constexpr auto analysis_publish_interval = std::chrono::seconds(30);
// Deeper folders are not walked (a guard against pathological trees, not a real limit).
constexpr int max_depth = 64;

spdlog::logger& log() {
    static const auto logger = util::logger("library");
    return *logger;
}

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return ascii_lower(c); });
    return out;
}

// `needle` is already lower case.
bool icontains(std::string_view haystack, std::string_view needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                       [](char h, char n) { return ascii_lower(h) == n; }) != haystack.end();
}

std::string_view file_stem(std::string_view path) {
    const auto slash = path.rfind('/');
    std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const auto dot = name.rfind('.');
    if (dot != std::string_view::npos && dot > 0) {
        name = name.substr(0, dot);
    }
    return name;
}

bool inside(const fs::path& candidate, const fs::path& root) {
    const std::string& c = candidate.native();
    const std::string& r = root.native();
    if (c == r) {
        return true;
    }
    if (r.empty() || c.size() <= r.size() || c.compare(0, r.size(), r) != 0) {
        return false;
    }
    return r.back() == '/' || c[r.size()] == '/';
}

fs::path canonical_root(const fs::path& root) {
    std::error_code ec;
    fs::path abs = fs::absolute(root, ec);
    if (ec) {
        abs = root;
    }
    fs::path canon = fs::weakly_canonical(abs, ec);
    canon = ec ? abs.lexically_normal() : canon;
    // "/music/" and "/music" are the same library.
    if (canon.has_relative_path() && !canon.has_filename()) {
        canon = canon.parent_path();
    }
    return canon;
}

TrackPtr make_track(const storage::TrackRecord& r) {
    auto t = std::make_shared<Track>();
    t->path = r.path;
    t->artist = r.artist;
    t->title = r.title;
    t->album = r.album;
    t->genre = r.genre;
    t->date = r.date;
    t->track_no = r.track_no;
    t->duration = r.duration;
    t->mtime = r.mtime;
    t->size = r.size;
    t->rg_track_gain_db = r.rg_track_gain_db;
    t->rg_track_peak = r.rg_track_peak;
    t->loudness_lufs = r.loudness_lufs;
    t->loudness_peak = r.loudness_peak;
    return t;
}

// Scanning and measuring compete with nothing that matters less: let the streaming threads
// have the CPU first.
void lower_thread_priority() {
    const auto tid = static_cast<id_t>(::gettid());
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, tid);
    if (errno == 0) {
        ::setpriority(PRIO_PROCESS, tid, std::min(current + 10, 19));
    }
}

std::int64_t millis_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

} // namespace

// ---- Track -----------------------------------------------------------------------------------

std::string Track::display_title() const {
    if (!artist.empty() && !title.empty()) {
        return artist + " - " + title;
    }
    return title_or_name();
}

std::string Track::title_or_name() const {
    return title.empty() ? std::string(file_stem(path)) : title;
}

// ---- LibraryIndex ----------------------------------------------------------------------------

LibraryIndex::LibraryIndex(std::vector<TrackPtr> tracks) : tracks_(std::move(tracks)) {
    std::erase(tracks_, nullptr);
    std::sort(tracks_.begin(), tracks_.end(),
              [](const TrackPtr& a, const TrackPtr& b) { return a->path < b->path; });
    tracks_.erase(
        std::unique(tracks_.begin(), tracks_.end(),
                    [](const TrackPtr& a, const TrackPtr& b) { return a->path == b->path; }),
        tracks_.end());
    std::set<std::string_view> artists;
    std::set<std::string_view> albums;
    for (const auto& t : tracks_) {
        if (!t->artist.empty()) {
            artists.insert(t->artist);
        }
        if (!t->album.empty()) {
            albums.insert(t->album);
        }
        total_duration_ += t->duration;
    }
    artists_ = artists.size();
    albums_ = albums.size();
}

namespace {

// First track whose path is not less than `path`.
std::vector<TrackPtr>::const_iterator lower(const std::vector<TrackPtr>& tracks,
                                            std::string_view path) {
    return std::lower_bound(tracks.begin(), tracks.end(), path,
                            [](const TrackPtr& t, std::string_view p) { return t->path < p; });
}

std::string_view strip_slashes(std::string_view dir) {
    while (!dir.empty() && dir.front() == '/') {
        dir.remove_prefix(1);
    }
    while (!dir.empty() && dir.back() == '/') {
        dir.remove_suffix(1);
    }
    return dir;
}

} // namespace

TrackPtr LibraryIndex::find(std::string_view path) const {
    const auto it = lower(tracks_, path);
    return it != tracks_.end() && (*it)->path == path ? *it : nullptr;
}

std::vector<TrackPtr> LibraryIndex::under(std::string_view dir) const {
    dir = strip_slashes(dir);
    if (dir.empty()) {
        return tracks_;
    }
    std::vector<TrackPtr> out;
    if (auto exact = find(dir)) {
        out.push_back(std::move(exact));
    }
    // Everything in "dir/" sorts between "dir/" and "dir0" ('0' follows '/').
    const std::string prefix = std::string(dir) + "/";
    for (auto it = lower(tracks_, prefix); it != tracks_.end() && (*it)->path.starts_with(prefix);
         ++it) {
        out.push_back(*it);
    }
    return out;
}

bool LibraryIndex::list(std::string_view dir, Listing& out) const {
    out = Listing{};
    dir = strip_slashes(dir);
    const std::string prefix = dir.empty() ? std::string() : std::string(dir) + "/";
    auto it = lower(tracks_, prefix);
    const auto end = tracks_.end();
    bool any = false;
    while (it != end && (*it)->path.starts_with(prefix)) {
        any = true;
        const std::string& path = (*it)->path;
        const auto slash = path.find('/', prefix.size());
        if (slash == std::string::npos) {
            out.tracks.push_back(*it);
            ++it;
            continue;
        }
        // A sub-folder: note it and skip everything in it at once.
        std::string folder = path.substr(0, slash);
        it = lower(tracks_, folder + "0");
        out.folders.push_back(std::move(folder));
    }
    std::sort(out.folders.begin(), out.folders.end());
    return any || dir.empty();
}

std::vector<TrackPtr> LibraryIndex::search(std::string_view text, std::size_t limit) const {
    std::vector<std::string> words;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto start = text.find_first_not_of(" \t\r\n", at);
        if (start == std::string_view::npos) {
            break;
        }
        const auto end = std::min(text.find_first_of(" \t\r\n", start), text.size());
        words.push_back(ascii_lower(text.substr(start, end - start)));
        at = end;
    }
    std::vector<TrackPtr> out;
    for (const auto& t : tracks_) {
        if (out.size() >= limit) {
            break;
        }
        const bool all_match = std::all_of(words.begin(), words.end(), [&](const std::string& w) {
            return icontains(t->artist, w) || icontains(t->title, w) || icontains(t->album, w) ||
                   icontains(t->path, w);
        });
        if (all_match) {
            out.push_back(t);
        }
    }
    return out;
}

// ---- Library ---------------------------------------------------------------------------------

struct Library::WalkResult {
    std::unordered_map<std::string, storage::FileStamp> stamps; // what the store knew
    std::unordered_set<std::string> seen;                       // audio files found now
    std::vector<std::string> failed_dirs; // relative folders that could not be (fully) read
    std::vector<storage::TrackRecord> batch;
    Clock::time_point last_flush = Clock::now();
    bool aborted = false;
};

Library::Library(std::filesystem::path root, storage::Database& db, Options options)
    : root_(canonical_root(root)), options_(std::move(options)), store_(db, root_.string()),
      index_(std::make_shared<const LibraryIndex>()) {
    for (const auto& ext : options_.extensions) {
        extensions_.insert(ascii_lower(ext));
    }
}

Library::~Library() {
    stop();
}

void Library::start() {
    std::lock_guard lifecycle(lifecycle_mutex_);
    {
        std::lock_guard lock(mutex_);
        if (worker_.joinable()) {
            return;
        }
    }
    tracks_.clear();
    unreadable_.clear();
    for (const auto& r : store_.all()) {
        if (r.error.empty()) {
            tracks_.emplace(r.path, make_track(r));
        } else {
            unreadable_.insert(r.path);
        }
    }
    publish();
    log().info("{}: {} tracks known, scanning for changes", root_.string(), tracks_.size());
    std::lock_guard lock(mutex_);
    stopping_ = false;
    abort_ = false;
    scan_requested_ = true;
    analysis_wanted_ = false;
    worker_ = std::thread([this] { run(); });
}

void Library::stop() {
    std::lock_guard lifecycle(lifecycle_mutex_);
    std::thread worker;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        abort_ = true;
        worker = std::move(worker_);
    }
    wake_.notify_all();
    if (worker.joinable()) {
        worker.join();
    }
}

std::uint64_t Library::rescan() {
    std::lock_guard lock(mutex_);
    scan_requested_ = true;
    wake_.notify_all();
    return progress_.scan_id + 1;
}

std::shared_ptr<const LibraryIndex> Library::index() const {
    std::lock_guard lock(mutex_);
    return index_;
}

ScanProgress Library::progress() const {
    std::lock_guard lock(mutex_);
    return progress_;
}

std::optional<std::filesystem::path> Library::resolve(std::string_view relative) const {
    if (relative.find('\0') != std::string_view::npos ||
        (!relative.empty() && relative.front() == '/')) {
        return std::nullopt;
    }
    fs::path path = root_;
    std::size_t at = 0;
    while (at <= relative.size()) {
        const auto slash = std::min(relative.find('/', at), relative.size());
        const auto part = relative.substr(at, slash - at);
        at = slash + 1;
        if (part.empty() || part == ".") {
            continue;
        }
        if (part == "..") {
            return std::nullopt;
        }
        path /= part;
    }
    // Symlinks inside the folder may point anywhere; what they lead to must stay inside.
    std::error_code ec;
    const fs::path target = fs::weakly_canonical(path, ec);
    if (ec || !inside(target, root_)) {
        return std::nullopt;
    }
    return path;
}

std::optional<std::string> Library::relative(const std::filesystem::path& file) const {
    if (!file.is_absolute()) {
        return std::nullopt;
    }
    fs::path normal = file.lexically_normal();
    if (!inside(normal, root_)) {
        // Maybe reached through a symlink to the folder.
        std::error_code ec;
        normal = fs::weakly_canonical(file, ec);
        if (ec || !inside(normal, root_)) {
            return std::nullopt;
        }
    }
    std::string rel = normal.lexically_relative(root_).generic_string();
    if (rel == ".") {
        rel.clear();
    }
    if (!rel.empty() && rel.back() == '/') {
        rel.pop_back();
    }
    if (!resolve(rel)) {
        return std::nullopt;
    }
    return rel;
}

std::uint64_t Library::subscribe(std::function<void()> on_change) {
    std::lock_guard lock(subscribers_mutex_);
    const auto id = next_subscriber_++;
    subscribers_.emplace_back(id, std::move(on_change));
    return id;
}

void Library::unsubscribe(std::uint64_t id) {
    std::lock_guard lock(subscribers_mutex_);
    std::erase_if(subscribers_, [id](const auto& s) { return s.first == id; });
}

void Library::notify() {
    std::lock_guard lock(subscribers_mutex_);
    const auto subscribers = subscribers_; // a callback may (un)subscribe
    for (const auto& [id, callback] : subscribers) {
        const bool still = std::any_of(subscribers_.begin(), subscribers_.end(),
                                       [id = id](const auto& s) { return s.first == id; });
        if (!still) {
            continue;
        }
        try {
            callback();
        } catch (const std::exception& e) {
            log().error("{}: change callback failed: {}", root_.string(), e.what());
        }
    }
}

void Library::publish() {
    std::vector<TrackPtr> tracks;
    tracks.reserve(tracks_.size());
    for (const auto& [path, track] : tracks_) {
        tracks.push_back(track);
    }
    auto index = std::make_shared<const LibraryIndex>(std::move(tracks));
    {
        std::lock_guard lock(mutex_);
        index_ = std::move(index);
    }
    unpublished_analyses_ = 0;
    last_publish_ = Clock::now();
    notify();
}

// ---- the worker ------------------------------------------------------------------------------

void Library::run() {
    lower_thread_priority();
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (scan_requested_) {
            scan_requested_ = false;
            const auto id = progress_.scan_id + 1;
            progress_ = ScanProgress{.scanning = true,
                                     .analysing = false,
                                     .scan_id = id,
                                     .analysis_pending = progress_.analysis_pending,
                                     .analysed = progress_.analysed,
                                     .last_scan_started = storage::unix_ms_now(),
                                     .last_scan_finished = progress_.last_scan_finished};
            lock.unlock();
            notify();
            try {
                scan();
            } catch (const std::exception& e) {
                fail_scan(fmt::format("scan of {} failed: {}", root_.string(), e.what()));
            }
            lock.lock();
            analysis_wanted_ = options_.analyse_loudness && progress_.error.empty();
            continue;
        }
        if (analysis_wanted_) {
            lock.unlock();
            bool done = true;
            try {
                done = analyse_some();
            } catch (const std::exception& e) {
                log().error("{}: loudness analysis stopped: {}", root_.string(), e.what());
            }
            lock.lock();
            if (done) {
                analysis_wanted_ = false;
                progress_.analysing = false;
            }
            continue;
        }
        wake_.wait(lock);
    }
}

void Library::fail_scan(const std::string& error) {
    {
        std::lock_guard lock(mutex_);
        progress_.scanning = false;
        progress_.error = error;
        progress_.last_scan_finished = storage::unix_ms_now();
    }
    if (error != logged_error_) {
        log().warn("{} (keeping the {} tracks known)", error, tracks_.size());
        logged_error_ = error;
    }
    notify();
}

void Library::scan() {
    const auto started = Clock::now();
    std::error_code ec;
    const auto status = fs::status(root_, ec);
    if (ec || !fs::is_directory(status)) {
        fail_scan(ec ? fmt::format("music folder {}: {}", root_.string(), ec.message())
                     : fmt::format("music folder {} is not a folder", root_.string()));
        return;
    }
    if (fs::directory_iterator probe(root_, ec); ec) {
        fail_scan(fmt::format("cannot read music folder {}: {}", root_.string(), ec.message()));
        return;
    }
    log().info("scanning {}", root_.string());

    WalkResult w;
    w.stamps = store_.stamps();
    walk(w);
    flush_batch(w);
    if (w.aborted) {
        std::lock_guard lock(mutex_);
        progress_.scanning = false;
        return;
    }

    // Files that are gone, except under folders that could not be read this time.
    std::vector<std::string> gone;
    for (const auto& [path, stamp] : w.stamps) {
        const bool hidden_by_error =
            std::any_of(w.failed_dirs.begin(), w.failed_dirs.end(), [&](const std::string& d) {
                return d.empty() ||
                       (path.size() > d.size() && path.starts_with(d) && path[d.size()] == '/');
            });
        if (!w.seen.contains(path) && !hidden_by_error) {
            gone.push_back(path);
        }
    }
    if (!gone.empty()) {
        store_.remove(gone);
        for (const auto& path : gone) {
            tracks_.erase(path);
            unreadable_.erase(path);
        }
        publish();
    }

    ScanProgress done;
    {
        std::lock_guard lock(mutex_);
        progress_.removed = gone.size();
        progress_.scanning = false;
        progress_.error.clear();
        progress_.last_scan_finished = storage::unix_ms_now();
        done = progress_;
    }
    logged_error_.clear();
    log().info("scanned {} in {:.1f} s: {} audio files, {} added, {} updated, {} removed, {} "
               "unreadable{}",
               root_.string(), static_cast<double>(millis_since(started)) / 1000.0, done.files_seen,
               done.added, done.updated, done.removed, done.unreadable,
               w.failed_dirs.empty()
                   ? std::string()
                   : fmt::format(", {} folders could not be read", w.failed_dirs.size()));
    notify();
}

void Library::walk(WalkResult& w) {
    struct Dir {
        fs::path abs;
        std::string rel;
        int depth = 0;
    };
    std::vector<Dir> pending{{root_, std::string(), 0}};
    // Folders by identity, so a symlink back up the tree (or a bind mount) cannot loop.
    std::set<std::pair<dev_t, ino_t>> visited;
    if (struct stat st{}; ::stat(root_.c_str(), &st) == 0) {
        visited.emplace(st.st_dev, st.st_ino);
    }
    while (!pending.empty()) {
        const Dir dir = std::move(pending.back());
        pending.pop_back();
        std::error_code ec;
        fs::directory_iterator it(dir.abs, ec);
        for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
            if (abort_) {
                w.aborted = true;
                return;
            }
            const fs::directory_entry& entry = *it;
            const std::string name = entry.path().filename().string();
            if (name.empty() || name.front() == '.') {
                continue; // hidden, like the tools that made them intend
            }
            struct stat target {};
            if (::stat(entry.path().c_str(), &target) != 0) {
                continue; // a dangling symlink, or gone already
            }
            std::error_code link_ec;
            if (entry.is_symlink(link_ec)) {
                const fs::path real = fs::canonical(entry.path(), link_ec);
                if (link_ec || !inside(real, root_)) {
                    continue; // never leave the folder
                }
            }
            std::string rel = dir.rel.empty() ? name : dir.rel + "/" + name;
            if (S_ISDIR(target.st_mode)) {
                if (dir.depth + 1 < max_depth &&
                    visited.emplace(target.st_dev, target.st_ino).second) {
                    pending.push_back(Dir{entry.path(), std::move(rel), dir.depth + 1});
                }
                continue;
            }
            const auto dot = name.rfind('.');
            if (!S_ISREG(target.st_mode) || dot == std::string::npos ||
                !extensions_.contains(ascii_lower(std::string_view(name).substr(dot)))) {
                continue;
            }
            const storage::FileStamp stamp{static_cast<std::int64_t>(target.st_mtim.tv_sec),
                                           static_cast<std::int64_t>(target.st_size)};
            {
                std::lock_guard lock(mutex_);
                ++progress_.files_seen;
            }
            w.seen.insert(rel);
            const auto known = w.stamps.find(rel);
            if (known != w.stamps.end() && known->second.mtime == stamp.mtime &&
                known->second.size == stamp.size) {
                if (unreadable_.contains(rel)) {
                    std::lock_guard lock(mutex_);
                    ++progress_.unreadable;
                }
                continue;
            }
            probe_into(rel, entry.path(), stamp, known != w.stamps.end(), w);
        }
        if (ec) {
            log().warn("{}: cannot read folder {}: {}", root_.string(),
                       dir.rel.empty() ? "." : dir.rel, ec.message());
            w.failed_dirs.push_back(dir.rel);
        }
    }
}

void Library::probe_into(const std::string& path, const std::filesystem::path& file,
                         storage::FileStamp stamp, bool known, WalkResult& w) {
    storage::TrackRecord r;
    r.path = path;
    r.mtime = stamp.mtime;
    r.size = stamp.size;
    r.added_at = storage::unix_ms_now(); // the store keeps the first one for known files
    try {
        const auto tags = codec::probe_file(file);
        r.artist = tags.artist;
        r.title = tags.title;
        r.album = tags.album;
        r.genre = tags.genre;
        r.date = tags.date;
        r.track_no = tags.track;
        r.duration = std::isfinite(tags.duration) && tags.duration > 0 ? tags.duration : 0;
        r.rg_track_gain_db = tags.rg_track_gain_db;
        r.rg_track_peak = tags.rg_track_peak;
    } catch (const std::exception& e) {
        r.error = e.what();
        if (r.error.empty()) {
            r.error = "unreadable";
        }
        log().debug("{}: {}", path, r.error);
    }
    {
        std::lock_guard lock(mutex_);
        ++progress_.probed;
        if (!r.error.empty()) {
            ++progress_.unreadable;
        } else if (known) {
            ++progress_.updated;
        } else {
            ++progress_.added;
        }
    }
    w.batch.push_back(std::move(r));
    if (w.batch.size() >= scan_batch || Clock::now() - w.last_flush >= scan_flush_interval) {
        flush_batch(w);
    }
}

void Library::flush_batch(WalkResult& w) {
    w.last_flush = Clock::now();
    if (w.batch.empty()) {
        return;
    }
    store_.upsert(w.batch);
    for (const auto& r : w.batch) {
        if (r.error.empty()) {
            tracks_.insert_or_assign(r.path, make_track(r));
            unreadable_.erase(r.path);
        } else {
            tracks_.erase(r.path);
            unreadable_.insert(r.path);
        }
    }
    w.batch.clear();
    publish();
}

bool Library::analyse_some() {
    // Tracks that failed to measure stay "needing analysis" in the store; asking for that many
    // more keeps them from filling every batch.
    auto paths = store_.needing_analysis(analysis_failed_.size() + analysis_batch);
    std::erase_if(paths, [&](const std::string& p) { return analysis_failed_.contains(p); });
    const auto pending = store_.stats().needing_analysis;
    {
        std::lock_guard lock(mutex_);
        progress_.analysing = !paths.empty();
        progress_.analysis_pending = pending - std::min(pending, analysis_failed_.size());
    }
    if (paths.empty()) {
        if (unpublished_analyses_ > 0) {
            publish();
        }
        return true;
    }
    const auto should_stop = [this] {
        return abort_.load();
    };
    for (const auto& path : paths) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_ || scan_requested_) {
                return false; // a scan comes first; analysis resumes after it
            }
        }
        const auto file = resolve(path);
        if (!file) {
            analysis_failed_.insert(path);
            continue;
        }
        try {
            const auto result = codec::measure_file_loudness(*file, should_stop);
            if (abort_) {
                return false; // cut short: not a measurement
            }
            if (std::isnan(result.integrated_lufs) || std::isnan(result.peak)) {
                throw codec::CodecError(path + ": loudness is not a number");
            }
            store_.set_loudness(path, result.integrated_lufs, result.peak);
            if (const auto it = tracks_.find(path); it != tracks_.end()) {
                auto track = std::make_shared<Track>(*it->second);
                track->loudness_lufs = result.integrated_lufs;
                track->loudness_peak = result.peak;
                it->second = std::move(track);
                ++unpublished_analyses_;
            }
            std::lock_guard lock(mutex_);
            ++progress_.analysed;
            progress_.analysis_pending -= std::min<std::size_t>(progress_.analysis_pending, 1);
        } catch (const codec::CodecError& e) {
            log().info("{}: cannot measure loudness: {}", root_.string(), e.what());
            analysis_failed_.insert(path);
        }
    }
    if (unpublished_analyses_ >= analysis_publish_every ||
        (unpublished_analyses_ > 0 && Clock::now() - last_publish_ >= analysis_publish_interval)) {
        publish();
    }
    return false; // look for more
}

} // namespace tinyice::autodj
