#include "autodj/Transcoder.hpp"

#include "codec/StreamDecoder.hpp"
#include "codec/StreamFormat.hpp"
#include "storage/Database.hpp"
#include "util/Log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace tinyice::autodj {
namespace {

using Clock = std::chrono::steady_clock;

// Input is copied out of the ring in pieces of this size. A live stream brings a few hundred
// bytes per poll; the limit matters when catching up, where it bounds the PCM decoded at once
// (8 KiB of 6 kbps Opus is ~11 s of audio, ~4 MB of float PCM; 128 kbps MP3 is 0.5 s).
constexpr std::size_t piece_bytes = std::size_t{8} * 1024;
// Pieces handled before the thread looks at its outputs, the input and stop() again.
constexpr int pieces_per_step = 32;
// An overtaken reader logs at most this often (a machine too slow for its transcoders would
// otherwise log at every resync).
constexpr auto resync_log_interval = std::chrono::seconds(10);
// As for an encoder's request headers: no control characters, bounded length.
constexpr std::size_t max_header_value = 1024;

constexpr int hub_channels = 2;

std::string clean(const std::string& v) {
    std::string out;
    for (unsigned char c : v) {
        if (out.size() >= max_header_value) {
            break;
        }
        if (c >= 0x20 && c != 0x7f) {
            out.push_back(static_cast<char>(c));
        }
    }
    return out;
}

int output_rate(const TranscoderOutput& o) {
    if (o.encoder.codec == codec::OutputCodec::opus) {
        return 48000;
    }
    return o.encoder.sample_rate != 0 ? o.encoder.sample_rate : 44100;
}

// "2 s", or "50 ms" for the short back-offs of tests.
std::string for_humans(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) {
        return std::to_string(d.count() / 1000) + " s";
    }
    return std::to_string(d.count()) + " ms";
}

// The title of the input as tags: the mount keeps the display title ("Artist - Title" when
// both are known) and the artist; outputs want them apart (ICY joins them again, Ogg comments
// and the play history keep them apart).
codec::StreamTags tags_from(const core::Mount::TitleInfo& t) {
    codec::StreamTags tags;
    tags.artist = t.artist;
    tags.title = t.title;
    if (!t.artist.empty()) {
        const std::string prefix = t.artist + " - ";
        if (t.title.starts_with(prefix)) {
            tags.title = t.title.substr(prefix.size());
        } else if (t.title == t.artist) {
            tags.title.clear();
        }
    }
    return tags;
}

// What an encoder sending this output would have told the server, and the listener headers the
// server would have derived from it (protocol/icecast/SourceHeaders.cpp): listeners cannot tell
// a transcoded mount from a live one.
core::SourceInfo make_output_info(const TranscoderOutput& o, const core::Mount& input,
                                  const codec::StreamEncoder& encoder) {
    const auto in = input.source_info();
    core::SourceInfo info;
    info.content_type = encoder.content_type();
    std::string name = o.stream_name;
    if (name.empty()) {
        name = input.settings().stream_name;
    }
    if (name.empty() && in) {
        name = in->name;
    }
    info.name = clean(name);
    if (in) {
        info.description = clean(in->description);
        info.url = clean(in->url);
        info.genre = clean(in->genre);
        info.is_public = in->is_public;
    }
    const int kbps = o.encoder.bitrate_kbps;
    const int rate = encoder.output_sample_rate();
    const int channels = o.encoder.channels;
    info.bitrate = kbps;
    info.audio_info =
        fmt::format("ice-samplerate={};ice-bitrate={};ice-channels={}", rate, kbps, channels);
    info.audio_info_pairs = {{"samplerate", std::to_string(rate)},
                             {"bitrate", std::to_string(kbps)},
                             {"channels", std::to_string(channels)}};
    info.user_agent = "TinyIce transcoder";
    info.origin = "transcoder";

    auto& lines = info.listener_headers;
    const auto add = [&lines](const char* key, const std::string& value) {
        if (!value.empty()) {
            lines.emplace_back(key, value);
        }
    };
    add("icy-name", info.name);
    add("icy-description", info.description);
    add("icy-genre", info.genre);
    add("icy-url", info.url);
    if (info.is_public) {
        add("icy-pub", *info.is_public ? "1" : "0");
    }
    add("icy-br", std::to_string(kbps));
    add("ice-audio-info", info.audio_info);
    std::sort(lines.begin(), lines.end());
    return info;
}

} // namespace

