// The transcoding hub against a real core::Mount as its input (fed with audio our own encoder
// made from a sine) and a recording MountAccess for its outputs. The ffmpeg CLI is the
// independent judge of what the outputs contain.

#include "autodj/Transcoder.hpp"

#include "codec/StreamEncoder.hpp"
#include "core/Mount.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <numbers>
#include <set>
#include <string>
#include <vector>

namespace tinyice::autodj {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

constexpr auto wait_limit = 20s; // generous for a loaded 2-core machine; normally < 1 s
const Transcoder::Timing fast{5ms, 50ms, 100ms};

// ---- audio helpers ------------------------------------------------------------------------------

std::vector<float> sine(codec::PcmFormat f, double seconds, double frequency = 440) {
    const auto frames = static_cast<std::size_t>(std::llround(seconds * f.sample_rate));
    std::vector<float> out(frames * static_cast<std::size_t>(f.channels));
    for (std::size_t i = 0; i < frames; ++i) {
        const auto v = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * frequency *
                                                         static_cast<double>(i) / f.sample_rate));
        for (int c = 0; c < f.channels; ++c) {
            out[i * static_cast<std::size_t>(f.channels) + static_cast<std::size_t>(c)] = v;
        }
    }
    return out;
}

// A stream as a live encoder would send it: `seconds` of a 440 Hz sine.
Bytes encoded_sine(codec::OutputCodec codec, int kbps, double seconds, bool finish = true) {
    const codec::PcmFormat f{codec == codec::OutputCodec::opus ? 48000 : 44100, 2};
    auto enc = codec::StreamEncoder::create({codec, kbps, 0, 2}, f);
    Bytes out;
    enc->push(sine(f, seconds), out);
    if (finish) {
        enc->finish(out);
    }
    return out;
}

// Amplitude of `frequency` in mono PCM (Goertzel): about 0.5 for our sine, ~0 without it.
double tone_amplitude(const std::vector<float>& pcm, int rate, double frequency) {
    if (pcm.empty()) {
        return 0;
    }
    const double coeff = 2 * std::cos(2 * std::numbers::pi * frequency / rate);
    double s1 = 0;
    double s2 = 0;
    for (const float x : pcm) {
        const double s = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    return 2 * std::sqrt(std::max(power, 0.0)) / static_cast<double>(pcm.size());
}

bool have_ffmpeg() {
    static const bool have = std::system("ffmpeg -version >/dev/null 2>&1") == 0;
    return have;
}

class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "tinyice-transcoder-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
        return path_ / name;
    }

private:
    std::filesystem::path path_;
};

struct Judged {
    std::string errors; // ffmpeg -v error output ("" = clean)
    int status = -1;
    std::vector<float> pcm; // mono, 8 kHz
    [[nodiscard]] double seconds() const { return static_cast<double>(pcm.size()) / 8000; }
};

// Decodes `bytes` with the ffmpeg CLI into mono 8 kHz float PCM.
Judged judge(const Bytes& bytes, const std::string& extension) {
    TempDir dir;
    const auto in = dir / ("stream." + extension);
    const auto err = dir / "stderr.txt";
    {
        std::ofstream f(in, std::ios::binary);
        f.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
    }
    const std::string cmd = "ffmpeg -nostdin -hide_banner -v error -i '" + in.string() +
                            "' -f f32le -ac 1 -ar 8000 - 2>'" + err.string() + "'";
    Judged j;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) {
        j.errors = "popen failed";
        return j;
    }
    std::array<float, 4096> block{};
    std::size_t n = 0;
    while ((n = std::fread(block.data(), sizeof(float), block.size(), p)) > 0) {
        j.pcm.insert(j.pcm.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(n));
    }
    j.status = ::pclose(p);
    std::ifstream e(err);
    j.errors.assign(std::istreambuf_iterator<char>(e), std::istreambuf_iterator<char>());
    return j;
}

