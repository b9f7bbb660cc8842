#include "autodj/PlayQueue.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <iterator>
#include <unordered_set>

namespace tinyice::autodj {
namespace {

namespace json = boost::json;

// Longest path accepted from a saved state; a library-relative path is far shorter.
constexpr std::size_t max_saved_path = 4096;
// Ids and versions from a saved state above this are refused: they must stay exact in the web
// studio's JavaScript numbers, and a counter near 2^64 would wrap.
constexpr std::uint64_t max_saved_number = std::uint64_t{1} << 53;

std::optional<std::uint64_t> read_u64(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    std::uint64_t n = 0;
    if (v->is_uint64()) {
        n = v->get_uint64();
    } else if (v->is_int64() && v->get_int64() >= 0) {
        n = static_cast<std::uint64_t>(v->get_int64());
    } else {
        return std::nullopt;
    }
    return n <= max_saved_number ? std::optional(n) : std::nullopt;
}

bool read_bool(const json::object& o, std::string_view key, bool fallback) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_bool() ? v->get_bool() : fallback;
}

std::optional<std::uint64_t> read_id(const json::value& v) {
    if (v.is_uint64() && v.get_uint64() > 0 && v.get_uint64() <= max_saved_number) {
        return v.get_uint64();
    }
    if (v.is_int64() && v.get_int64() > 0 &&
        static_cast<std::uint64_t>(v.get_int64()) <= max_saved_number) {
        return static_cast<std::uint64_t>(v.get_int64());
    }
    return std::nullopt;
}

// An entry of a saved state, or nullopt when it is not one (no id, no path, wrong types).
std::optional<QueueEntry> read_entry(const json::value& v) {
    const json::object* o = v.if_object();
    if (o == nullptr) {
        return std::nullopt;
    }
    const auto id = read_u64(*o, "id");
    const json::value* path = o->if_contains("path");
    if (!id || *id == 0 || path == nullptr || !path->is_string() || path->get_string().empty() ||
        path->get_string().size() > max_saved_path) {
        return std::nullopt;
    }
    return QueueEntry{*id, std::string(path->get_string()), read_u64(*o, "version").value_or(0)};
}

json::object entry_json(const QueueEntry& e) {
    return json::object{{"id", e.id}, {"path", e.path}, {"version", e.version}};
}

json::array entries_json(const std::vector<QueueEntry>& entries) {
    json::array a;
    a.reserve(entries.size());
    for (const auto& e : entries) {
        a.emplace_back(entry_json(e));
    }
    return a;
}

json::object pick_json(const PlayQueue::Pick& p) {
    json::object o = entry_json(p.entry);
    o["from_up_next"] = p.from_up_next;
    return o;
}

std::optional<PlayQueue::Pick> read_pick(const json::value& v) {
    auto entry = read_entry(v);
    if (!entry) {
        return std::nullopt;
    }
    return PlayQueue::Pick{std::move(*entry), read_bool(v.get_object(), "from_up_next", false),
                           std::nullopt};
}

json::array ids_json(const std::vector<std::uint64_t>& ids) {
    json::array a;
    a.reserve(ids.size());
    for (const auto id : ids) {
        a.emplace_back(id);
    }
    return a;
}

void erase_id(std::vector<std::uint64_t>& ids, std::uint64_t id) {
    if (const auto it = std::find(ids.begin(), ids.end(), id); it != ids.end()) {
        ids.erase(it);
    }
}

bool contains_id(const std::vector<std::uint64_t>& ids, std::uint64_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

} // namespace

PlayQueue::PlayQueue() {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    rng_.seed(seed);
}

// ---- playlist --------------------------------------------------------------------------------

std::uint64_t PlayQueue::add(std::string path, std::optional<std::size_t> position) {
    if (playlist_.size() >= max_playlist_length) {
        return 0;
    }
    const std::size_t at = std::min(position.value_or(playlist_.size()), playlist_.size());
    const std::uint64_t id = next_id_++;
    playlist_.insert(playlist_.begin() + static_cast<std::ptrdiff_t>(at),
                     QueueEntry{id, std::move(path), 0});
    touch(at, playlist_.size());
    if (modes_.random) {
        // Inside-out Fisher-Yates: the unplayed part stays a uniform shuffle, in O(1).
        order_.push_back(id);
        std::uniform_int_distribution<std::size_t> slot(0, order_.size() - 1);
        std::swap(order_.back(), order_[slot(rng_)]);
    }
    if (current_ && current_->position && *current_->position >= at) {
        ++*current_->position;
    }
    return id;
}

std::vector<std::uint64_t> PlayQueue::add_many(std::vector<std::string> paths,
                                               std::optional<std::size_t> position) {
    const std::size_t n = std::min(
        paths.size(), max_playlist_length - std::min(max_playlist_length, playlist_.size()));
    std::vector<std::uint64_t> ids;
    if (n == 0) {
        return ids;
    }
    const std::size_t at = std::min(position.value_or(playlist_.size()), playlist_.size());
    ids.reserve(n);
    std::vector<QueueEntry> entries;
    entries.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        ids.push_back(next_id_++);
        entries.push_back(QueueEntry{ids.back(), std::move(paths[i]), 0});
    }
    playlist_.insert(playlist_.begin() + static_cast<std::ptrdiff_t>(at),
                     std::make_move_iterator(entries.begin()),
                     std::make_move_iterator(entries.end()));
    touch(at, playlist_.size());
    if (modes_.random) {
        order_.reserve(order_.size() + n);
        for (const auto id : ids) {
            order_.push_back(id);
            std::uniform_int_distribution<std::size_t> slot(0, order_.size() - 1);
            std::swap(order_.back(), order_[slot(rng_)]);
        }
    }
    if (current_ && current_->position && *current_->position >= at) {
        *current_->position += n;
    }
    return ids;
}

