// The station end to end, in real time: a temp library of short tracks made with the ffmpeg CLI,
// the real codec engine and storage, and a fake mount that records what the station writes.
// Timing checks are short and tolerant; everything else waits for an event (a write to the
// mount, a title) with a timeout.

#include "autodj/Station.hpp"

#include "codec/FileDecoder.hpp"
#include "codec/OggChainTracker.hpp"
#include "codec/OggPage.hpp"
#include "storage/Database.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <poll.h>
#include <random>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace tinyice::autodj {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

// ---- helpers --------------------------------------------------------------------------------

int shell(const std::string& command, std::string* output = nullptr) {
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return -1;
    }
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
        if (output != nullptr) {
            output->append(buf, n);
        }
    }
    return ::pclose(pipe);
}

bool have_ffmpeg() {
    static const bool have = shell("ffmpeg -version > /dev/null 2>&1") == 0;
    return have;
}

void write_file(const fs::path& path, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ffmpeg's complaints about a stream ("" = it decodes cleanly).
std::string ffmpeg_errors(const fs::path& file) {
    std::string output;
    const int status =
        shell("ffmpeg -nostdin -v error -i '" + file.string() + "' -f null - 2>&1", &output);
    if (status != 0) {
        output += "(exit status " + std::to_string(status) + ")";
    }
    return output;
}

// Seconds between the first and the last sample louder than -34 dBFS.
double audible_span(const fs::path& file) {
    auto decoder = codec::FileDecoder::open(file, codec::PcmFormat{44100, 1});
    std::vector<float> buf(4096);
    std::size_t at = 0;
    std::optional<std::size_t> first;
    std::size_t last = 0;
    while (const auto n = decoder->read(buf)) {
        for (std::size_t i = 0; i < n; ++i) {
            if (std::abs(buf[i]) > 0.02F) {
                if (!first) {
                    first = at + i;
                }
                last = at + i;
            }
        }
        at += n;
    }
    return first ? static_cast<double>(last - *first) / 44100.0 : 0.0;
}

double cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto tv = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
    };
    return tv(usage.ru_utime) + tv(usage.ru_stime);
}

// Waits (on a pidfd, not by sleeping) until process `pid` has exited; true when it has.
bool process_ends_within(pid_t pid, std::chrono::milliseconds limit) {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
    if (fd < 0) {
        return errno == ESRCH; // already gone
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(limit.count()));
    ::close(fd);
    return ready == 1;
}

// The lines of a file a hook appends to (there is no event to wait on: poll it).
std::size_t count_lines(const fs::path& file) {
    const auto text = read_text(file);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

template <class Pred>
bool poll_until(Pred pred, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= until) {
            return false;
        }
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// ---- a fake mount -------------------------------------------------------------------------

// What the station wrote to its mount, over every session it opened.
struct Capture {
    std::mutex mutex;
    std::condition_variable changed;
    Bytes bytes;
    std::vector<std::pair<std::size_t, std::string>> titles; // at byte offset, "Artist - Title"
    int opened = 0;
    int closed = 0;
    bool refuse = false;
    std::atomic<bool> kill{false};
    std::atomic<int> refuse_titles{0}; // set_title() throws this many times
    core::SourceInfo info;

    template <class Pred>
    bool wait(Pred pred, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, pred);
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return bytes.size();
    }
    std::vector<std::string> title_list() {
        std::lock_guard lock(mutex);
        std::vector<std::string> out;
        for (const auto& t : titles) {
            out.push_back(t.second);
        }
        return out;
    }
};

class FakeSession : public SourceSession {
public:
    FakeSession(Capture& c, std::string mount) : c_(c), mount_(std::move(mount)) {}
    ~FakeSession() override {
        std::lock_guard lock(c_.mutex);
        ++c_.closed;
        c_.changed.notify_all();
    }
    void write(std::span<const std::uint8_t> data) override {
        std::lock_guard lock(c_.mutex);
        c_.bytes.insert(c_.bytes.end(), data.begin(), data.end());
        c_.changed.notify_all();
    }
    void set_title(const std::string& artist, const std::string& title) override {
        if (c_.refuse_titles > 0) {
            --c_.refuse_titles;
            throw std::runtime_error("title refused");
        }
        std::lock_guard lock(c_.mutex);
        const auto display = artist.empty() ? title : artist + " - " + title;
        // The station sets the title again when it claims a mount anew; record changes only.
        if (c_.titles.empty() || c_.titles.back().second != display ||
            c_.titles.back().first != c_.bytes.size()) {
            c_.titles.emplace_back(c_.bytes.size(), display);
        }
        c_.changed.notify_all();
    }
    [[nodiscard]] bool killed() const override { return c_.kill.load(); }
    [[nodiscard]] std::uint64_t listeners() const override { return 3; }
    [[nodiscard]] const std::string& mount() const override { return mount_; }

private:
    Capture& c_;
    std::string mount_;
};

class FakeMounts : public MountAccess {
public:
    std::unique_ptr<SourceSession> open_source(const std::string& mount,
                                               core::SourceInfo info) override {
        std::lock_guard lock(capture.mutex);
        if (capture.refuse) {
            return nullptr;
        }
        ++capture.opened;
        capture.kill = false;
        capture.info = std::move(info);
        capture.changed.notify_all();
        return std::make_unique<FakeSession>(capture, mount);
    }
    std::shared_ptr<core::Mount> find_mount(std::string_view) override { return nullptr; }