std::string extension_of(codec::OutputCodec c) {
    switch (c) {
    case codec::OutputCodec::mp3:
        return "mp3";
    case codec::OutputCodec::aac:
        return "aac";
    default:
        return "ogg";
    }
}

bool contains(const Bytes& hay, std::string_view needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// ---- a recording MountAccess ------------------------------------------------------------------

// Everything one output session received.
struct Recording {
    std::string mount;
    core::SourceInfo info;
    Bytes bytes;
    std::vector<std::pair<std::string, std::string>> titles; // (artist, title)
    bool released = false;
    bool killed = false;
    std::uint64_t listeners = 0;
};

class FakeMounts : public MountAccess {
public:
    class Session : public SourceSession {
    public:
        Session(FakeMounts& owner, std::shared_ptr<Recording> rec)
            : owner_(owner), rec_(std::move(rec)) {}
        ~Session() override {
            std::lock_guard lock(owner_.mutex_);
            rec_->released = true;
            owner_.held_.erase(rec_->mount);
        }
        void write(std::span<const std::uint8_t> data) override {
            std::lock_guard lock(owner_.mutex_);
            rec_->bytes.insert(rec_->bytes.end(), data.begin(), data.end());
        }
        void set_title(const std::string& artist, const std::string& title) override {
            std::lock_guard lock(owner_.mutex_);
            rec_->titles.emplace_back(artist, title);
        }
        [[nodiscard]] bool killed() const override {
            std::lock_guard lock(owner_.mutex_);
            return rec_->killed;
        }
        [[nodiscard]] std::uint64_t listeners() const override {
            std::lock_guard lock(owner_.mutex_);
            return rec_->listeners;
        }
        [[nodiscard]] const std::string& mount() const override { return rec_->mount; }

    private:
        FakeMounts& owner_;
        std::shared_ptr<Recording> rec_;
    };

    std::unique_ptr<SourceSession> open_source(const std::string& mount,
                                               core::SourceInfo info) override {
        std::lock_guard lock(mutex_);
        if (busy_.count(mount) != 0 || held_.count(mount) != 0) {
            ++refused_;
            return nullptr;
        }
        auto rec = std::make_shared<Recording>();
        rec->mount = mount;
        rec->info = std::move(info);
        held_.insert(mount);
        sessions_.push_back(rec);
        return std::make_unique<Session>(*this, rec);
    }

    std::shared_ptr<core::Mount> find_mount(std::string_view name) override {
        std::lock_guard lock(mutex_);
        auto it = inputs_.find(std::string(name));
        return it == inputs_.end() ? nullptr : it->second;
    }

    // ---- test side ----
    std::shared_ptr<core::Mount> add_input(const std::string& name, std::size_t queue = 1 << 20) {
        core::MountSettings s;
        s.name = name;
        s.queue_size = queue;
        auto m = std::make_shared<core::Mount>(s);
        std::lock_guard lock(mutex_);
        inputs_[name] = m;
        return m;
    }
    void set_busy(const std::string& mount, bool busy) {
        std::lock_guard lock(mutex_);
        if (busy) {
            busy_.insert(mount);
        } else {
            busy_.erase(mount);
        }
    }
    // Every session opened on `mount`, oldest first.
    std::vector<std::shared_ptr<Recording>> sessions(const std::string& mount) const {
        std::lock_guard lock(mutex_);
        std::vector<std::shared_ptr<Recording>> out;
        for (const auto& s : sessions_) {
            if (s->mount == mount) {
                out.push_back(s);
            }
        }
        return out;
    }
    std::size_t session_count() const {
        std::lock_guard lock(mutex_);
        return sessions_.size();
    }
    // A copy taken under the lock (the hub thread may still write).
    Recording copy(const std::shared_ptr<Recording>& r) const {
        std::lock_guard lock(mutex_);
        return *r;
    }
    void kill(const std::shared_ptr<Recording>& r) {
        std::lock_guard lock(mutex_);
        r->killed = true;
    }
    std::size_t refused() const {
        std::lock_guard lock(mutex_);
        return refused_;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<core::Mount>> inputs_;
    std::set<std::string> busy_;
    std::set<std::string> held_;
    std::vector<std::shared_ptr<Recording>> sessions_;
    std::size_t refused_ = 0;
};

TranscoderOutput output(const std::string& mount, codec::OutputCodec c, int kbps,
                        const std::string& owner = "t") {
    TranscoderOutput o;
    o.owner = owner;
    o.mount = mount;
    o.encoder = {c, kbps, c == codec::OutputCodec::opus ? 48000 : 44100, 2};
    return o;
}

core::SourceInfo source(const std::string& content_type) {
    core::SourceInfo info;
    info.content_type = content_type;
    info.name = "Input Radio";
    info.description = "live from the test";
    info.genre = "Test";
    info.url = "http://example.org/";
    info.is_public = true;
    return info;
}

// Writes `bytes` in encoder-sized pieces, as a source connection would.
void feed(core::Mount& m, const Bytes& bytes, std::size_t piece = 4096) {
    for (std::size_t pos = 0; pos < bytes.size(); pos += piece) {
        m.write(
            std::span<const std::uint8_t>(bytes).subspan(pos, std::min(piece, bytes.size() - pos)));
    }
}

bool all_on_air(const TranscoderStatus& s) {
    return !s.outputs.empty() && std::all_of(s.outputs.begin(), s.outputs.end(), [](const auto& o) {
        return o.state == OutputState::on_air;
    });
}

bool none_on_air(const TranscoderStatus& s) {
    return !s.input_live && std::none_of(s.outputs.begin(), s.outputs.end(), [](const auto& o) {
        return o.state == OutputState::on_air;
    });
}

class TranscoderTest : public testing::Test {
protected:
    void SetUp() override {
        if (!have_ffmpeg()) {
            GTEST_SKIP() << "the ffmpeg CLI is needed to judge the output";
        }
    }

    // Claims the input for a source of `content_type` and waits until the hub decodes it.
    void go_live(Transcoder& hub, core::Mount& input, const std::string& content_type) {
        ASSERT_TRUE(input.claim_source(source(content_type), {}));
        ASSERT_TRUE(
            hub.wait_for([](const auto& s) { return s.input_live && all_on_air(s); }, wait_limit))
            << "the hub did not pick up the source";
    }

    // Waits until the hub has read everything written so far.
    void drain(Transcoder& hub, core::Mount& input) {
        const auto head = input.ring().head();
        ASSERT_TRUE(
            hub.wait_for([head](const auto& s) { return s.read_position >= head; }, wait_limit))
            << "the hub did not read the input up to " << head;
    }

    // Ends the input's source and waits until every output let go.
    void end_source(Transcoder& hub, core::Mount& input) {
        input.release_source();
        ASSERT_TRUE(hub.wait_for(none_on_air, wait_limit)) << "outputs were not released";
    }

    FakeMounts mounts_;
};

// ---- tests ----------------------------------------------------------------------------------

TEST_F(TranscoderTest, Mp3InputFeedsMp3AndOpusOutputsThatDecodeCleanly) {
    auto input = mounts_.add_input("/in");
    Transcoder hub("/in", mounts_, fast);
    hub.set_outputs({output("/out.mp3", codec::OutputCodec::mp3, 128),
                     output("/out.opus", codec::OutputCodec::opus, 64)});
    hub.start();
    go_live(hub, *input, "audio/mpeg");

    const double seconds = 3.0;
    feed(*input, encoded_sine(codec::OutputCodec::mp3, 128, seconds));
    drain(hub, *input);
    end_source(hub, *input);

    const auto status = hub.status();
    // One decoder: the input's frames were decoded once (MP3 adds ~50 ms of delay/padding).
    EXPECT_NEAR(static_cast<double>(status.frames_decoded) / 44100, seconds, 0.15);
    EXPECT_EQ(status.decode_errors, 0U);
    EXPECT_EQ(status.resyncs, 0U);

    for (const auto& [mount, c] : {std::pair{"/out.mp3", codec::OutputCodec::mp3},
                                   std::pair{"/out.opus", codec::OutputCodec::opus}}) {
        SCOPED_TRACE(mount);
        const auto sessions = mounts_.sessions(mount);
        ASSERT_EQ(sessions.size(), 1U);
        const auto rec = mounts_.copy(sessions[0]);
        EXPECT_TRUE(rec.released);
        const auto j = judge(rec.bytes, extension_of(c));
        EXPECT_EQ(j.errors, "");
        EXPECT_EQ(j.status, 0);
        EXPECT_NEAR(j.seconds(), seconds, 0.2);
        EXPECT_GT(tone_amplitude(j.pcm, 8000, 440), 0.3);
        EXPECT_LT(tone_amplitude(j.pcm, 8000, 1000), 0.05);

        // The output describes itself like an encoder would.
        EXPECT_EQ(rec.info.content_type, c == codec::OutputCodec::mp3 ? "audio/mpeg" : "audio/ogg");
        EXPECT_EQ(rec.info.name, "Input Radio");
        EXPECT_EQ(rec.info.genre, "Test");
        EXPECT_EQ(rec.info.bitrate, c == codec::OutputCodec::mp3 ? 128 : 64);
        EXPECT_EQ(rec.info.origin, "transcoder");
        const std::string audio_info = c == codec::OutputCodec::mp3
                                           ? "ice-samplerate=44100;ice-bitrate=128;ice-channels=2"
                                           : "ice-samplerate=48000;ice-bitrate=64;ice-channels=2";
        EXPECT_EQ(rec.info.audio_info, audio_info);
        const std::vector<std::pair<std::string, std::string>> headers{
            {"ice-audio-info", audio_info},
            {"icy-br", c == codec::OutputCodec::mp3 ? "128" : "64"},
            {"icy-description", "live from the test"},
            {"icy-genre", "Test"},
            {"icy-name", "Input Radio"},
            {"icy-pub", "1"},
            {"icy-url", "http://example.org/"}};
        EXPECT_EQ(rec.info.listener_headers, headers);
    }
    const auto st = hub.status();
    ASSERT_EQ(st.outputs.size(), 2U);
    EXPECT_GT(st.outputs[0].bytes_out, 40000U); // 3 s at 128 kbps = 48 KB
    EXPECT_EQ(st.outputs[0].state, OutputState::idle);
}

TEST_F(TranscoderTest, AacInputLadderUsesOneDecoderForThreeOutputs) {
    auto input = mounts_.add_input("/in");
    Transcoder hub("/in", mounts_, fast);
    hub.set_outputs({output("/in-64", codec::OutputCodec::mp3, 64),
                     output("/in-128", codec::OutputCodec::mp3, 128),
                     output("/in-192", codec::OutputCodec::mp3, 192)});
    hub.start();
    go_live(hub, *input, "audio/aac");

    const double seconds = 2.0;
    feed(*input, encoded_sine(codec::OutputCodec::aac, 128, seconds));
    drain(hub, *input);
    end_source(hub, *input);

    const auto status = hub.status();
    EXPECT_NEAR(static_cast<double>(status.frames_decoded) / 44100, seconds, 0.15);
    ASSERT_EQ(status.outputs.size(), 3U);
    std::vector<std::size_t> sizes;
    for (const char* mount : {"/in-64", "/in-128", "/in-192"}) {
        SCOPED_TRACE(mount);
        const auto sessions = mounts_.sessions(mount);
        ASSERT_EQ(sessions.size(), 1U);
        const auto rec = mounts_.copy(sessions[0]);
        const auto j = judge(rec.bytes, "mp3");
        EXPECT_EQ(j.errors, "");
        EXPECT_NEAR(j.seconds(), seconds, 0.2);
        EXPECT_GT(tone_amplitude(j.pcm, 8000, 440), 0.3);
        sizes.push_back(rec.bytes.size());
    }
    // Each rung at its own bitrate: 64 kbps is about half of 128, 192 about one and a half.
    EXPECT_NEAR(static_cast<double>(sizes[0]) / static_cast<double>(sizes[1]), 0.5, 0.08);
    EXPECT_NEAR(static_cast<double>(sizes[2]) / static_cast<double>(sizes[1]), 1.5, 0.15);
}

TEST_F(TranscoderTest, OggOpusInputJoinedMidStreamStartsFromItsHeaderPages) {
    auto input = mounts_.add_input("/in");
    ASSERT_TRUE(input->claim_source(source("audio/ogg"), {}));
    // The source has been on air for a while before the hub starts: the hub joins at the live
    // edge, mid-chain, and needs the header pages the mount kept.
    const Bytes stream = encoded_sine(codec::OutputCodec::opus, 64, 4.0);
    const std::size_t half = stream.size() / 2;
    feed(*input, Bytes(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(half)));

    Transcoder hub("/in", mounts_, fast);
    hub.set_outputs({output("/out.mp3", codec::OutputCodec::mp3, 128)});
    hub.start();
    ASSERT_TRUE(
        hub.wait_for([](const auto& s) { return s.input_live && all_on_air(s); }, wait_limit));
    feed(*input, Bytes(stream.begin() + static_cast<std::ptrdiff_t>(half), stream.end()));
    drain(hub, *input);
    end_source(hub, *input);

    EXPECT_EQ(hub.status().input_format, ""); // no source now
    const auto sessions = mounts_.sessions("/out.mp3");
    ASSERT_EQ(sessions.size(), 1U);
    const auto j = judge(mounts_.copy(sessions[0]).bytes, "mp3");
    EXPECT_EQ(j.errors, "");
    // About the second half: the hub skipped what was there when it joined, except the last
    // whole page before the split and the part of the page the split cut (250 ms each at most).
    EXPECT_GT(j.seconds(), 1.9);
    EXPECT_LT(j.seconds(), 2.6);
    EXPECT_GT(tone_amplitude(j.pcm, 8000, 440), 0.3);
    EXPECT_EQ(hub.status().decode_errors, 0U);
}

TEST_F(TranscoderTest, TitlesFollowTheInput) {
    auto input = mounts_.add_input("/in");
    ASSERT_TRUE(input->claim_source(source("audio/mpeg"), {}));
    // A title set before the hub joins is on the outputs from their first byte.
    input->set_metadata({"First Artist - Opening", "First Artist", "", "x"});

    Transcoder hub("/in", mounts_, fast);
    hub.set_outputs({output("/out.mp3", codec::OutputCodec::mp3, 128),
                     output("/out.ogg", codec::OutputCodec::vorbis, 96)});
    hub.start();
    ASSERT_TRUE(
        hub.wait_for([](const auto& s) { return s.input_live && all_on_air(s); }, wait_limit));
    const auto titles_on = [this](const char* mount) {
        return mounts_.copy(mounts_.sessions(mount).at(0)).titles.size();
    };
    const auto wait_titles = [&](std::size_t n) {
        return hub.wait_for(
            [&](const auto&) { return titles_on("/out.mp3") == n && titles_on("/out.ogg") == n; },
            wait_limit);
    };
    ASSERT_TRUE(wait_titles(1));

    const Bytes stream = encoded_sine(codec::OutputCodec::mp3, 128, 3.0);
    const auto third = static_cast<std::ptrdiff_t>(stream.size() / 3);
    feed(*input, Bytes(stream.begin(), stream.begin() + third));
    drain(hub, *input);
    input->set_metadata({"Artist - Song", "Artist", "", "x"});
    ASSERT_TRUE(wait_titles(2));
    feed(*input, Bytes(stream.begin() + third, stream.begin() + 2 * third));
    drain(hub, *input);
    // The same title again (an Ogg input repeats it in every chain) is not passed on.
    input->set_metadata({"Artist - Song", "Artist", "", "x"});
    input->set_metadata({"Just A Title", "", "", "x"});
    ASSERT_TRUE(wait_titles(3));
    feed(*input, Bytes(stream.begin() + 2 * third, stream.end()));
    drain(hub, *input);
    end_source(hub, *input);

    const auto mp3 = mounts_.copy(mounts_.sessions("/out.mp3").at(0));
    const auto ogg = mounts_.copy(mounts_.sessions("/out.ogg").at(0));
    const std::vector<std::pair<std::string, std::string>> titles{
        {"First Artist", "Opening"}, {"Artist", "Song"}, {"", "Just A Title"}};
    EXPECT_EQ(mp3.titles, titles);
    EXPECT_EQ(ogg.titles, titles);
    // Ogg carries the titles in-band too: one chain per title, all decodable.
    EXPECT_TRUE(contains(ogg.bytes, "TITLE=Opening"));
    EXPECT_TRUE(contains(ogg.bytes, "ARTIST=First Artist"));
    EXPECT_TRUE(contains(ogg.bytes, "TITLE=Song"));
    EXPECT_TRUE(contains(ogg.bytes, "ARTIST=Artist"));
    EXPECT_TRUE(contains(ogg.bytes, "TITLE=Just A Title"));
    EXPECT_FALSE(contains(mp3.bytes, "TITLE=Song")); // MP3: ICY only
    const auto j = judge(ogg.bytes, "ogg");
    EXPECT_EQ(j.errors, "");
    EXPECT_NEAR(j.seconds(), 3.0, 0.3);
    EXPECT_GT(tone_amplitude(j.pcm, 8000, 440), 0.3);
}

TEST_F(TranscoderTest, OutputsLeaveWithTheSourceAndComeBackWithTheNextOne) {
    auto input = mounts_.add_input("/in");
    Transcoder hub("/in", mounts_, fast);
    hub.set_outputs({output("/out.mp3", codec::OutputCodec::mp3, 128)});
    hub.start();

    // Nobody on the input: nothing claimed.
    EXPECT_TRUE(hub.wait_for([](const auto& s) { return s.running; }, wait_limit));
    EXPECT_EQ(mounts_.session_count(), 0U);

    go_live(hub, *input, "audio/mpeg");
    feed(*input, encoded_sine(codec::OutputCodec::mp3, 128, 1.0));
    drain(hub, *input);
    end_source(hub, *input);
    auto sessions = mounts_.sessions("/out.mp3");
    ASSERT_EQ(sessions.size(), 1U);
    EXPECT_TRUE(mounts_.copy(sessions[0]).released);
    EXPECT_EQ(hub.status().since_ms, 0);

    // A new source, this time AAC: new decoder, outputs claimed again.
    go_live(hub, *input, "audio/aac");
    EXPECT_GT(hub.status().since_ms, 0);
    EXPECT_EQ(hub.status().input_format, "aac");
    feed(*input, encoded_sine(codec::OutputCodec::aac, 96, 1.0));
    drain(hub, *input);

    // A source replaced between two polls (same Mount, new generation) is noticed too.
    input->release_source();
    ASSERT_TRUE(input->claim_source(source("audio/mpeg"), {}));
    ASSERT_TRUE(hub.wait_for(
        [&](const auto& s) { return s.input_live && all_on_air(s) && s.input_format == "mp3"; },
        wait_limit));
    sessions = mounts_.sessions("/out.mp3");
    ASSERT_EQ(sessions.size(), 3U);
    EXPECT_TRUE(mounts_.copy(sessions[1]).released);
    EXPECT_FALSE(mounts_.copy(sessions[2]).released);
    const auto second = judge(mounts_.copy(sessions[1]).bytes, "mp3");
    EXPECT_EQ(second.errors, "");
    EXPECT_NEAR(second.seconds(), 1.0, 0.2);

    hub.stop();
    EXPECT_TRUE(mounts_.copy(sessions[2]).released);
    EXPECT_FALSE(hub.status().running);
}

TEST_F(TranscoderTest, BusyOutputMountIsRetriedAndKilledOutputIsClaimedAgain) {
    auto input = mounts_.add_input("/in");
    mounts_.set_busy("/out.mp3", true);
    Transcoder hub("/in", mounts_, fast);
    hub.set_outputs({output("/out.mp3", codec::OutputCodec::mp3, 128),
                     output("/free.mp3", codec::OutputCodec::mp3, 64)});
    hub.start();
    ASSERT_TRUE(input->claim_source(source("audio/mpeg"), {}));
    ASSERT_TRUE(hub.wait_for(
        [](const auto& s) {
            return s.outputs.size() == 2 && s.outputs[0].state == OutputState::busy &&
                   s.outputs[1].state == OutputState::on_air;
        },
        wait_limit));
    // The other output is not held back by the busy one.
    feed(*input, encoded_sine(codec::OutputCodec::mp3, 128, 0.5));
    drain(hub, *input);
    EXPECT_GT(hub.status().outputs[1].bytes_out, 0U);

    // Retried every claim_retry until the mount is free.
    ASSERT_TRUE(hub.wait_for([&](const auto&) { return mounts_.refused() >= 2; }, wait_limit));
    mounts_.set_busy("/out.mp3", false);
    ASSERT_TRUE(hub.wait_for(all_on_air, wait_limit));
    ASSERT_EQ(mounts_.sessions("/out.mp3").size(), 1U);

    // An admin removes the output: it lets go, then claims the mount again after the back-off.
    mounts_.kill(mounts_.sessions("/out.mp3")[0]);
    ASSERT_TRUE(hub.wait_for([&](const auto&) { return mounts_.sessions("/out.mp3").size() == 2; },
                             wait_limit));
    EXPECT_TRUE(mounts_.copy(mounts_.sessions("/out.mp3")[0]).released);
    ASSERT_TRUE(hub.wait_for(all_on_air, wait_limit));
}

TEST_F(TranscoderTest, UndecodableInputIsRefusedUntilAnotherSourceComes) {
    auto input = mounts_.add_input("/in");
    Transcoder hub("/in", mounts_, fast);
    hub.set_outputs({output("/out.mp3", codec::OutputCodec::mp3, 128)});
    hub.start();
    ASSERT_TRUE(input->claim_source(source("video/webm"), {}));
    feed(*input, Bytes(10000, 0x42));
    ASSERT_TRUE(
        hub.wait_for([](const auto& s) { return s.input_format == "generic"; }, wait_limit));
    const auto st = hub.status();
    EXPECT_FALSE(st.input_live);
    EXPECT_NE(st.last_error.find("video/webm"), std::string::npos) << st.last_error;
    EXPECT_EQ(mounts_.session_count(), 0U);

    input->release_source();
    go_live(hub, *input, "audio/mpeg");
    EXPECT_EQ(hub.status().last_error, "");
}

TEST_F(TranscoderTest, GarbageInputIsCountedNotFatal) {
    auto input = mounts_.add_input("/in");
    Transcoder hub("/in", mounts_, fast);
    hub.set_outputs({output("/out.mp3", codec::OutputCodec::mp3, 128)});
    hub.start();
    go_live(hub, *input, "audio/mpeg");
    Bytes stream = encoded_sine(codec::OutputCodec::mp3, 128, 2.0);
    // Damage the middle: the frame scanner and the decoder skip what they cannot use.
    for (std::size_t i = stream.size() / 2; i < stream.size() / 2 + 3000; ++i) {
        stream[i] = static_cast<std::uint8_t>(i * 31);
    }
    feed(*input, stream);
    drain(hub, *input);
    end_source(hub, *input);
    const auto j = judge(mounts_.copy(mounts_.sessions("/out.mp3").at(0)).bytes, "mp3");
    EXPECT_EQ(j.errors, ""); // the output is clean even when the input was not
    EXPECT_GT(j.seconds(), 1.5);
    EXPECT_GT(hub.status().decode_errors, 0U);
    EXPECT_TRUE(hub.running());
}

TEST_F(TranscoderTest, OvertakenReaderResyncsToTheLiveEdge) {
    // A 64 KiB ring and 256 KiB written at once: the hub cannot have read it in time.
    auto input = mounts_.add_input("/in", 64 * 1024);
    Transcoder hub("/in", mounts_, fast);
    hub.set_outputs({output("/out.mp3", codec::OutputCodec::mp3, 128)});
    hub.start();
    go_live(hub, *input, "audio/mpeg");
    const Bytes stream = encoded_sine(codec::OutputCodec::mp3, 320, 7.0);
    ASSERT_GT(stream.size(), 4 * input->ring().capacity());
    input->write(stream);
    drain(hub, *input);
    EXPECT_GE(hub.status().resyncs, 1U);
    end_source(hub, *input);
    const auto j = judge(mounts_.copy(mounts_.sessions("/out.mp3").at(0)).bytes, "mp3");
    EXPECT_EQ(j.errors, "");
    // It went on from the live edge: much less than the 7 s written.
    EXPECT_LT(j.seconds(), 3.0);
}

TEST_F(TranscoderTest, ChangingOutputsKeepsTheUnchangedOnesOnAir) {
    auto input = mounts_.add_input("/in");
    Transcoder hub("/in", mounts_, fast);
    hub.set_outputs({output("/a.mp3", codec::OutputCodec::mp3, 128),
                     output("/b.mp3", codec::OutputCodec::mp3, 64)});
    hub.start();
    go_live(hub, *input, "audio/mpeg");
    feed(*input, encoded_sine(codec::OutputCodec::mp3, 128, 0.5, false));
    drain(hub, *input);

    hub.set_outputs({output("/a.mp3", codec::OutputCodec::mp3, 128),
                     output("/c.ogg", codec::OutputCodec::opus, 48)});
    ASSERT_TRUE(hub.wait_for(
        [](const auto& s) {
            return s.outputs.size() == 2 && s.outputs[1].output.mount == "/c.ogg" && all_on_air(s);
        },
        wait_limit));
    EXPECT_EQ(mounts_.sessions("/a.mp3").size(), 1U); // never released
    EXPECT_FALSE(mounts_.copy(mounts_.sessions("/a.mp3")[0]).released);
    EXPECT_TRUE(mounts_.copy(mounts_.sessions("/b.mp3").at(0)).released);
    EXPECT_EQ(mounts_.sessions("/c.ogg").size(), 1U);

    // No outputs at all: the hub lets go of the input.
    hub.set_outputs({});
    ASSERT_TRUE(
        hub.wait_for([](const auto& s) { return !s.input_live && s.outputs.empty(); }, wait_limit));
    EXPECT_TRUE(mounts_.copy(mounts_.sessions("/a.mp3")[0]).released);
    hub.stop();
    hub.stop();  // idempotent
    hub.start(); // and restartable
    EXPECT_TRUE(hub.running());
}

TEST_F(TranscoderTest, EncoderThatCannotStartIsReportedAndRetried) {
    auto input = mounts_.add_input("/in");
    Transcoder hub("/in", mounts_, fast);
    auto bad = output("/bad.mp3", codec::OutputCodec::mp3, 999); // out of range
    hub.set_outputs({output("/ok.mp3", codec::OutputCodec::mp3, 128), bad});
    hub.start();
    ASSERT_TRUE(input->claim_source(source("audio/mpeg"), {}));
    ASSERT_TRUE(hub.wait_for(
        [](const auto& s) {
            return s.outputs.size() == 2 && s.outputs[0].state == OutputState::on_air &&
                   s.outputs[1].state == OutputState::failed;
        },
        wait_limit));
    const auto st = hub.status();
    EXPECT_NE(st.outputs[1].last_error.find("999"), std::string::npos) << st.outputs[1].last_error;
    EXPECT_TRUE(mounts_.sessions("/bad.mp3").empty());
    feed(*input, encoded_sine(codec::OutputCodec::mp3, 128, 0.5));
    drain(hub, *input);
    EXPECT_GT(hub.status().outputs[0].bytes_out, 0U);
}

} // namespace
} // namespace tinyice::autodj
