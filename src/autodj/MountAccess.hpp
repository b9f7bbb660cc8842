#pragma once
// What the AutoDJ and the transcoder need from the streaming server, declared here so that
// src/autodj never includes src/server (features do not include each other; app/ wires the
// server's implementation in). An AutoDJ station or a transcoder output is "just another
// source": it claims a mount exactly like an encoder would, and listeners, fallbacks, bursts
// and ICY metadata work the same.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/Mount.hpp"
#include "core/SourceInfo.hpp"

namespace tinyice::autodj {

// A mount claimed by an in-process source. Destroying it releases the mount (listeners move to
// the fallback, as when an encoder disconnects).
class SourceSession {
public:
    virtual ~SourceSession() = default;
    // Appends encoded stream bytes (one writer: the thread that owns the session).
    virtual void write(std::span<const std::uint8_t> data) = 0;
    // The title for ICY listeners from the next byte written on ("Artist - Title"); rendered
    // in the mount's charset. Also what the status pages show.
    virtual void set_title(const std::string& artist, const std::string& title) = 0;
    // True once an admin removed the source (/admin/killsource): stop writing and let go.
    [[nodiscard]] virtual bool killed() const = 0;
    [[nodiscard]] virtual std::uint64_t listeners() const = 0;
    [[nodiscard]] virtual const std::string& mount() const = 0;
};

class MountAccess {
public:
    virtual ~MountAccess() = default;
    // Claims `mount` (configured or created on demand) for an in-process source. nullptr when
    // another source holds it, or the server is at limits.max_sources; the caller retries later.
    virtual std::unique_ptr<SourceSession> open_source(const std::string& mount,
                                                       core::SourceInfo info) = 0;
    // The mount named `name` when it exists (a transcoder reads its input's ring through it).
    virtual std::shared_ptr<core::Mount> find_mount(std::string_view name) = 0;
};

}  // namespace tinyice::autodj