    Capture capture;
};

// ---- the fixture --------------------------------------------------------------------------

struct TrackSpec {
    const char* path;
    const char* artist;
    const char* title;
    int frequency;
    double seconds;
};

constexpr TrackSpec tracks[] = {
    {"t1.mp3", "A", "T1", 440, 2.0},     {"t2.mp3", "A", "T2", 660, 2.0},
    {"t3.mp3", "B", "T3", 550, 1.0},     {"long.mp3", "A", "Long", 330, 6.0},
    {"sub/s1.mp3", "S", "S1", 880, 1.0}, {"sub/s2.mp3", "S", "S2", 990, 1.0},
    {"bad.mp3", "X", "Bad", 220, 1.0},   {"bad2.mp3", "X", "Bad2", 250, 1.0},
};

class StationTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!have_ffmpeg()) {
            return;
        }
        cache_ =
            fs::temp_directory_path() / ("tinyice-station-cache-" + std::to_string(::getpid()));
        fs::create_directories(cache_ / "sub");
        for (const auto& t : tracks) {
            const auto cmd =
                "ffmpeg -nostdin -v error -y -f lavfi -i sine=f=" + std::to_string(t.frequency) +
                ":d=" + std::to_string(t.seconds) +
                " -ac 2 -ar 44100 -b:a 128k -metadata artist=" + t.artist +
                " -metadata title=" + t.title + " '" + (cache_ / t.path).string() + "'";
            ASSERT_EQ(shell(cmd), 0) << cmd;
        }
    }
    static void TearDownTestSuite() {
        if (!cache_.empty()) {
            fs::remove_all(cache_);
        }
    }

    void SetUp() override {
        if (!have_ffmpeg()) {
            GTEST_SKIP() << "ffmpeg CLI not installed";
        }
        dir_ = fs::temp_directory_path() /
               ("tinyice-station-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(root());
        fs::copy(cache_, root(), fs::copy_options::recursive);
        db_ = std::make_unique<storage::Database>(dir_ / "tinyice.db");
        store_ = std::make_unique<storage::AutoDjStore>(*db_);
        history_ = std::make_unique<storage::HistoryStore>(*db_);
        Library::Options options;
        options.analyse_loudness = false;
        library_ = std::make_shared<Library>(root(), *db_, options);
        scan(*library_, std::size(tracks));
        // What a broken file looks like once it is in the playlist: it was fine when scanned.
        std::mt19937 rng(7);
        for (const char* name : {"bad.mp3", "bad2.mp3"}) {
            Bytes junk(20000);
            for (auto& b : junk) {
                b = static_cast<std::uint8_t>(rng());
            }
            write_file(root() / name, junk);
        }
    }

    void TearDown() override {
        stations_.clear();
        if (library_) {
            library_->stop();
        }
        history_.reset();
        store_.reset();
        library_.reset();
        db_.reset();
        if (!dir_.empty()) {
            fs::remove_all(dir_);
        }
    }

    fs::path root() const { return dir_ / "music"; }

    static void scan(Library& library, std::size_t expected) {
        std::mutex m;
        std::condition_variable cv;
        const auto id = library.subscribe([&] {
            std::lock_guard lock(m);
            cv.notify_all();
        });
        library.start();
        std::unique_lock lock(m);
        const bool done = cv.wait_for(lock, 20s, [&] {
            const auto p = library.progress();
            return !p.scanning && p.last_scan_finished > 0;
        });
        lock.unlock();
        library.unsubscribe(id);
        ASSERT_TRUE(done) << "library scan did not finish";
        ASSERT_EQ(library.index()->tracks().size(), expected);
    }

    StationSettings settings() const {
        StationSettings s;
        s.name = "test";
        s.mount = "/autodj";
        s.encoder.codec = codec::OutputCodec::mp3;
        s.encoder.bitrate_kbps = 128;
        s.encoder.channels = 2;
        s.normalize = false;
        s.initial_modes.repeat = false;
        return s;
    }

    Station& make(StationSettings s, const std::vector<std::string>& playlist = {},
                  std::shared_ptr<Library> library = nullptr) {
        stations_.push_back(std::make_unique<Station>(
            std::move(s),
            Station::Dependencies{mounts_, library ? library : library_, *store_, *history_}));
        auto& station = *stations_.back();
        if (!playlist.empty()) {
            station.clear();
            for (const auto& p : playlist) {
                station.add(p);
            }
        }
        return station;
    }

    bool wait_titles(std::size_t n, std::chrono::milliseconds timeout = 5s) {
        auto& c = mounts_.capture;
        return c.wait([&] { return c.titles.size() >= n; }, timeout);
    }
    template <class Pred>
    bool wait_until(Pred pred, std::chrono::milliseconds timeout = 5s) {
        auto& c = mounts_.capture;
        return c.wait(pred, timeout);
    }
    // Waits until `seconds` more of 128 kbit/s output have been written.
    bool wait_bytes(double seconds) {
        auto& c = mounts_.capture;
        const auto target = c.size() + static_cast<std::size_t>(seconds * 16000);
        return c.wait([&] { return c.bytes.size() >= target; },
                      std::chrono::milliseconds(static_cast<int>(seconds * 1000) + 2000));
    }
    fs::path save_capture(const std::string& name) {
        const auto path = dir_ / name;
        std::lock_guard lock(mounts_.capture.mutex);
        write_file(path, mounts_.capture.bytes);
        return path;
    }

    static inline fs::path cache_;
    fs::path dir_;
    FakeMounts mounts_;
    std::unique_ptr<storage::Database> db_;
    std::unique_ptr<storage::AutoDjStore> store_;
    std::unique_ptr<storage::HistoryStore> history_;
    std::shared_ptr<Library> library_;
    std::vector<std::unique_ptr<Station>> stations_;
};

