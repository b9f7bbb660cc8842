#pragma once
// A map from client address to per-client state with a hard cap on the number of keys: inserting
// into a full map first evicts the least recently touched key. Used by the lockout counters so
// an attacker spraying requests from many addresses costs a bounded amount of memory.
// Not synchronised; the owner locks.

#include "security/IpNetwork.hpp"

#include <cstddef>
#include <iterator>
#include <list>
#include <unordered_map>

namespace tinyice::security {

template <typename Value>
class RecencyMap {
public:
    // max_keys of 0 is treated as 1.
    explicit RecencyMap(std::size_t max_keys) : max_keys_(max_keys == 0 ? 1 : max_keys) {}

    [[nodiscard]] Value* find(const IpAddress& key) {
        const auto it = index_.find(key);
        return it == index_.end() ? nullptr : &it->second->value;
    }
    [[nodiscard]] const Value* find(const IpAddress& key) const {
        const auto it = index_.find(key);
        return it == index_.end() ? nullptr : &it->second->value;
    }

    // The value for `key` (value-initialised if new), now the most recently touched. May evict
    // the least recently touched other key.
    Value& touch(const IpAddress& key) {
        if (const auto it = index_.find(key); it != index_.end()) {
            order_.splice(order_.end(), order_, it->second);
            return it->second->value;
        }
        if (index_.size() >= max_keys_) {
            index_.erase(order_.front().key);
            order_.pop_front();
        }
        order_.push_back(Node{key, Value{}});
        try {
            index_.emplace(key, std::prev(order_.end()));
        } catch (...) {
            order_.pop_back(); // keep the list and the index in step
            throw;
        }
        return order_.back().value;
    }

    void erase(const IpAddress& key) {
        if (const auto it = index_.find(key); it != index_.end()) {
            order_.erase(it->second);
            index_.erase(it);
        }
    }

    // Removes keys from the least recently touched end while `stale(value)` holds, at most
    // `limit` of them; returns how many went.
    template <typename Predicate>
    std::size_t erase_oldest_while(Predicate stale,
                                   std::size_t limit = static_cast<std::size_t>(-1)) {
        std::size_t removed = 0;
        while (removed < limit && !order_.empty() && stale(order_.front().value)) {
            index_.erase(order_.front().key);
            order_.pop_front();
            ++removed;
        }
        return removed;
    }

    [[nodiscard]] std::size_t size() const { return index_.size(); }
    [[nodiscard]] std::size_t max_keys() const { return max_keys_; }

private:
    struct Node {
        IpAddress key;
        Value value;
    };

    std::size_t max_keys_;
    std::list<Node> order_; // least recently touched first
    std::unordered_map<IpAddress, typename std::list<Node>::iterator, IpAddressHash> index_;
};

} // namespace tinyice::security