std::size_t PlayQueue::remove(std::size_t start, std::size_t end) {
    end = std::min(end, playlist_.size());
    if (start >= end) {
        return 0;
    }
    std::unordered_set<std::uint64_t> gone;
    for (std::size_t i = start; i < end; ++i) {
        gone.insert(playlist_[i].id);
    }
    playlist_.erase(playlist_.begin() + static_cast<std::ptrdiff_t>(start),
                    playlist_.begin() + static_cast<std::ptrdiff_t>(end));
    // Playback in order continues with the entry that took the removed range's place.
    if (anchor_ && gone.contains(*anchor_)) {
        anchor_ = start > 0 ? std::optional(playlist_[start - 1].id) : std::nullopt;
    }
    std::erase_if(order_, [&](std::uint64_t id) { return gone.contains(id); });
    std::erase_if(played_, [&](std::uint64_t id) { return gone.contains(id); });
    touch(start, playlist_.size());
    if (current_ && current_->position) {
        std::size_t& pos = *current_->position;
        if (pos >= end) {
            pos -= end - start;
        } else if (pos >= start) {
            current_->position.reset(); // keeps playing, detached
        }
    }
    return end - start;
}

bool PlayQueue::remove_id(std::uint64_t id) {
    const auto pos = position_of(id);
    return pos && remove(*pos, *pos + 1) == 1;
}

bool PlayQueue::move(std::size_t start, std::size_t end, std::size_t to) {
    const std::size_t size = playlist_.size();
    if (start >= end || end > size || to > size - (end - start)) {
        return false;
    }
    if (to == start) {
        return true;
    }
    const auto first = playlist_.begin();
    const auto n = end - start;
    if (to < start) {
        std::rotate(first + static_cast<std::ptrdiff_t>(to),
                    first + static_cast<std::ptrdiff_t>(start),
                    first + static_cast<std::ptrdiff_t>(end));
    } else {
        std::rotate(first + static_cast<std::ptrdiff_t>(start),
                    first + static_cast<std::ptrdiff_t>(end),
                    first + static_cast<std::ptrdiff_t>(to + n));
    }
    touch(std::min(start, to), std::max(end, to + n));
    after_playlist_change();
    return true;
}