// ---- playback -----------------------------------------------------------------------------

TEST_F(StationTest, PlaysThePlaylistInOrderGaplessly) {
    auto& station = make(settings(), {"t3.mp3", "sub/s1.mp3"});
    station.start();
    ASSERT_TRUE(wait_until([&] { return station.now_playing().state == PlayState::stopped; }, 6s))
        << "the playlist should end (repeat is off)";
    ASSERT_TRUE(wait_bytes(0.5)); // the encoder's tail
    EXPECT_EQ(mounts_.capture.title_list(), (std::vector<std::string>{"B - T3", "S - S1"}));
    EXPECT_EQ(mounts_.capture.info.content_type, "audio/mpeg");
    EXPECT_EQ(mounts_.capture.info.origin, "autodj");

    const auto file = save_capture("out.mp3");
    EXPECT_EQ(ffmpeg_errors(file), "");
    // Two 1 s tracks back to back: no gap between them.
    EXPECT_NEAR(audible_span(file), 2.0, 0.1);

    history_->flush();
    const auto plays = history_->recent("/autodj", 10);
    ASSERT_EQ(plays.size(), 2U);
    EXPECT_EQ(plays[1].file, "t3.mp3");
    EXPECT_EQ(plays[1].artist, "B");
    EXPECT_EQ(plays[1].title, "T3");
    EXPECT_EQ(plays[1].source, "autodj");
    EXPECT_EQ(plays[1].listeners, 3U);
    EXPECT_NEAR(plays[1].duration, 1.0, 0.1);
    EXPECT_EQ(plays[0].file, "sub/s1.mp3");
    // Announced when produced, up to the lead (250 ms) ahead of real time.
    EXPECT_GE(plays[0].started_at, plays[1].started_at + 650);
}

TEST_F(StationTest, OutputRunsInRealTime) {
    auto& station = make(settings(), {"long.mp3"});
    station.start();
    ASSERT_TRUE(wait_titles(1));
    // Past the initial lead; then count bytes over a window of real time.
    std::this_thread::sleep_for(700ms);
    const auto t0 = std::chrono::steady_clock::now();
    const auto b0 = mounts_.capture.size();
    std::this_thread::sleep_for(2500ms);
    const auto b1 = mounts_.capture.size();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double rate = static_cast<double>(b1 - b0) / seconds;
    EXPECT_NEAR(rate, 16000.0, 16000.0 * 0.02);
    const auto np = station.now_playing();
    EXPECT_TRUE(np.running);
    EXPECT_TRUE(np.on_air);
    EXPECT_EQ(np.listeners, 3U);
    EXPECT_GE(np.bytes_sent, b1);
}

TEST_F(StationTest, PauseSendsSilenceAndKeepsThePosition) {
    auto& station = make(settings(), {"long.mp3"});
    station.start();
    ASSERT_TRUE(wait_until([&] { return station.now_playing().elapsed >= 0.5; }));
    station.pause();
    ASSERT_TRUE(wait_bytes(0.2)); // the pause has taken effect
    const auto paused = station.now_playing();
    EXPECT_EQ(paused.state, PlayState::paused);
    ASSERT_TRUE(wait_bytes(0.6)); // listeners keep getting (silent) audio
    EXPECT_NEAR(station.now_playing().elapsed, paused.elapsed, 1e-9);
    station.play();
    ASSERT_TRUE(wait_until([&] { return station.now_playing().elapsed >= paused.elapsed + 0.3; }));
    EXPECT_EQ(station.now_playing().state, PlayState::playing);
    EXPECT_EQ(mounts_.capture.title_list().size(), 1U); // resuming is not a new song
}

TEST_F(StationTest, StopRewindsAndSeekMoves) {
    auto& station = make(settings(), {"long.mp3"});
    station.start();
    ASSERT_TRUE(wait_until([&] { return station.now_playing().elapsed >= 0.5; }));
    ASSERT_TRUE(station.seek(3.0));
    EXPECT_NEAR(station.now_playing().elapsed, 3.0, 0.1);
    ASSERT_TRUE(station.seek(-1.0, true));
    EXPECT_NEAR(station.now_playing().elapsed, 2.0, 0.15);

    station.stop_playback();
    auto np = station.now_playing();
    EXPECT_EQ(np.state, PlayState::stopped);
    EXPECT_EQ(np.elapsed, 0.0);
    ASSERT_TRUE(np.current); // the song stays current
    EXPECT_EQ(np.current->path, "long.mp3");
    ASSERT_TRUE(wait_bytes(0.3)); // still on air
    EXPECT_TRUE(station.now_playing().on_air);

    station.play();
    ASSERT_TRUE(wait_titles(2)); // the song starts again
    np = station.now_playing();
    EXPECT_EQ(np.state, PlayState::playing);
    EXPECT_LT(np.elapsed, 0.5);
}