std::string_view to_string(OutputState state) {
    switch (state) {
    case OutputState::idle:
        return "idle";
    case OutputState::on_air:
        return "on_air";
    case OutputState::busy:
        return "busy";
    case OutputState::killed:
        return "killed";
    case OutputState::failed:
        return "failed";
    }
    return "idle";
}

// ---- the hub thread ---------------------------------------------------------------------------

class Transcoder::Engine {
public:
    explicit Engine(Transcoder& hub) : hub_(hub), log_(util::logger("transcoder")) {}
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    void run();

private:
    struct Output {
        TranscoderOutput def;
        std::unique_ptr<codec::StreamEncoder> encoder;
        std::unique_ptr<SourceSession> session;
        OutputState state = OutputState::idle;
        Clock::time_point retry_at{};
        std::uint64_t listeners = 0;
        std::uint64_t bytes_out = 0;
        std::string last_error;
    };

    [[nodiscard]] bool stop_requested() const {
        std::lock_guard lock(hub_.mutex_);
        return hub_.stopping_;
    }
    void wait() const;
    void take_outputs();
    void apply_outputs(std::vector<TranscoderOutput> wanted);
    bool step();
    bool attach(const std::shared_ptr<core::Mount>& mount);
    void detach(const char* reason);
    void fail_input(const std::string& message);
    void follow_title();
    void service_outputs();
    void claim(Output& o);
    void release(Output& o, bool finish);
    void fail_output(Output& o, const std::string& message);
    bool read_input();
    void resync(std::uint64_t head);
    void feed_ogg_headers();
    void decode(std::span<const std::uint8_t> bytes);
    void write(Output& o);
    void publish();
    [[nodiscard]] std::string mounts_list() const;

    Transcoder& hub_;
    std::shared_ptr<spdlog::logger> log_;
    std::optional<std::uint64_t> outputs_version_;
    std::vector<std::unique_ptr<Output>> outputs_;
    bool metering_ = false; // a copy of the hub's flag, taken with the outputs
    // Level measurement: the peak and the sum of squares of the samples since the last level.
    float level_peak_ = 0;
    double level_squares_ = 0;
    std::size_t level_samples_ = 0;
    void measure();

    // The input being decoded (null: none).
    std::shared_ptr<core::Mount> mount_;
    std::uint64_t generation_ = 0;
    codec::StreamFormat format_ = codec::StreamFormat::generic;
    std::string input_format_;
    std::uint64_t pos_ = 0;
    std::unique_ptr<codec::StreamDecoder> decoder_;
    codec::PcmFormat pcm_format_{44100, hub_channels};
    std::uint64_t title_version_ = 0;
    codec::StreamTags tags_;
    std::int64_t since_ms_ = 0;
    Clock::time_point attach_retry_at_{};
    // A source seen live at the last poll, not yet attached (see step()).
    std::weak_ptr<core::Mount> candidate_;
    std::uint64_t candidate_generation_ = 0;
    // A source that cannot be decoded (generic content type): refused once per generation.
    std::weak_ptr<core::Mount> refused_mount_;
    std::uint64_t refused_generation_ = 0;

    std::uint64_t frames_decoded_ = 0;
    std::uint64_t errors_before_ = 0; // skipped() of decoders already gone
    std::uint64_t resyncs_ = 0;
    std::optional<Clock::time_point> last_resync_log_;
    std::string last_error_;

    // Reused buffers: one input piece, its PCM, one output's encoded bytes.
    std::vector<std::uint8_t> in_;
    std::vector<float> pcm_;
    std::vector<std::uint8_t> out_;
};

void Transcoder::Engine::run() {
    while (!stop_requested()) {
        take_outputs();
        bool more = false;
        try {
            more = step();
        } catch (const std::exception& e) {
            // Decoders do not throw on bad data; this is an engine failure (or out of memory).
            fail_input(e.what());
        }
        publish();
        if (!more) {
            wait();
        }
    }
    detach("stopping");
    for (auto& o : outputs_) {
        release(*o, true);
    }
    outputs_.clear();
    publish();
}

void Transcoder::Engine::wait() const {
    std::unique_lock lock(hub_.mutex_);
    hub_.wake_cv_.wait_for(lock, hub_.timing_.poll,
                           [this] { return hub_.stopping_ || hub_.wake_; });
    hub_.wake_ = false;
}