bool PlayQueue::move_id(std::uint64_t id, std::size_t to) {
    const auto pos = position_of(id);
    return pos && move(*pos, *pos + 1, to);
}

void PlayQueue::clear() {
    playlist_.clear();
    order_.clear();
    played_.clear();
    anchor_.reset();
    ++version_;
    if (current_) {
        current_->position.reset();
    }
}

void PlayQueue::shuffle(std::size_t start, std::size_t end) {
    end = std::min(end, playlist_.size());
    if (start >= end || end - start < 2) {
        return;
    }
    std::size_t from = start;
    // As MPD does: in order mode the playing song moves to the front of the range, so the
    // shuffled rest plays after it.
    if (!modes_.random) {
        if (const auto pos = current_position(); pos && *pos >= start && *pos < end) {
            std::swap(playlist_[start], playlist_[*pos]);
            from = start + 1;
        }
    }
    std::shuffle(playlist_.begin() + static_cast<std::ptrdiff_t>(from),
                 playlist_.begin() + static_cast<std::ptrdiff_t>(end), rng_);
    touch(start, end);
    after_playlist_change();
}

std::optional<std::size_t> PlayQueue::position_of(std::uint64_t id) const {
    const auto it = std::find_if(playlist_.begin(), playlist_.end(),
                                 [id](const QueueEntry& e) { return e.id == id; });
    if (it == playlist_.end()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - playlist_.begin());
}

std::vector<QueueEntry> PlayQueue::changes_since(std::uint64_t version) const {
    if (version > version_) {
        return playlist_;
    }
    std::vector<QueueEntry> out;
    for (const auto& e : playlist_) {
        if (e.version > version) {
            out.push_back(e);
        }
    }
    return out;
}

void PlayQueue::touch(std::size_t from, std::size_t to) {
    ++version_;
    to = std::min(to, playlist_.size());
    for (std::size_t i = from; i < to; ++i) {
        playlist_[i].version = version_;
    }
}

void PlayQueue::after_playlist_change() {
    if (current_) {
        current_->position = position_of(current_->entry.id);
    }
}

// ---- up-next queue ---------------------------------------------------------------------------

std::uint64_t PlayQueue::enqueue(std::string path, std::optional<std::size_t> position) {
    if (up_next_.size() >= max_up_next_length) {
        return 0;
    }
    const std::size_t at = std::min(position.value_or(up_next_.size()), up_next_.size());
    const std::uint64_t id = next_id_++;
    up_next_.insert(up_next_.begin() + static_cast<std::ptrdiff_t>(at),
                    QueueEntry{id, std::move(path), version_});
    return id;
}

std::vector<std::uint64_t> PlayQueue::enqueue_many(std::vector<std::string> paths,
                                                   std::optional<std::size_t> position) {
    const std::size_t n =
        std::min(paths.size(), max_up_next_length - std::min(max_up_next_length, up_next_.size()));
    std::vector<std::uint64_t> ids;
    if (n == 0) {
        return ids;
    }
    const std::size_t at = std::min(position.value_or(up_next_.size()), up_next_.size());
    ids.reserve(n);
    std::vector<QueueEntry> entries;
    entries.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        ids.push_back(next_id_++);
        entries.push_back(QueueEntry{ids.back(), std::move(paths[i]), version_});
    }
    up_next_.insert(up_next_.begin() + static_cast<std::ptrdiff_t>(at),
                    std::make_move_iterator(entries.begin()),
                    std::make_move_iterator(entries.end()));
    return ids;
}

bool PlayQueue::dequeue(std::size_t index) {
    if (index >= up_next_.size()) {
        return false;
    }
    up_next_.erase(up_next_.begin() + static_cast<std::ptrdiff_t>(index));
    return true;
}