TEST_F(StationTest, NextPreviousAndJump) {
    auto s = settings();
    s.initial_modes.repeat = true;
    auto& station = make(s, {"long.mp3", "t1.mp3", "t2.mp3"});
    std::atomic<unsigned> events{0};
    station.subscribe([&](unsigned e) { events |= e; });
    station.start();
    ASSERT_TRUE(wait_titles(1));
    EXPECT_TRUE(events & event_player);
    events = 0;
    station.next();
    EXPECT_TRUE(events & event_player);
    ASSERT_TRUE(wait_titles(2, 1s));
    EXPECT_EQ(mounts_.capture.title_list().back(), "A - T1");
    EXPECT_EQ(station.now_playing().current->path, "t1.mp3");
    station.previous();
    ASSERT_TRUE(wait_titles(3, 1s));
    EXPECT_EQ(mounts_.capture.title_list().back(), "A - Long");
    ASSERT_TRUE(station.jump_to(2));
    ASSERT_TRUE(wait_titles(4, 1s));
    EXPECT_EQ(mounts_.capture.title_list().back(), "A - T2");
    EXPECT_EQ(station.now_playing().position, 2U);
    EXPECT_FALSE(station.jump_to(7));
    ASSERT_TRUE(wait_bytes(0.3));
    EXPECT_EQ(ffmpeg_errors(save_capture("out.mp3")), "");
}

// ---- broken files -------------------------------------------------------------------------

TEST_F(StationTest, CorruptFileIsSkipped) {
    auto& station = make(settings(), {"bad.mp3", "t3.mp3"});
    station.start();
    ASSERT_TRUE(wait_titles(1, 2s));
    EXPECT_EQ(mounts_.capture.title_list(), std::vector<std::string>{"B - T3"});
    EXPECT_NE(station.now_playing().last_error.find("bad.mp3"), std::string::npos);
}

TEST_F(StationTest, AllCorruptPlaylistDoesNotSpin) {
    auto s = settings();
    s.initial_modes.repeat = true;
    auto& station = make(s, {"bad.mp3", "bad2.mp3"});
    station.start();
    ASSERT_TRUE(wait_bytes(0.3));
    const double cpu_before = cpu_seconds();
    const auto bytes_before = mounts_.capture.size();
    std::this_thread::sleep_for(2s);
    const double cpu = cpu_seconds() - cpu_before;
    EXPECT_LT(cpu, 0.3) << "CPU seconds used in 2 s of silence";
    EXPECT_GT(mounts_.capture.size() - bytes_before, 30000U); // still streaming (silence)
    EXPECT_TRUE(mounts_.capture.title_list().empty());
    EXPECT_EQ(station.now_playing().state, PlayState::playing);
}

TEST_F(StationTest, EmptyPlaylistPlaysSilenceUntilSomethingIsAdded) {
    auto& station = make(settings());
    station.clear();
    station.start();
    ASSERT_TRUE(wait_bytes(0.5));
    EXPECT_TRUE(station.now_playing().on_air);
    EXPECT_TRUE(mounts_.capture.title_list().empty());
    station.add("t3.mp3");
    ASSERT_TRUE(wait_titles(1, 1500ms));
    EXPECT_EQ(mounts_.capture.title_list().back(), "B - T3");
}

// ---- formats and mixing -------------------------------------------------------------------

TEST_F(StationTest, OggOpusStartsANewChainAtEachSong) {
    auto s = settings();
    s.encoder.codec = codec::OutputCodec::opus;
    s.encoder.bitrate_kbps = 64;
    auto& station = make(s, {"t3.mp3", "sub/s1.mp3"});
    station.start();
    ASSERT_TRUE(wait_until([&] { return station.now_playing().state == PlayState::stopped; }, 6s));
    // Opus encodes the silence after the end in a few bytes a packet, so there is no byte
    // count to wait for: give the encoder half a second of output to flush its last pages.
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(mounts_.capture.info.content_type, "audio/ogg");
    Bytes stream;
    {
        std::lock_guard lock(mounts_.capture.mutex);
        stream = mounts_.capture.bytes;
    }
    codec::OggPageReader reader;
    codec::OggChainTracker tracker;
    std::vector<std::string> chain_titles;
    reader.feed(stream, [&](std::uint64_t, const codec::OggPageView& page) {
        if (tracker.on_page(page) == codec::OggChainTracker::PageKind::first_audio) {
            chain_titles.push_back(tracker.comments() ? tracker.comments()->display_title() : "?");
        }
    });
    EXPECT_EQ(reader.skipped_bytes(), 0U);
    // The first chain may carry the first song's tags already (it starts with it).
    std::vector<std::string> songs;
    for (const auto& t : chain_titles) {
        if (!t.empty() && (songs.empty() || songs.back() != t)) {
            songs.push_back(t);
        }
    }
    EXPECT_EQ(songs, (std::vector<std::string>{"B - T3", "S - S1"}));
    EXPECT_EQ(ffmpeg_errors(save_capture("out.ogg")), "");
}