void Transcoder::Engine::take_outputs() {
    std::vector<TranscoderOutput> wanted;
    {
        std::lock_guard lock(hub_.mutex_);
        metering_ = hub_.metering_;
        if (outputs_version_ == hub_.outputs_version_) {
            return;
        }
        outputs_version_ = hub_.outputs_version_;
        wanted = hub_.outputs_;
    }
    apply_outputs(std::move(wanted));
}

void Transcoder::Engine::apply_outputs(std::vector<TranscoderOutput> wanted) {
    std::vector<std::unique_ptr<Output>> next;
    next.reserve(wanted.size());
    for (auto& w : wanted) {
        auto it = std::find_if(outputs_.begin(), outputs_.end(),
                               [&w](const auto& o) { return o && o->def == w; });
        if (it != outputs_.end()) {
            next.push_back(std::move(*it)); // unchanged: keeps its mount and encoder
            continue;
        }
        auto o = std::make_unique<Output>();
        o->def = std::move(w);
        next.push_back(std::move(o));
    }
    for (auto& old : outputs_) {
        if (old) {
            if (old->session) {
                log_->info("{}: '{}' no longer feeds {}", hub_.input_, old->def.owner,
                           old->def.mount);
            }
            release(*old, true);
        }
    }
    outputs_ = std::move(next);
    if (outputs_.empty() && !metering_ && mount_) {
        detach("no outputs left");
    }
}

// One round: follow the input's source, then read what it wrote. True when more input is
// waiting (the caller loops without sleeping).
bool Transcoder::Engine::step() {
    if (outputs_.empty() && !metering_) {
        if (mount_) {
            detach("no outputs left");
        }
        return false;
    }
    auto mount = hub_.mounts_.find_mount(hub_.input_);
    const bool live = mount && mount->has_source();
    if (mount_ && (!live || mount != mount_ || mount->generation() != generation_)) {
        detach(live ? "a new source took over the input" : "the input's source left");
    }
    if (!mount_ && live) {
        // Mount::claim_source() sets has_source() before it publishes the new format and
        // generation, so a source seen for the first time may still be half claimed: attach
        // at the next poll, when the same generation is seen again.
        const std::uint64_t generation = mount->generation();
        if (candidate_.lock() != mount || candidate_generation_ != generation) {
            candidate_ = mount;
            candidate_generation_ = generation;
            return false;
        }
        if (!attach(mount)) {
            return false;
        }
    }
    if (!mount_) {
        input_format_.clear();
        return false;
    }
    follow_title();
    service_outputs();
    return read_input();
}

bool Transcoder::Engine::attach(const std::shared_ptr<core::Mount>& mount) {
    const std::uint64_t generation = mount->generation();
    const codec::StreamFormat format = mount->format();
    if (format == codec::StreamFormat::generic) {
        input_format_ = "generic";
        if (refused_mount_.lock() != mount || refused_generation_ != generation) {
            refused_mount_ = mount;
            refused_generation_ = generation;
            const auto info = mount->source_info();
            last_error_ = fmt::format("the input's content type '{}' cannot be decoded (only MP3, "
                                      "AAC and Ogg Opus/Vorbis/FLAC); waiting for another source",
                                      info ? info->content_type : "");
            log_->warn("{}: {}", hub_.input_, last_error_);
        }
        return false;
    }
    if (Clock::now() < attach_retry_at_) {
        return false;
    }
    pcm_format_ = {outputs_.empty() ? 44100 : output_rate(outputs_.front()->def), hub_channels};
    try {
        decoder_ = codec::StreamDecoder::create(format, pcm_format_);
    } catch (const std::exception& e) {
        fail_input(e.what());
        return false;
    }
    mount_ = mount;
    generation_ = generation;
    format_ = format;
    input_format_ = std::string(codec::to_string(format));
    // The live edge: the newest frame or page boundary. Listeners of the outputs hear what the
    // input's listeners hear now, not a burst of the past.
    pos_ = mount->start_position(0);
    feed_ogg_headers();
    title_version_ = mount->title_version();
    tags_ = tags_from(mount->title_info());
    since_ms_ = storage::unix_ms_now();
    last_error_.clear();
    for (auto& o : outputs_) {
        o->retry_at = {};
    }
    log_->info("{}: decoding {} ({} Hz) for {}", hub_.input_, input_format_,
               pcm_format_.sample_rate, mounts_list());
    return true;
}