bool PlayQueue::move_up_next(std::size_t from, std::size_t to) {
    if (from >= up_next_.size() || to >= up_next_.size()) {
        return false;
    }
    const auto first = up_next_.begin();
    if (from < to) {
        std::rotate(first + static_cast<std::ptrdiff_t>(from),
                    first + static_cast<std::ptrdiff_t>(from + 1),
                    first + static_cast<std::ptrdiff_t>(to + 1));
    } else if (to < from) {
        std::rotate(first + static_cast<std::ptrdiff_t>(to),
                    first + static_cast<std::ptrdiff_t>(from),
                    first + static_cast<std::ptrdiff_t>(from + 1));
    }
    return true;
}

void PlayQueue::clear_up_next() {
    up_next_.clear();
}

// ---- playing ---------------------------------------------------------------------------------

void PlayQueue::set_modes(const PlayModes& modes) {
    const bool was_random = modes_.random;
    modes_ = modes;
    if (modes_.random && !was_random) {
        rebuild_order();
    } else if (!modes_.random) {
        order_.clear();
        played_.clear();
    }
    if (!modes_.single) {
        repeat_current_ = false;
    }
}

std::optional<std::size_t> PlayQueue::current_position() const {
    return current_ ? current_->position : std::nullopt;
}

std::optional<PlayQueue::Pick> PlayQueue::advance() {
    if (repeat_current_ && current_) {
        repeat_current_ = false;
        return current_;
    }
    repeat_current_ = false;
    std::vector<std::uint64_t> round;
    auto pick = choose(rng_, round);
    if (!round.empty()) {
        order_ = std::move(round);
        played_.clear();
    }
    if (current_) {
        remember(*current_);
    }
    if (!pick) {
        // Stopped at the end: the next advance() starts over (a new round when random).
        current_.reset();
        anchor_.reset();
        order_.clear();
        played_.clear();
        return std::nullopt;
    }
    if (pick->from_up_next) {
        up_next_.erase(up_next_.begin());
    }
    make_current(*pick);
    return pick;
}

std::optional<PlayQueue::Pick> PlayQueue::peek_next() const {
    if (repeat_current_ && current_) {
        return current_;
    }
    // A copy of the generator draws exactly what advance() will draw from the original.
    auto rng = rng_;
    std::vector<std::uint64_t> round;
    return choose(rng, round);
}

std::optional<PlayQueue::Pick> PlayQueue::choose(std::mt19937_64& rng,
                                                 std::vector<std::uint64_t>& round) const {
    if (!up_next_.empty()) {
        return Pick{up_next_.front(), true, std::nullopt};
    }
    if (playlist_.empty()) {
        return std::nullopt;
    }
    if (modes_.random) {
        if (order_.empty()) {
            if (!played_.empty() && !modes_.repeat) {
                return std::nullopt; // the round is over
            }
            round = new_round(rng);
            return playlist_pick(*position_of(round.back()));
        }
        return playlist_pick(*position_of(order_.back()));
    }
    std::size_t next = 0;
    if (anchor_) {
        if (const auto pos = position_of(*anchor_)) {
            next = *pos + 1;
        }
    }
    if (next >= playlist_.size()) {
        if (!modes_.repeat) {
            return std::nullopt;
        }
        next = 0;
    }
    return playlist_pick(next);
}

std::vector<std::uint64_t> PlayQueue::new_round(std::mt19937_64& rng) const {
    std::vector<std::uint64_t> ids;
    ids.reserve(playlist_.size());
    for (const auto& e : playlist_) {
        ids.push_back(e.id);
    }
    std::shuffle(ids.begin(), ids.end(), rng);
    // The next song is the last element; never the song that just played, when there is a
    // choice.
    const auto last = last_played_id();
    if (ids.size() > 1 && last && ids.back() == *last) {
        std::uniform_int_distribution<std::size_t> other(0, ids.size() - 2);
        std::swap(ids.back(), ids[other(rng)]);
    }
    return ids;
}

void PlayQueue::rebuild_order() {
    order_.clear();
    played_.clear();
    const auto current = current_position();
    for (std::size_t i = 0; i < playlist_.size(); ++i) {
        if (current && *current == i) {
            played_.push_back(playlist_[i].id);
        } else {
            order_.push_back(playlist_[i].id);
        }
    }
    std::shuffle(order_.begin(), order_.end(), rng_);
}