TEST_F(StationTest, CrossfadeOverlapsTheSongs) {
    auto s = settings();
    s.crossfade_seconds = 1.0;
    auto& station = make(s, {"t1.mp3", "t2.mp3"});
    station.start();
    ASSERT_TRUE(wait_until([&] { return station.now_playing().state == PlayState::stopped; }, 6s));
    ASSERT_TRUE(wait_bytes(0.5));
    EXPECT_EQ(mounts_.capture.title_list(), (std::vector<std::string>{"A - T1", "A - T2"}));
    const auto file = save_capture("out.mp3");
    EXPECT_EQ(ffmpeg_errors(file), "");
    EXPECT_NEAR(audible_span(file), 2.0 + 2.0 - 1.0, 0.1);
}

// ---- state --------------------------------------------------------------------------------

TEST_F(StationTest, ResumesTheSameSongAtTheSavedPosition) {
    double saved = 0;
    {
        auto& station = make(settings(), {"t3.mp3", "long.mp3"});
        ASSERT_TRUE(station.jump_to(1));
        station.set_volume(0.7);
        station.start();
        ASSERT_TRUE(wait_until([&] { return station.now_playing().elapsed >= 1.0; }));
        station.stop();
        saved = station.now_playing().elapsed;
        EXPECT_FALSE(station.now_playing().running);
        stations_.clear();
    }
    EXPECT_GE(saved, 1.0);
    auto& again = make(settings());
    auto np = again.now_playing();
    ASSERT_TRUE(np.current);
    EXPECT_EQ(np.current->path, "long.mp3");
    EXPECT_NEAR(np.elapsed, saved, 0.05);
    EXPECT_EQ(np.playlist_length, 2U);
    EXPECT_DOUBLE_EQ(np.volume, 0.7);
    const auto titles_before = mounts_.capture.title_list().size();
    again.start();
    ASSERT_TRUE(wait_titles(titles_before + 1));
    EXPECT_EQ(mounts_.capture.title_list().back(), "A - Long");
    np = again.now_playing();
    EXPECT_GE(np.elapsed, saved - 0.05);
    EXPECT_LT(np.elapsed, saved + 1.0);
}

TEST_F(StationTest, SavesChangesWhileRunning) {
    auto& station = make(settings(), {"long.mp3"});
    station.start();
    ASSERT_TRUE(wait_titles(1));
    station.enqueue("t3.mp3");
    // Saved by the station thread within the debounce interval (2 s); the database is the only
    // place to look.
    std::optional<std::string> saved;
    for (int i = 0; i < 60; ++i) {
        saved = store_->load_state("test");
        if (saved && saved->find("t3.mp3") != std::string::npos) {
            break;
        }
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(saved);
    EXPECT_NE(saved->find("t3.mp3"), std::string::npos);
    EXPECT_NE(saved->find("long.mp3"), std::string::npos);
}

// ---- hooks --------------------------------------------------------------------------------

TEST_F(StationTest, HooksChooseTheNextSongAndHearAboutEachStart) {
    auto s = settings();
    s.initial_modes.repeat = true;
    s.next_track_command.argv = {"sh", "-c", "echo sub/s2.mp3"};
    const auto log = dir_ / "on-play.log";
    s.on_play_command.argv = {"sh", "-c",
                              "printf '%s|%s|%s|%s\\n' \"$TINYICE_STATION\" \"$TINYICE_ARTIST\" "
                              "\"$TINYICE_TITLE\" \"$TINYICE_FILE\" >> '" +
                                  log.string() + "'"};
    auto& station = make(s, {"t3.mp3", "t1.mp3"});
    station.start();
    ASSERT_TRUE(wait_titles(2, 4s));
    const auto titles = mounts_.capture.title_list();
    EXPECT_EQ(titles[0], "B - T3");
    EXPECT_EQ(titles[1], "S - S2");           // the hook's choice, not the playlist's t1
    EXPECT_FALSE(station.now_playing().next); // unknown with a next-track hook

    // The on-play hook runs on a thread of its own; nothing to wait on but its output.
    std::string text;
    for (int i = 0; i < 200 && text.find("S2") == std::string::npos; ++i) {
        std::this_thread::sleep_for(10ms);
        text = read_text(log);
    }
    EXPECT_NE(text.find("test|B|T3|" + (root() / "t3.mp3").string()), std::string::npos) << text;
    EXPECT_NE(text.find("test|S|S2|"), std::string::npos) << text;
}

TEST_F(StationTest, StopIsPromptWhileAHookRuns) {
    auto s = settings();
    s.next_track_command.argv = {"sleep", "3"};
    s.next_track_command.timeout_ms = 4000;
    auto& station = make(s, {"t3.mp3"});
    station.start();
    ASSERT_TRUE(wait_titles(1));
    ASSERT_TRUE(
        wait_bytes(0.1)); // the hook has been launched (the song is shorter than its timeout)
    const auto before = std::chrono::steady_clock::now();
    station.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 200ms);
    EXPECT_FALSE(station.running());
}