void Transcoder::Engine::detach(const char* reason) {
    if (!mount_) {
        return;
    }
    if (outputs_.empty()) {
        log_->info("{}: {}; stopped decoding", hub_.input_, reason);
    } else {
        log_->info("{}: {}; releasing {}", hub_.input_, reason, mounts_list());
    }
    for (auto& o : outputs_) {
        release(*o, true);
        o->state = OutputState::idle;
        o->retry_at = {};
    }
    if (decoder_) {
        errors_before_ += decoder_->skipped();
        decoder_.reset();
    }
    mount_.reset();
    since_ms_ = 0;
}

void Transcoder::Engine::fail_input(const std::string& message) {
    detach("the decoder failed");
    last_error_ = message;
    attach_retry_at_ = Clock::now() + hub_.timing_.error_retry;
    log_->error("{}: cannot decode the input: {}; retrying in {}", hub_.input_, message,
                for_humans(hub_.timing_.error_retry));
}

void Transcoder::Engine::follow_title() {
    const std::uint64_t version = mount_->title_version();
    if (version == title_version_) {
        return;
    }
    title_version_ = version;
    auto tags = tags_from(mount_->title_info());
    if (tags == tags_) {
        return; // e.g. a new Ogg chain repeating the title: no need for a new chain downstream
    }
    tags_ = std::move(tags);
    for (auto& o : outputs_) {
        if (!o->session) {
            continue;
        }
        try {
            o->session->set_title(tags_.artist, tags_.title);
            out_.clear();
            o->encoder->set_tags(tags_, out_); // Ogg: a new chain; MP3/AAC: nothing
            write(*o);
        } catch (const std::exception& e) {
            fail_output(*o, fmt::format("cannot change the title: {}", e.what()));
        }
    }
}

void Transcoder::Engine::service_outputs() {
    const auto now = Clock::now();
    for (auto& o : outputs_) {
        if (o->session && o->session->killed()) {
            log_->info("{}: removed by an admin; claiming it again in {}", o->def.mount,
                       for_humans(hub_.timing_.claim_retry));
            release(*o, false);
            o->state = OutputState::killed;
            o->retry_at = now + hub_.timing_.claim_retry;
        }
        if (!o->session && now >= o->retry_at) {
            claim(*o);
        }
        o->listeners = o->session ? o->session->listeners() : 0;
    }
}

void Transcoder::Engine::claim(Output& o) {
    std::unique_ptr<codec::StreamEncoder> encoder;
    std::unique_ptr<SourceSession> session;
    try {
        // A new encoder per claim: an Ogg output must begin with its header pages.
        encoder = codec::StreamEncoder::create(o.def.encoder, pcm_format_, tags_);
        session = hub_.mounts_.open_source(o.def.mount, make_output_info(o.def, *mount_, *encoder));
    } catch (const std::exception& e) {
        fail_output(o, fmt::format("cannot start: {}", e.what()));
        return;
    }
    if (!session) {
        if (o.state != OutputState::busy) {
            log_->info("{}: the mount is in use by another source (or the server is at its "
                       "source limit); retrying every {}",
                       o.def.mount, for_humans(hub_.timing_.claim_retry));
        }
        o.state = OutputState::busy;
        o.retry_at = Clock::now() + hub_.timing_.claim_retry;
        return;
    }
    if (!tags_.artist.empty() || !tags_.title.empty()) {
        session->set_title(tags_.artist, tags_.title);
    }
    o.encoder = std::move(encoder);
    o.session = std::move(session);
    o.state = OutputState::on_air;
    o.last_error.clear();
    log_->info("{}: on air from {} ({} {} kbps, {} Hz, {} ch)", o.def.mount, hub_.input_,
               codec::to_string(o.def.encoder.codec), o.def.encoder.bitrate_kbps,
               o.encoder->output_sample_rate(), o.def.encoder.channels);
}

void Transcoder::Engine::release(Output& o, bool finish) {
    if (o.session && o.encoder && finish) {
        // The encoder's last frame (and Ogg's end-of-stream page), so the stream ends cleanly.
        try {
            out_.clear();
            o.encoder->finish(out_);
            write(o);
        } catch (const std::exception& e) {
            log_->warn("{}: cannot end the stream cleanly: {}", o.def.mount, e.what());
        }
    }
    o.session.reset(); // releases the mount: its listeners move to the fallback
    o.encoder.reset();
    o.listeners = 0;
}