bool PlayQueue::finished_current() {
    if (!current_) {
        return true;
    }
    if (modes_.consume) {
        remove_id(current_->entry.id);
    }
    if (modes_.single) {
        if (!modes_.repeat) {
            return false;
        }
        repeat_current_ = true;
    }
    return true;
}

std::optional<PlayQueue::Pick> PlayQueue::previous() {
    std::optional<Pick> target;
    if (!history_.empty()) {
        target = std::move(history_.back());
        history_.pop_back();
        target->position = position_of(target->entry.id);
        if (target->position) {
            target->entry = playlist_[*target->position];
            target->from_up_next = false;
        }
    } else if (const auto pos = current_position(); pos && *pos > 0) {
        target = playlist_pick(*pos - 1);
    } else {
        return std::nullopt;
    }
    repeat_current_ = false;
    // The song being left is what plays next again, so previous then next returns to it.
    if (current_) {
        if (current_->from_up_next) {
            if (up_next_.size() < max_up_next_length) {
                up_next_.insert(up_next_.begin(), current_->entry);
            }
        } else if (modes_.random && current_->position) {
            erase_id(played_, current_->entry.id);
            erase_id(order_, current_->entry.id);
            order_.push_back(current_->entry.id);
        }
    }
    make_current(*target);
    return target;
}

std::optional<PlayQueue::Pick> PlayQueue::jump_to(std::size_t position) {
    if (position >= playlist_.size()) {
        return std::nullopt;
    }
    repeat_current_ = false;
    if (current_) {
        remember(*current_);
    }
    Pick pick = playlist_pick(position);
    make_current(pick);
    return pick;
}

std::optional<PlayQueue::Pick> PlayQueue::jump_to_id(std::uint64_t id) {
    const auto pos = position_of(id);
    return pos ? jump_to(*pos) : std::nullopt;
}

void PlayQueue::stop() {
    repeat_current_ = false;
    if (current_) {
        remember(*current_);
        current_.reset();
    }
}

void PlayQueue::make_current(Pick pick) {
    if (pick.position) {
        const std::uint64_t id = pick.entry.id;
        anchor_ = id;
        if (modes_.random) {
            if (!order_.empty() && order_.back() == id) {
                order_.pop_back();
            } else {
                erase_id(order_, id);
            }
            if (!contains_id(played_, id)) {
                played_.push_back(id);
            }
        }
    }
    current_ = std::move(pick);
}

void PlayQueue::remember(const Pick& pick) {
    if (!history_.empty() && history_.back().entry.id == pick.entry.id) {
        return; // a song repeated by single mode or jumped to again
    }
    history_.push_back(pick);
    if (history_.size() > max_history) {
        history_.erase(history_.begin());
    }
}

PlayQueue::Pick PlayQueue::playlist_pick(std::size_t position) const {
    return Pick{playlist_[position], false, position};
}

std::optional<std::uint64_t> PlayQueue::last_played_id() const {
    if (current_) {
        return current_->entry.id;
    }
    if (!history_.empty()) {
        return history_.back().entry.id;
    }
    return std::nullopt;
}

// ---- persistence -----------------------------------------------------------------------------

json::value PlayQueue::to_json() const {
    json::object o;
    o["version"] = version_;
    o["next_id"] = next_id_;
    o["modes"] = json::object{{"random", modes_.random},
                              {"repeat", modes_.repeat},
                              {"single", modes_.single},
                              {"consume", modes_.consume}};
    o["playlist"] = entries_json(playlist_);
    o["up_next"] = entries_json(up_next_);
    o["current"] = current_ ? json::value(pick_json(*current_)) : json::value(nullptr);
    o["anchor"] = anchor_ ? json::value(*anchor_) : json::value(nullptr);
    o["order"] = ids_json(order_);
    o["played"] = ids_json(played_);
    json::array history;
    history.reserve(history_.size());
    for (const auto& p : history_) {
        history.emplace_back(pick_json(p));
    }
    o["history"] = std::move(history);
    o["repeat_current"] = repeat_current_;
    return o;
}