// At most one next-track hook runs per station: skipping while it thinks does not start more.
TEST_F(StationTest, SkipsDoNotPileUpNextTrackHooks) {
    auto s = settings();
    s.initial_modes.repeat = true;
    const auto log = dir_ / "hook.log";
    s.next_track_command.argv = {"sh", "-c",
                                 "echo started >> '" + log.string() + "'; sleep 3; echo t1.mp3"};
    s.next_track_command.timeout_ms = 5000;
    auto& station = make(s, {"t1.mp3", "t2.mp3", "t3.mp3", "long.mp3"});
    station.start();
    ASSERT_TRUE(wait_titles(1));
    // Launched at once: every song is shorter than the hook's timeout.
    ASSERT_TRUE(poll_until([&] { return count_lines(log) >= 1; }, 2s));
    for (std::size_t i = 0; i < 6; ++i) {
        station.next(); // picked from the playlist; the hook's answer will be ignored
        ASSERT_TRUE(wait_titles(i + 2, 1s));
    }
    // Time for any hook started by the skips to have written its line.
    ASSERT_TRUE(wait_bytes(0.4));
    EXPECT_EQ(count_lines(log), 1U);
    EXPECT_EQ(station.now_playing().state, PlayState::playing);
}

// stop() ends the hooks still running, including one that ignores SIGTERM, and stays prompt.
TEST_F(StationTest, StopKillsRunningHooks) {
    auto s = settings();
    s.initial_modes.repeat = true;
    const auto next_pid = dir_ / "next.pid";
    const auto play_pid = dir_ / "play.pid";
    s.next_track_command.argv = {"sh", "-c",
                                 "trap '' TERM; echo $$ > '" + next_pid.string() + "'; sleep 30"};
    s.next_track_command.timeout_ms = 60'000;
    s.on_play_command.argv = {"sh", "-c", "echo $$ > '" + play_pid.string() + "'; exec sleep 30"};
    s.on_play_command.timeout_ms = 60'000;
    auto& station = make(s, {"long.mp3"});
    station.start();
    ASSERT_TRUE(wait_titles(1));
    pid_t next = 0;
    pid_t play = 0;
    ASSERT_TRUE(poll_until(
        [&] {
            next = std::atoi(read_text(next_pid).c_str());
            play = std::atoi(read_text(play_pid).c_str());
            return next > 1 && play > 1;
        },
        3s));
    const auto before = std::chrono::steady_clock::now();
    station.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 200ms);
    // Both were killed and reaped by the time stop() returned (give the kernel a moment).
    EXPECT_TRUE(process_ends_within(next, 50ms));
    EXPECT_TRUE(process_ends_within(play, 50ms));
}

// ---- the mount ----------------------------------------------------------------------------

TEST_F(StationTest, ReclaimsTheMountAfterAKill) {
    auto s = settings();
    s.initial_modes.repeat = true;
    auto& station = make(s, {"long.mp3"});
    station.start();
    ASSERT_TRUE(wait_titles(1));
    mounts_.capture.kill = true;
    auto& c = mounts_.capture;
    ASSERT_TRUE(c.wait([&] { return c.closed == 1; }, 1s));
    EXPECT_FALSE(station.now_playing().on_air);
    // Not at once: the admin who removed it gets a moment (the 2 s back-off).
    EXPECT_FALSE(c.wait([&] { return c.opened == 2; }, 1500ms));
    ASSERT_TRUE(c.wait([&] { return c.opened == 2; }, 2s));
    ASSERT_TRUE(wait_bytes(0.3));
    EXPECT_TRUE(station.now_playing().on_air);
    // The new source announces the song still playing.
    EXPECT_EQ(c.title_list().back(), "A - Long");
}

TEST_F(StationTest, WaitsForABusyMount) {
    auto& c = mounts_.capture;
    {
        std::lock_guard lock(c.mutex);
        c.refuse = true;
    }
    auto& station = make(settings(), {"long.mp3"});
    station.start();
    EXPECT_FALSE(c.wait([&] { return c.opened > 0; }, 300ms));
    EXPECT_TRUE(station.now_playing().running);
    EXPECT_FALSE(station.now_playing().on_air);
    {
        std::lock_guard lock(c.mutex);
        c.refuse = false;
    }
    ASSERT_TRUE(c.wait([&] { return c.opened == 1; }, 3s));
    ASSERT_TRUE(wait_titles(1));
    EXPECT_TRUE(station.now_playing().on_air);
}

// An unexpected error in the station thread (here: the mount refusing the title while the
// station claims it, which used to end the thread for good while it still claimed to run)
// restarts the stream after a back-off.
TEST_F(StationTest, RecoversFromAnErrorInTheStationThread) {
    auto s = settings();
    s.initial_modes.repeat = true;
    auto& station = make(s, {"long.mp3", "t1.mp3"});
    auto& c = mounts_.capture;
    c.refuse_titles = 1;
    station.start();
    ASSERT_TRUE(c.wait([&] { return c.closed == 1; }, 1s)) << "the stream should restart";
    auto np = station.now_playing();
    EXPECT_TRUE(np.running);
    EXPECT_FALSE(np.on_air);
    EXPECT_NE(np.last_error.find("title refused"), std::string::npos) << np.last_error;
    ASSERT_TRUE(c.wait([&] { return c.opened == 2; }, 3s));
    ASSERT_TRUE(wait_until([&] { return station.now_playing().on_air; }, 1s));
    ASSERT_TRUE(wait_titles(1));
    EXPECT_EQ(c.title_list().back(), "A - Long");
    station.stop();
    EXPECT_FALSE(station.running());
    station.start(); // and it starts again as usual
    EXPECT_TRUE(station.running());
    ASSERT_TRUE(c.wait([&] { return c.opened == 3; }, 1s));
}