void Transcoder::Engine::fail_output(Output& o, const std::string& message) {
    release(o, false);
    o.state = OutputState::failed;
    o.retry_at = Clock::now() + hub_.timing_.error_retry;
    // Logged when it changes: a setting the encoder refuses would otherwise log at every retry.
    if (message != o.last_error) {
        log_->error("{}: {}; retrying in {}", o.def.mount, message,
                    for_humans(hub_.timing_.error_retry));
    }
    o.last_error = message;
}

bool Transcoder::Engine::read_input() {
    const core::StreamRing& ring = mount_->ring();
    for (int i = 0; i < pieces_per_step; ++i) {
        if (stop_requested()) {
            return false;
        }
        const std::uint64_t head = ring.head();
        if (pos_ == head) {
            return false;
        }
        if (pos_ > head || pos_ < ring.tail()) {
            resync(head);
            continue;
        }
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(piece_bytes, head - pos_));
        std::span<const std::uint8_t> spans[2];
        const std::size_t count = ring.view(pos_, pos_ + n, spans);
        in_.clear();
        for (std::size_t s = 0; s < count; ++s) {
            in_.insert(in_.end(), spans[s].begin(), spans[s].end());
        }
        if (!ring.still_valid(pos_)) {
            resync(ring.head()); // the writer wrapped over the piece while it was copied
            continue;
        }
        pos_ += n;
        decode(in_);
    }
    return true;
}

void Transcoder::Engine::resync(std::uint64_t head) {
    ++resyncs_;
    const auto now = Clock::now();
    if (!last_resync_log_ || now - *last_resync_log_ >= resync_log_interval) {
        last_resync_log_ = now;
        log_->warn("{}: fell {} KiB behind the input, more than its ring holds ({} KiB); "
                   "skipping to the live edge ({} resyncs so far)",
                   hub_.input_, (head - std::min(head, pos_)) / 1024,
                   mount_->ring().capacity() / 1024, resyncs_);
    }
    decoder_->reset();
    pos_ = mount_->start_position(0);
    feed_ogg_headers();
}

void Transcoder::Engine::feed_ogg_headers() {
    if (format_ != codec::StreamFormat::ogg) {
        return;
    }
    // Joining an Ogg stream mid-chain: the decoder needs that chain's header pages first.
    if (auto headers = mount_->ogg_headers_at(pos_); headers && !headers->empty()) {
        decode(*headers);
    }
}

void Transcoder::Engine::decode(std::span<const std::uint8_t> bytes) {
    pcm_.clear();
    decoder_->feed(bytes, pcm_);
    if (pcm_.empty()) {
        return;
    }
    frames_decoded_ += pcm_.size() / hub_channels;
    if (metering_) {
        measure();
    }
    for (auto& o : outputs_) {
        if (!o->session) {
            continue;
        }
        try {
            out_.clear();
            o->encoder->push(pcm_, out_);
            write(*o);
        } catch (const std::exception& e) {
            fail_output(*o, fmt::format("encoding failed: {}", e.what()));
        }
    }
}

void Transcoder::Engine::measure() {
    for (float v : pcm_) {
        const float a = std::fabs(v);
        level_peak_ = std::max(level_peak_, a);
        level_squares_ += static_cast<double>(v) * v;
    }
    level_samples_ += pcm_.size();
    // One level per ~100 ms of audio.
    const auto window = static_cast<std::size_t>(pcm_format_.sample_rate / 10) * hub_channels;
    if (level_samples_ < window) {
        return;
    }
    auto db = [](double amplitude) {
        return amplitude <= 0.0000316 ? -90.0 : std::max(-90.0, 20.0 * std::log10(amplitude));
    };
    AudioLevel level{db(level_peak_), db(std::sqrt(level_squares_ / level_samples_))};
    level_peak_ = 0;
    level_squares_ = 0;
    level_samples_ = 0;
    std::lock_guard lock(hub_.mutex_);
    hub_.level_ = level;
    hub_.level_at_ = std::chrono::steady_clock::now();
}

