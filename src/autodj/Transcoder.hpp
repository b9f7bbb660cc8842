#pragma once
// One transcoding hub: a live input mount decoded ONCE, on a thread of its own, and re-encoded
// into every output mount that reads that input: the outputs of all transcoder definitions with
// that input, ladder rungs included (TranscoderManager groups them). An output is "just another
// source": it claims its mount through MountAccess like an encoder would, so listeners,
// fallbacks, bursts and ICY titles work as for any source.
//
// Life of a hub (the thread wakes every poll interval, or at once on stop()/set_outputs()):
//   - no source on the input: no output holds its mount (their listeners go to the fallback, as
//     when an encoder leaves), no decoder exists;
//   - a source appears (a new generation of the mount, or a new Mount object): a decoder for
//     its format is made, reading starts at the newest frame/page boundary (the live edge; for
//     Ogg the chain's header pages are fed first) and every output claims its mount. A mount
//     held by someone else is retried every claim_retry (logged once); an output removed by an
//     admin (/admin/killsource) lets go and claims again after claim_retry;
//   - audio: [position, head) of the input's ring is copied out in bounded pieces, validated
//     against the writer (still_valid), decoded to PCM and pushed through every output's
//     encoder into its mount. A reader overtaken by the ring (the thread stalled for longer than
//     the ring holds) logs and resyncs to the live edge;
//   - titles follow the input: when its title changes, every output gets the ICY title and Ogg
//     outputs a new chain with the new comments;
//   - the source leaves or changes: encoders are flushed, the mounts released.
// A decoder or encoder failure stops only that hub or that output, with a log line and a retry
// after error_retry; nothing here ever throws into the caller's thread or busy-loops. Memory is
// bounded: one input piece, the PCM decoded from it, one piece of encoded output.
//
// Threads: every public method is thread-safe and returns quickly (stop() joins the thread,
// which finishes within one piece of work). Decoding and encoding run only on the hub thread.

#include "autodj/MountAccess.hpp"
#include "codec/AudioTypes.hpp"
#include "codec/StreamEncoder.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tinyice::autodj {

// One output mount of a hub.
struct TranscoderOutput {
    std::string owner;              // the transcoder definition it belongs to (status, logs)
    std::string mount;              // "/live-128"
    codec::EncoderSettings encoder; // sample_rate is resolved (never 0)
    std::string stream_name;        // icy-name for listeners; "" = the input's name
    bool operator==(const TranscoderOutput&) const = default;
};

// Where an output stands (also in the JSON API as "state").
enum class OutputState {
    idle,   // the input has no source, so neither has the output
    on_air, // holds its mount and is being fed
    busy,   // another source holds the mount; retried every claim_retry
    killed, // an admin removed it (/admin/killsource); claimed again after claim_retry
    failed, // the encoder failed; retried after error_retry (see last_error)
};
[[nodiscard]] std::string_view to_string(OutputState state);

struct TranscoderOutputStatus {
    TranscoderOutput output;
    OutputState state = OutputState::idle;
    std::uint64_t listeners = 0;
    std::uint64_t bytes_out = 0; // encoded bytes written to the mount since the hub started
    std::string last_error;      // "" when none since the last successful claim
};

struct TranscoderStatus {
    std::string input;
    bool running = false;     // the hub thread runs
    bool input_live = false;  // a source on the input is being decoded
    std::string input_format; // "mp3", "aac", "ogg" (or "generic": cannot be decoded); "" = none
    int sample_rate = 0;      // of the decoded PCM (2 channels)
    std::uint64_t frames_decoded = 0; // PCM frames (one sample per channel) since the hub started
    std::uint64_t decode_errors = 0;  // undecodable frames/packets skipped since the hub started
    std::uint64_t resyncs = 0;        // times the reader was overtaken and jumped to the live edge
    std::uint64_t read_position = 0;  // input ring position read up to (tests, diagnostics)
    std::int64_t since_ms = 0;        // unix ms when decoding the current source began; 0 = none
    std::string last_error;           // the input could not be decoded, or the decoder failed
    std::vector<TranscoderOutputStatus> outputs;
};

// The audio level of a short stretch of decoded audio (VU meters), in dBFS.
struct AudioLevel {
    double peak_db = -90;
    double rms_db = -90;
};

class Transcoder {
public:
    struct Timing {
        std::chrono::milliseconds poll{25};          // input poll while idle or caught up
        std::chrono::milliseconds claim_retry{2000}; // busy or killed output mounts
        std::chrono::milliseconds error_retry{5000}; // after a decoder or encoder failure
    };

    Transcoder(std::string input, MountAccess& mounts, Timing timing);
    Transcoder(std::string input, MountAccess& mounts) : Transcoder(std::move(input), mounts, {}) {}
    ~Transcoder(); // stop()
    Transcoder(const Transcoder&) = delete;
    Transcoder& operator=(const Transcoder&) = delete;

    [[nodiscard]] const std::string& input() const { return input_; }

    // Replaces the outputs; applied by the hub thread at once. Outputs equal to a current one
    // keep running untouched (their listeners notice nothing); removed ones are flushed and
    // release their mounts. The PCM rate of the hub is that of the first output's encoder, fixed
    // while one source is decoded (the other encoders resample).
    void set_outputs(std::vector<TranscoderOutput> outputs);
    [[nodiscard]] std::vector<TranscoderOutput> outputs() const;

    // start() runs the hub thread; stop() flushes the outputs, releases their mounts and joins.
    // Both idempotent; a stopped hub can be started again.
    void start();
    void stop();
    [[nodiscard]] bool running() const;

    [[nodiscard]] TranscoderStatus status() const;

    // Metering: with it on, the hub decodes its input even with no outputs and measures the
    // level of every ~100 ms of audio (the dashboard's VU meters). Off by default.
    void set_metering(bool on);
    // The level of the latest ~100 ms decoded; nullopt when metering is off or nothing was
    // decoded in the last second (no source, or an undecodable one).
    [[nodiscard]] std::optional<AudioLevel> level() const;
    // Waits until `pred(status())` holds (re-checked each time the hub thread publishes its
    // status, i.e. after every poll or piece of work) or the timeout passes; returns whether
    // it held. For tests and tools; never called by the server's threads.
    bool wait_for(const std::function<bool(const TranscoderStatus&)>& pred,
                  std::chrono::milliseconds timeout) const;

private:
    class Engine; // the hub thread's state (Transcoder.cpp)

    void run();

    const std::string input_;
    MountAccess& mounts_;
    const Timing timing_;

    std::mutex lifecycle_mutex_;                // serialises start() and stop()
    mutable std::mutex mutex_;                  // guards everything below
    mutable std::condition_variable wake_cv_;   // the hub thread sleeps on it
    mutable std::condition_variable status_cv_; // wait_for() sleeps on it
    bool stopping_ = false;
    bool wake_ = false;
    bool thread_running_ = false;
    std::vector<TranscoderOutput> outputs_;
    std::uint64_t outputs_version_ = 0;
    bool metering_ = false;
    AudioLevel level_;
    std::chrono::steady_clock::time_point level_at_{};
    TranscoderStatus status_;
    std::thread thread_;
};

} // namespace tinyice::autodj