// The station keeps its library alive: a caller holding a station its manager dropped can still
// use it (and destroying it last is fine).
TEST_F(StationTest, KeepsItsLibraryAlive) {
    const auto folder = dir_ / "other";
    fs::create_directories(folder);
    fs::copy_file(root() / "t1.mp3", folder / "t1.mp3");
    auto library = std::make_shared<Library>(folder, *db_, Library::Options{false, {".mp3"}});
    scan(*library, 1);
    std::weak_ptr<Library> watch = library;
    auto& station = make(settings(), {"t1.mp3"}, std::move(library));
    ASSERT_FALSE(watch.expired());
    EXPECT_EQ(station.library().index()->tracks().size(), 1U);
    EXPECT_EQ(station.library().resolve("t1.mp3"), folder / "t1.mp3");
    stations_.clear();
    EXPECT_TRUE(watch.expired());
}

TEST_F(StationTest, ARetiredStationNeverStartsAgain) {
    auto& station = make(settings(), {"long.mp3"});
    station.start();
    ASSERT_TRUE(wait_titles(1));
    station.retire();
    EXPECT_FALSE(station.running());
    station.start();
    EXPECT_FALSE(station.running());
    EXPECT_FALSE(station.now_playing().running);
    EXPECT_EQ(mounts_.capture.opened, 1);
}

TEST_F(StationTest, ReportsTheNextPlaylistPosition) {
    auto& station = make(settings(), {"t1.mp3", "t2.mp3", "t3.mp3"});
    EXPECT_EQ(station.now_playing().next_position, 0U);
    ASSERT_TRUE(station.jump_to(1));
    auto np = station.now_playing();
    EXPECT_EQ(np.position, 1U);
    ASSERT_TRUE(np.next);
    EXPECT_EQ(np.next->path, "t3.mp3");
    EXPECT_EQ(np.next_position, 2U);
    station.enqueue("sub/s1.mp3"); // up-next comes first and has no playlist position
    np = station.now_playing();
    ASSERT_TRUE(np.next);
    EXPECT_EQ(np.next->path, "sub/s1.mp3");
    EXPECT_FALSE(np.next_position);
}

// A playlist of many unplayable files: a few opens, then silence with a back-off (it used to be
// hundreds of FFmpeg opens and warning lines a second, forever).
TEST_F(StationTest, ManyUnreadableFilesCostFewOpens) {
    const auto many = dir_ / "many";
    fs::create_directories(many);
    for (int i = 0; i < 500; ++i) {
        fs::copy_file(root() / "t3.mp3", many / fmt::format("f{:03}.mp3", i));
    }
    auto library = std::make_shared<Library>(many, *db_, Library::Options{false, {".mp3"}});
    scan(*library, 500);
    // Broken after the scan, as a disk going bad would be.
    const Bytes junk = [&] {
        std::ifstream in(root() / "bad.mp3", std::ios::binary);
        return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }();
    for (int i = 0; i < 500; ++i) {
        write_file(many / fmt::format("f{:03}.mp3", i), junk);
    }
    auto s = settings();
    s.initial_modes.repeat = true;
    auto& station = make(s, {}, library); // the whole library
    ASSERT_EQ(station.playlist().size(), 500U);
    station.start();
    ASSERT_TRUE(wait_bytes(0.2));
    const double cpu_before = cpu_seconds();
    const auto bytes_before = mounts_.capture.size();
    std::this_thread::sleep_for(3s);
    const double cpu = cpu_seconds() - cpu_before;
    const auto np = station.now_playing();
    EXPECT_GT(np.open_attempts, 0U);
    EXPECT_LE(np.open_attempts, 20U) << "files opened in about 3 s";
    // Every open finished so far failed; one may still be under way (counted as an attempt,
    // not yet as a failure) when the snapshot is taken.
    EXPECT_LE(np.open_failures, np.open_attempts);
    EXPECT_GE(np.open_failures + 1, np.open_attempts);
    EXPECT_LT(cpu, 0.5) << "CPU seconds used in 3 s";
    EXPECT_GT(mounts_.capture.size() - bytes_before, 40000U); // still streaming (silence)
    EXPECT_TRUE(mounts_.capture.title_list().empty());
    EXPECT_EQ(np.state, PlayState::playing);
}

// The music folder vanishing (a NAS unmounted) means silence and no attempt to open anything,
// until it is back.
TEST_F(StationTest, AMissingMusicFolderIdlesWithoutOpeningFiles) {
    auto s = settings();
    s.initial_modes.repeat = true;
    auto& station = make(s, {"t1.mp3", "t3.mp3"});
    const auto away = dir_ / "music-away";
    fs::rename(root(), away);
    station.start();
    ASSERT_TRUE(wait_bytes(1.0));
    auto np = station.now_playing();
    EXPECT_EQ(np.open_attempts, 0U);
    EXPECT_TRUE(np.on_air);
    EXPECT_EQ(np.state, PlayState::playing);
    EXPECT_TRUE(mounts_.capture.title_list().empty());
    fs::rename(away, root());
    station.next();
    ASSERT_TRUE(wait_titles(1, 2s));
}