void Transcoder::Engine::write(Output& o) {
    if (out_.empty()) {
        return;
    }
    o.session->write(out_);
    o.bytes_out += out_.size();
}

void Transcoder::Engine::publish() {
    std::lock_guard lock(hub_.mutex_);
    auto& s = hub_.status_;
    s.running = true;
    s.input_live = mount_ != nullptr;
    s.input_format = input_format_;
    s.sample_rate = mount_ ? pcm_format_.sample_rate : 0;
    s.frames_decoded = frames_decoded_;
    s.decode_errors = errors_before_ + (decoder_ ? decoder_->skipped() : 0);
    s.resyncs = resyncs_;
    s.read_position = pos_;
    s.since_ms = since_ms_;
    s.last_error = last_error_;
    s.outputs.resize(outputs_.size());
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
        const Output& o = *outputs_[i];
        auto& out = s.outputs[i];
        out.output = o.def;
        out.state = o.state;
        out.listeners = o.listeners;
        out.bytes_out = o.bytes_out;
        out.last_error = o.last_error;
    }
    hub_.status_cv_.notify_all();
}

std::string Transcoder::Engine::mounts_list() const {
    std::string s;
    for (const auto& o : outputs_) {
        s += (s.empty() ? "" : ", ") + o->def.mount;
    }
    return s.empty() ? "no outputs" : s;
}

// ---- public side ------------------------------------------------------------------------------

Transcoder::Transcoder(std::string input, MountAccess& mounts, Timing timing)
    : input_(std::move(input)), mounts_(mounts), timing_(timing) {
    status_.input = input_;
}

Transcoder::~Transcoder() {
    stop();
}

void Transcoder::set_outputs(std::vector<TranscoderOutput> outputs) {
    std::lock_guard lock(mutex_);
    outputs_ = std::move(outputs);
    ++outputs_version_;
    wake_ = true;
    wake_cv_.notify_all();
}

std::vector<TranscoderOutput> Transcoder::outputs() const {
    std::lock_guard lock(mutex_);
    return outputs_;
}

void Transcoder::start() {
    std::lock_guard lifecycle(lifecycle_mutex_);
    {
        std::lock_guard lock(mutex_);
        if (thread_running_) {
            return;
        }
        thread_running_ = true;
        stopping_ = false;
        wake_ = false;
    }
    try {
        thread_ = std::thread([this] { run(); });
    } catch (...) {
        std::lock_guard lock(mutex_);
        thread_running_ = false;
        throw;
    }
}

void Transcoder::stop() {
    std::lock_guard lifecycle(lifecycle_mutex_);
    {
        std::lock_guard lock(mutex_);
        if (!thread_running_) {
            return;
        }
        stopping_ = true;
        wake_cv_.notify_all();
    }
    thread_.join();
    std::lock_guard lock(mutex_);
    thread_running_ = false;
    stopping_ = false;
    status_.running = false;
    status_.input_live = false;
    status_.since_ms = 0;
    status_cv_.notify_all();
}

bool Transcoder::running() const {
    std::lock_guard lock(mutex_);
    return thread_running_;
}

TranscoderStatus Transcoder::status() const {
    std::lock_guard lock(mutex_);
    return status_;
}

bool Transcoder::wait_for(const std::function<bool(const TranscoderStatus&)>& pred,
                          std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return status_cv_.wait_for(lock, timeout, [&] { return pred(status_); });
}

void Transcoder::run() {
    try {
        Engine engine(*this);
        engine.run();
    } catch (const std::exception& e) {
        // Only allocation failures get here (everything else is caught per input and output);
        // the engine's destructor has released the output mounts.
        util::logger("transcoder")
            ->critical("{}: the transcoder thread stopped: {}", input_, e.what());
    }
}

void Transcoder::set_metering(bool on) {
    {
        std::lock_guard lock(mutex_);
        if (metering_ == on) {
            return;
        }
        metering_ = on;
        ++outputs_version_; // the engine picks the flag up with the outputs
        wake_ = true;
    }
    wake_cv_.notify_all();
}

std::optional<AudioLevel> Transcoder::level() const {
    std::lock_guard lock(mutex_);
    if (!metering_ || level_at_ == std::chrono::steady_clock::time_point{} ||
        std::chrono::steady_clock::now() - level_at_ > std::chrono::seconds(1)) {
        return std::nullopt;
    }
    return level_;
}

} // namespace tinyice::autodj