PlayQueue PlayQueue::from_json(const json::value& v) {
    PlayQueue q;
    const json::object* root = v.if_object();
    if (root == nullptr) {
        return q;
    }
    if (const json::value* m = root->if_contains("modes"); m != nullptr && m->is_object()) {
        const auto& mo = m->get_object();
        q.modes_.random = read_bool(mo, "random", q.modes_.random);
        q.modes_.repeat = read_bool(mo, "repeat", q.modes_.repeat);
        q.modes_.single = read_bool(mo, "single", q.modes_.single);
        q.modes_.consume = read_bool(mo, "consume", q.modes_.consume);
    }

    // Ids must stay unique across the playlist and the up-next queue, and above next_id.
    std::unordered_set<std::uint64_t> ids;
    std::uint64_t max_id = 0;
    std::uint64_t max_version = 0;
    const auto read_list = [&](std::string_view key, std::vector<QueueEntry>& out,
                               std::size_t limit) {
        const json::value* list = root->if_contains(key);
        if (list == nullptr || !list->is_array()) {
            return;
        }
        for (const auto& item : list->get_array()) {
            if (out.size() >= limit) {
                break;
            }
            auto e = read_entry(item);
            if (!e || !ids.insert(e->id).second) {
                continue;
            }
            max_id = std::max(max_id, e->id);
            max_version = std::max(max_version, e->version);
            out.push_back(std::move(*e));
        }
    };
    read_list("playlist", q.playlist_, max_playlist_length);
    read_list("up_next", q.up_next_, max_up_next_length);

    if (const json::value* c = root->if_contains("current"); c != nullptr) {
        if (auto pick = read_pick(*c)) {
            max_id = std::max(max_id, pick->entry.id);
            pick->position = q.position_of(pick->entry.id);
            if (pick->position) {
                pick->entry = q.playlist_[*pick->position];
                pick->from_up_next = false;
            }
            q.current_ = std::move(pick);
            q.repeat_current_ = read_bool(*root, "repeat_current", false);
        }
    }
    if (const auto anchor = read_u64(*root, "anchor"); anchor && q.position_of(*anchor)) {
        q.anchor_ = anchor;
    }
    if (const json::value* h = root->if_contains("history"); h != nullptr && h->is_array()) {
        for (const auto& item : h->get_array()) {
            if (auto pick = read_pick(item)) {
                max_id = std::max(max_id, pick->entry.id);
                q.history_.push_back(std::move(*pick));
            }
        }
        if (q.history_.size() > max_history) {
            q.history_.erase(q.history_.begin(),
                             q.history_.end() - static_cast<std::ptrdiff_t>(max_history));
        }
    }

    if (q.modes_.random) {
        // Only playlist ids, each once, in exactly one of the two lists.
        std::unordered_set<std::uint64_t> placed;
        const auto read_ids = [&](std::string_view key, std::vector<std::uint64_t>& out) {
            const json::value* list = root->if_contains(key);
            if (list == nullptr || !list->is_array()) {
                return;
            }
            for (const auto& item : list->get_array()) {
                const auto id = read_id(item);
                if (id && q.position_of(*id) && placed.insert(*id).second) {
                    out.push_back(*id);
                }
            }
        };
        read_ids("played", q.played_);
        read_ids("order", q.order_);
        for (const auto& e : q.playlist_) {
            if (!placed.contains(e.id)) {
                q.order_.push_back(e.id);
                std::uniform_int_distribution<std::size_t> slot(0, q.order_.size() - 1);
                std::swap(q.order_.back(), q.order_[slot(q.rng_)]);
            }
        }
    }

    q.version_ = std::max({read_u64(*root, "version").value_or(1), max_version, std::uint64_t{1}});
    q.next_id_ = std::max(read_u64(*root, "next_id").value_or(1), max_id + 1);
    return q;
}

} // namespace tinyice::autodj