TEST_F(StationTest, StoredPlaylistsAreBounded) {
    auto& station = make(settings(), {"t1.mp3"});
    EXPECT_THROW(station.save_playlist(std::string(Station::max_playlist_name + 1, 'x')),
                 std::invalid_argument);
    EXPECT_THROW(station.save_playlist("tab\there"), std::invalid_argument);
    for (std::size_t i = 0; i < Station::max_stored_playlists; ++i) {
        store_->save_playlist("test", fmt::format("p{:04}", i), {"t1.mp3"});
    }
    EXPECT_THROW(station.save_playlist("one-too-many"), PlaylistLimitError);
    EXPECT_EQ(station.stored_playlists().size(), Station::max_stored_playlists);
    station.save_playlist("p0007"); // replacing one is fine
    EXPECT_TRUE(station.remove_playlist("p0000"));
    station.save_playlist(std::string(Station::max_playlist_name, 'y'));
    EXPECT_EQ(station.stored_playlists().size(), Station::max_stored_playlists);
}

// ---- editing ------------------------------------------------------------------------------

TEST_F(StationTest, FirstStartPlaysTheWholeLibraryInPathOrder) {
    auto& station = make(settings());
    const auto list = station.playlist();
    ASSERT_EQ(list.size(), std::size(tracks));
    EXPECT_EQ(list.front().path, "bad.mp3");
    EXPECT_EQ(list.back().path, "t3.mp3");
}

TEST_F(StationTest, EditsThePlaylistWithinTheLibrary) {
    auto& station = make(settings(), {"t1.mp3"});
    std::atomic<unsigned> events{0};
    station.subscribe([&](unsigned e) { events |= e; });

    const auto ids = station.add("sub/");
    ASSERT_EQ(ids.size(), 2U);
    auto list = station.playlist();
    ASSERT_EQ(list.size(), 3U);
    EXPECT_EQ(list[1].path, "sub/s1.mp3");
    EXPECT_EQ(list[2].path, "sub/s2.mp3");
    EXPECT_TRUE(events & event_playlist);

    EXPECT_THROW(station.add("nope.mp3"), std::invalid_argument);
    EXPECT_THROW(station.add("../music/t1.mp3"), std::invalid_argument);
    EXPECT_THROW(station.add("/etc/passwd"), std::invalid_argument);
    EXPECT_THROW(station.enqueue("su"), std::invalid_argument); // not a folder prefix match

    const auto id = station.enqueue("t2.mp3");
    EXPECT_NE(id, 0U);
    EXPECT_EQ(station.up_next().size(), 1U);
    EXPECT_EQ(station.now_playing().next->path, "t2.mp3"); // up-next plays first
    EXPECT_TRUE(station.dequeue(0));

    EXPECT_TRUE(station.move(0, 1, 2));
    EXPECT_EQ(station.playlist()[2].path, "t1.mp3");
    EXPECT_TRUE(station.remove_id(ids[0]));
    EXPECT_EQ(station.playlist().size(), 2U);

    events = 0;
    station.set_volume(3.0);
    EXPECT_DOUBLE_EQ(station.now_playing().volume, 1.0);
    station.set_crossfade(99);
    EXPECT_DOUBLE_EQ(station.now_playing().crossfade_seconds, 30.0);
    EXPECT_TRUE(events & event_mixer);
    EXPECT_TRUE(events & event_options);
}

TEST_F(StationTest, ExportsImportsAndStoresPlaylists) {
    auto& station = make(settings(), {"t1.mp3", "sub/s1.mp3"});
    const auto m3u = station.export_playlist(false);
    EXPECT_NE(m3u.find("#EXTM3U"), std::string::npos);
    EXPECT_NE(m3u.find("sub/s1.mp3"), std::string::npos);
    EXPECT_NE(m3u.find("A - T1"), std::string::npos);
    const auto pls = station.export_playlist(true, true);
    EXPECT_NE(pls.find((root() / "t1.mp3").string()), std::string::npos);

    station.clear();
    const auto text = "#EXTM3U\n" + (root() / "t2.mp3").string() +
                      "\nsub/s2.mp3\nhttp://example.com/stream\nmissing.mp3\n/etc/passwd\n";
    const auto result = station.import_playlist(text);
    EXPECT_EQ(result.added, 2U);
    EXPECT_EQ(result.skipped, 3U);
    auto list = station.playlist();
    ASSERT_EQ(list.size(), 2U);
    EXPECT_EQ(list[0].path, "t2.mp3");
    EXPECT_EQ(list[1].path, "sub/s2.mp3");

    station.save_playlist("mine");
    const auto stored = station.stored_playlists();
    ASSERT_EQ(stored.size(), 1U);
    EXPECT_EQ(stored[0].name, "mine");
    EXPECT_EQ(stored[0].entries, 2U);
    EXPECT_TRUE(station.load_playlist("mine"));
    EXPECT_EQ(station.playlist().size(), 4U);
    EXPECT_FALSE(station.load_playlist("other"));
    EXPECT_TRUE(station.remove_playlist("mine"));
    EXPECT_TRUE(station.stored_playlists().empty());
    EXPECT_THROW(station.save_playlist(""), std::invalid_argument);
}

TEST_F(StationTest, RefusesBadSettings) {
    auto s = settings();
    s.mount = "autodj";
    EXPECT_THROW(make(s), std::invalid_argument);
    s = settings();
    s.crossfade_seconds = 31;
    EXPECT_THROW(make(s), std::invalid_argument);
    s = settings();
    s.encoder.bitrate_kbps = 2;
    EXPECT_THROW(make(s), codec::CodecError);
}

} // namespace
} // namespace tinyice::autodj
