#include "autodj/Library.hpp"

#include "storage/Database.hpp"
#include "util/Subprocess.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace tinyice::autodj {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- LibraryIndex and Track, without files ---------------------------------------------------

TrackPtr track(std::string path, std::string artist = "", std::string title = "",
               std::string album = "", double duration = 0) {
    auto t = std::make_shared<Track>();
    t->path = std::move(path);
    t->artist = std::move(artist);
    t->title = std::move(title);
    t->album = std::move(album);
    t->duration = duration;
    return t;
}

std::vector<std::string> paths(const std::vector<TrackPtr>& tracks) {
    std::vector<std::string> out;
    for (const auto& t : tracks) {
        out.push_back(t->path);
    }
    return out;
}

LibraryIndex sample_index() {
    return LibraryIndex({
        track("Jazz/Miles/So What.mp3", "Miles Davis", "So What", "Kind of Blue", 545),
        track("Jazz Fusion/Weather Report/Birdland.mp3", "Weather Report", "Birdland",
              "Heavy Weather", 357),
        track("Jazz/Miles/Blue in Green.mp3", "Miles Davis", "Blue in Green", "Kind of Blue", 337),
        track("Jazz/Coltrane/Giant Steps.flac", "John Coltrane", "Giant Steps", "Giant Steps", 286),
        track("Björk/Jóga.ogg", "Björk", "Jóga", "Homogenic", 305),
        track("loose.mp3"),
        track("Jazz-notes.mp3", "", "Notes"),
        nullptr,
    });
}

TEST(LibraryIndexTest, SortsByPathAndFinds) {
    const auto index = sample_index();
    EXPECT_EQ(paths(index.tracks()), (std::vector<std::string>{
                                         "Björk/Jóga.ogg",
                                         "Jazz Fusion/Weather Report/Birdland.mp3",
                                         "Jazz-notes.mp3",
                                         "Jazz/Coltrane/Giant Steps.flac",
                                         "Jazz/Miles/Blue in Green.mp3",
                                         "Jazz/Miles/So What.mp3",
                                         "loose.mp3",
                                     }));
    ASSERT_TRUE(index.find("Jazz/Miles/So What.mp3"));
    EXPECT_EQ(index.find("Jazz/Miles/So What.mp3")->title, "So What");
    EXPECT_FALSE(index.find("Jazz/Miles"));
    EXPECT_FALSE(index.find("jazz/miles/so what.mp3")); // paths are exact
    EXPECT_FALSE(index.find(""));
    EXPECT_EQ(index.artists(), 4U);
    EXPECT_EQ(index.albums(), 4U);
    EXPECT_DOUBLE_EQ(index.total_duration(), 545 + 357 + 337 + 286 + 305);
    EXPECT_TRUE(LibraryIndex().tracks().empty());
}

TEST(LibraryIndexTest, DuplicatePathsAreKeptOnce) {
    const LibraryIndex index({track("a.mp3", "X"), track("a.mp3", "Y"), track("b.mp3")});
    EXPECT_EQ(paths(index.tracks()), (std::vector<std::string>{"a.mp3", "b.mp3"}));
}

TEST(LibraryIndexTest, UnderAFolderIsNotUnderItsPrefix) {
    const auto index = sample_index();
    EXPECT_EQ(paths(index.under("Jazz")),
              (std::vector<std::string>{"Jazz/Coltrane/Giant Steps.flac",
                                        "Jazz/Miles/Blue in Green.mp3", "Jazz/Miles/So What.mp3"}));
    EXPECT_EQ(index.under("Jazz/Miles/").size(), 2U);
    EXPECT_EQ(index.under("").size(), 7U);
    EXPECT_EQ(paths(index.under("loose.mp3")), (std::vector<std::string>{"loose.mp3"}));
    EXPECT_TRUE(index.under("Jaz").empty());
    EXPECT_TRUE(index.under("Nothing").empty());
}

TEST(LibraryIndexTest, ListsFoldersAndTracks) {
    const auto index = sample_index();
    LibraryIndex::Listing root;
    ASSERT_TRUE(index.list("", root));
    EXPECT_EQ(root.folders, (std::vector<std::string>{"Björk", "Jazz", "Jazz Fusion"}));
    EXPECT_EQ(paths(root.tracks), (std::vector<std::string>{"Jazz-notes.mp3", "loose.mp3"}));

    LibraryIndex::Listing jazz;
    ASSERT_TRUE(index.list("Jazz", jazz));
    EXPECT_EQ(jazz.folders, (std::vector<std::string>{"Jazz/Coltrane", "Jazz/Miles"}));
    EXPECT_TRUE(jazz.tracks.empty());

    LibraryIndex::Listing miles;
    ASSERT_TRUE(index.list("/Jazz/Miles/", miles));
    EXPECT_TRUE(miles.folders.empty());
    EXPECT_EQ(miles.tracks.size(), 2U);

    LibraryIndex::Listing none;
    EXPECT_FALSE(index.list("Jaz", none));
    EXPECT_FALSE(index.list("loose.mp3", none)); // a track, not a folder
    EXPECT_TRUE(none.folders.empty() && none.tracks.empty());

    LibraryIndex::Listing empty;
    EXPECT_TRUE(LibraryIndex().list("", empty)); // the root always exists
}

TEST(LibraryIndexTest, SearchMatchesEveryWordCaseInsensitively) {
    const auto index = sample_index();
    EXPECT_EQ(paths(index.search("miles blue", 10)),
              (std::vector<std::string>{"Jazz/Miles/Blue in Green.mp3",
                                        "Jazz/Miles/So What.mp3"})); // album "Kind of Blue"
    EXPECT_EQ(paths(index.search("  MILES   green ", 10)),
              (std::vector<std::string>{"Jazz/Miles/Blue in Green.mp3"}));
    EXPECT_EQ(paths(index.search("coltrane", 10)),
              (std::vector<std::string>{"Jazz/Coltrane/Giant Steps.flac"}));
    EXPECT_EQ(paths(index.search("LOOSE", 10)), (std::vector<std::string>{"loose.mp3"})); // path
    // UTF-8 is compared byte for byte; ASCII letters around it ignore case.
    EXPECT_EQ(index.search("BJö", 10).size(), 1U);
    EXPECT_EQ(index.search("jóga", 10).size(), 1U);
    EXPECT_TRUE(index.search("miles zzz", 10).empty());
    EXPECT_EQ(index.search("jazz", 2).size(), 2U); // limited
    EXPECT_EQ(index.search("", 100).size(), 7U);   // no words: everything matches
}

TEST(LibraryIndexTest, TrackTitles) {
    EXPECT_EQ(track("a/b/Song.mp3", "Artist", "Title")->display_title(), "Artist - Title");
    EXPECT_EQ(track("a/b/Song.mp3", "", "Title")->display_title(), "Title");
    EXPECT_EQ(track("a/b/Song.mp3", "Artist", "")->display_title(), "Song");
    EXPECT_EQ(track("a/b/Song.mp3")->display_title(), "Song");
    EXPECT_EQ(track("a/b/Song.mp3", "Artist", "")->title_or_name(), "Song");
    EXPECT_EQ(track("a/b/Song.mp3", "Artist", "T")->title_or_name(), "T");
    EXPECT_EQ(track("no-extension")->title_or_name(), "no-extension");
    EXPECT_EQ(track("dir.v2/.hidden")->title_or_name(), ".hidden");
    EXPECT_EQ(track("x/a.b.c.flac")->title_or_name(), "a.b.c");
}

// ---- Library on real files -------------------------------------------------------------------

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "tinyice-library-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

struct AudioFile {
    std::string path;
    std::string artist;
    std::string title;
    std::string album;
    int seconds = 1;
    std::vector<std::string> codec; // extra ffmpeg arguments
};

// Writes a sine tone with tags through the ffmpeg CLI; "" on success, else the reason.
std::string make_audio(const fs::path& file, const AudioFile& a) {
    fs::create_directories(file.parent_path());
    std::vector<std::string> argv = {"ffmpeg",    "-hide_banner",
                                     "-loglevel", "error",
                                     "-nostdin",  "-y",
                                     "-f",        "lavfi",
                                     "-i",        "sine=f=440:d=" + std::to_string(a.seconds)};
    for (const auto& [key, value] : {std::pair{"artist", a.artist}, std::pair{"title", a.title},
                                     std::pair{"album", a.album}}) {
        if (!value.empty()) {
            argv.insert(argv.end(), {"-metadata", std::string(key) + "=" + value});
        }
    }
    argv.insert(argv.end(), a.codec.begin(), a.codec.end());
    argv.push_back(file.string());
    const auto r = util::run_command(argv, {}, 30s);
    return r.ok() ? std::string() : r.error + r.err;
}

void write_file(const fs::path& file, std::string_view bytes) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << bytes;
}

// The audio files are made once (ffmpeg takes a moment) and copied into each test's folder.
class LibraryTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!util::run_command({"ffmpeg", "-version"}, {}, 10s).ok()) {
            skip_reason_ = "ffmpeg is not installed";
            return;
        }
        templates_ = std::make_unique<TempDir>();
        const std::vector<AudioFile> files = {
            {"Jazz/Miles Davis/So What.mp3", "Miles Davis", "So What", "Kind of Blue", 1, {}},
            {"Jazz/Coltrane/Giant Steps.flac",
             "John Coltrane",
             "Giant Steps",
             "Giant Steps",
             2,
             {}},
            {"Rock/song.ogg", "Björk", "Jóga", "Homogenic", 1, {"-c:a", "libvorbis"}},
            {"Rock/track.m4a", "Artist M4A", "Aac Song", "Album M4A", 1, {"-c:a", "aac"}},
            {"untagged.wav", "", "", "", 1, {}},
            {".hidden.mp3", "Hidden", "Hidden", "", 1, {}},
            {".hidden-folder/x.mp3", "Hidden", "Hidden", "", 1, {}},
        };
        for (const auto& f : files) {
            if (auto why = make_audio(templates_->path() / "music" / f.path, f); !why.empty()) {
                skip_reason_ = "ffmpeg cannot make " + f.path + ": " + why;
                return;
            }
        }
        if (auto why = make_audio(templates_->path() / "outside" / "out.mp3",
                                  {"", "Outside", "Outside", "", 1, {}});
            !why.empty()) {
            skip_reason_ = why;
            return;
        }
        // Not audio, whatever the name says: text has no MPEG sync word.
        std::string junk;
        while (junk.size() < 8192) {
            junk += "this is not audio, just a file with an mp3 name\n";
        }
        write_file(templates_->path() / "music" / "bad.mp3", junk);
        write_file(templates_->path() / "music" / "notes.txt", "ignored: not an audio extension");
    }
    static void TearDownTestSuite() { templates_.reset(); }

    void SetUp() override {
        if (!skip_reason_.empty()) {
            GTEST_SKIP() << skip_reason_;
        }
        fs::copy(templates_->path(), dir_.path(), fs::copy_options::recursive);
        // Inside the folder: a link to a file in it (followed), a link to the folder itself
        // (a loop), and links that leave it (never followed).
        fs::create_symlink("Jazz/Miles Davis/So What.mp3", music() / "inside-link.mp3");
        fs::create_directory_symlink(".", music() / "loop");
        fs::create_symlink("../outside/out.mp3", music() / "outside.mp3");
        fs::create_directory_symlink("../outside", music() / "outside-folder");
        db_ = std::make_unique<storage::Database>(dir_.path() / "tinyice.db");
    }

    fs::path music() const { return dir_.path() / "music"; }

    std::unique_ptr<Library> make_library(bool analyse = false) {
        Library::Options options;
        options.analyse_loudness = analyse;
        return std::make_unique<Library>(music(), *db_, options);
    }

    // Waits, woken by the library's change notifications, until `done` holds.
    static bool wait_until(Library& lib, const std::function<bool()>& done,
                           std::chrono::seconds limit = 60s) {
        std::mutex m;
        std::condition_variable cv;
        const auto id = lib.subscribe([&] {
            std::lock_guard lock(m);
            cv.notify_all();
        });
        bool ok = false;
        {
            std::unique_lock lock(m);
            ok = cv.wait_for(lock, limit, done);
        }
        lib.unsubscribe(id); // not holding m: a callback in progress needs it
        return ok;
    }

    static bool wait_for_scan(Library& lib, std::uint64_t scan_id) {
        return wait_until(lib, [&] {
            const auto p = lib.progress();
            return p.scan_id >= scan_id && !p.scanning;
        });
    }

    static std::vector<std::string> indexed(const Library& lib) {
        return paths(lib.index()->tracks());
    }

    static const std::vector<std::string> expected_tracks;

    TempDir dir_;
    std::unique_ptr<storage::Database> db_;
    static inline std::unique_ptr<TempDir> templates_;
    static inline std::string skip_reason_;
};

const std::vector<std::string> LibraryTest::expected_tracks = {"Jazz/Coltrane/Giant Steps.flac",
                                                               "Jazz/Miles Davis/So What.mp3",
                                                               "Rock/song.ogg",
                                                               "Rock/track.m4a",
                                                               "inside-link.mp3",
                                                               "untagged.wav"};

TEST_F(LibraryTest, ScansTheFolder) {
    auto lib = make_library();
    EXPECT_TRUE(lib->index()); // empty, never null
    lib->start();
    ASSERT_TRUE(wait_for_scan(*lib, 1));
    EXPECT_EQ(indexed(*lib), expected_tracks);

    const auto index = lib->index();
    const auto so_what = index->find("Jazz/Miles Davis/So What.mp3");
    ASSERT_TRUE(so_what);
    EXPECT_EQ(so_what->artist, "Miles Davis");
    EXPECT_EQ(so_what->title, "So What");
    EXPECT_EQ(so_what->album, "Kind of Blue");
    EXPECT_EQ(so_what->display_title(), "Miles Davis - So What");
    EXPECT_NEAR(so_what->duration, 1.0, 0.15);
    EXPECT_GT(so_what->size, 0);
    EXPECT_GT(so_what->mtime, 0);
    EXPECT_NEAR(index->find("Jazz/Coltrane/Giant Steps.flac")->duration, 2.0, 0.1);
    EXPECT_EQ(index->find("Rock/song.ogg")->artist, "Björk");
    EXPECT_EQ(index->find("Rock/song.ogg")->title, "Jóga");
    EXPECT_EQ(index->find("Rock/track.m4a")->title, "Aac Song");
    EXPECT_EQ(index->find("untagged.wav")->display_title(), "untagged");
    EXPECT_EQ(index->artists(), 4U);
    EXPECT_EQ(index->albums(), 4U);

    const auto p = lib->progress();
    EXPECT_EQ(p.scan_id, 1U);
    EXPECT_EQ(p.files_seen, 7U); // the six above and bad.mp3
    EXPECT_EQ(p.probed, 7U);
    EXPECT_EQ(p.added, 6U);
    EXPECT_EQ(p.updated, 0U);
    EXPECT_EQ(p.removed, 0U);
    EXPECT_EQ(p.unreadable, 1U);
    EXPECT_EQ(p.error, "");
    EXPECT_GT(p.last_scan_finished, 0);
    EXPECT_GE(p.last_scan_finished, p.last_scan_started);
    lib->stop();
}

TEST_F(LibraryTest, RescansOnlyWhatChanged) {
    auto lib = make_library();
    lib->start();
    ASSERT_TRUE(wait_for_scan(*lib, 1));

    // Nothing changed: nothing probed.
    auto id = lib->rescan();
    EXPECT_EQ(id, 2U);
    ASSERT_TRUE(wait_for_scan(*lib, id));
    auto p = lib->progress();
    EXPECT_EQ(p.probed, 0U);
    EXPECT_EQ(p.files_seen, 7U);
    EXPECT_EQ(p.unreadable, 1U); // bad.mp3 is still known to be bad, without a new probe

    // One touched, one new, one gone.
    const auto touched = music() / "Jazz/Coltrane/Giant Steps.flac";
    fs::last_write_time(touched, fs::last_write_time(touched) + 10s);
    fs::copy_file(music() / "untagged.wav", music() / "Rock/new.wav");
    fs::remove(music() / "Rock/track.m4a");
    id = lib->rescan();
    ASSERT_TRUE(wait_for_scan(*lib, id));
    p = lib->progress();
    EXPECT_EQ(p.probed, 2U);
    EXPECT_EQ(p.added, 1U);
    EXPECT_EQ(p.updated, 1U);
    EXPECT_EQ(p.removed, 1U);
    const auto tracks = indexed(*lib);
    EXPECT_EQ(std::count(tracks.begin(), tracks.end(), "Rock/new.wav"), 1);
    EXPECT_EQ(std::count(tracks.begin(), tracks.end(), "Rock/track.m4a"), 0);
    EXPECT_EQ(tracks.size(), expected_tracks.size());

    // A bad file that becomes good is probed again and joins the index.
    fs::copy_file(music() / "untagged.wav", music() / "bad.mp3",
                  fs::copy_options::overwrite_existing);
    id = lib->rescan();
    ASSERT_TRUE(wait_for_scan(*lib, id));
    EXPECT_EQ(lib->progress().probed, 1U);
    EXPECT_EQ(lib->progress().unreadable, 0U);
    EXPECT_TRUE(lib->index()->find("bad.mp3"));
}

TEST_F(LibraryTest, RescanRequestsAreCoalesced) {
    auto lib = make_library();
    const auto a = lib->rescan();
    const auto b = lib->rescan();
    EXPECT_EQ(a, b);
    lib->start();
    ASSERT_TRUE(wait_for_scan(*lib, a));
    EXPECT_EQ(lib->progress().scan_id, a);
}

TEST_F(LibraryTest, ARestartServesTheStoredIndexAtOnce) {
    {
        auto lib = make_library();
        lib->start();
        ASSERT_TRUE(wait_for_scan(*lib, 1));
    }
    // The folder is gone now, so the scan cannot add anything: what is there came from the
    // database, and start() had it before returning.
    fs::rename(music(), dir_.path() / "moved");
    auto lib = make_library();
    lib->start();
    EXPECT_EQ(indexed(*lib), expected_tracks);
    ASSERT_TRUE(wait_for_scan(*lib, 1));
    const auto p = lib->progress();
    EXPECT_NE(p.error.find("music"), std::string::npos) << p.error;
    EXPECT_EQ(indexed(*lib), expected_tracks); // kept, not dropped

    // Back again: the next scan clears the error and finds nothing to do.
    fs::rename(dir_.path() / "moved", music());
    const auto id = lib->rescan();
    ASSERT_TRUE(wait_for_scan(*lib, id));
    EXPECT_EQ(lib->progress().error, "");
    EXPECT_EQ(lib->progress().probed, 0U);
    EXPECT_EQ(indexed(*lib), expected_tracks);
}

TEST_F(LibraryTest, AMissingFolderIsAnErrorNotACrash) {
    Library lib(dir_.path() / "no-such-folder", *db_, Library::Options{});
    lib.start();
    ASSERT_TRUE(wait_for_scan(lib, 1));
    EXPECT_FALSE(lib.progress().error.empty());
    EXPECT_TRUE(lib.index()->tracks().empty());
    // A file is not a folder either.
    Library file_lib(music() / "untagged.wav", *db_, Library::Options{});
    file_lib.start();
    ASSERT_TRUE(wait_for_scan(file_lib, 1));
    EXPECT_NE(file_lib.progress().error.find("not a folder"), std::string::npos);
}

TEST_F(LibraryTest, ResolveStaysInsideTheFolder) {
    auto lib = make_library();
    const fs::path root = lib->root();
    EXPECT_EQ(root, fs::canonical(music()));
    EXPECT_EQ(lib->resolve("Rock/song.ogg"), root / "Rock/song.ogg");
    EXPECT_EQ(lib->resolve("Jazz//Miles Davis/./So What.mp3"),
              root / "Jazz/Miles Davis/So What.mp3");
    EXPECT_EQ(lib->resolve("not-yet-there.mp3"), root / "not-yet-there.mp3");
    EXPECT_EQ(lib->resolve("inside-link.mp3"), root / "inside-link.mp3");
    EXPECT_EQ(lib->resolve(""), root);
    EXPECT_FALSE(lib->resolve("../outside/out.mp3"));
    EXPECT_FALSE(lib->resolve("Rock/../../outside/out.mp3"));
    EXPECT_FALSE(lib->resolve("Rock/.."));
    EXPECT_FALSE(lib->resolve("/etc/passwd"));
    EXPECT_FALSE(lib->resolve(root.string() + "/Rock/song.ogg")); // absolute, even inside
    EXPECT_FALSE(lib->resolve("outside.mp3"));                    // a symlink out
    EXPECT_FALSE(lib->resolve("outside-folder/out.mp3"));
    EXPECT_FALSE(lib->resolve(std::string("a\0b", 3)));

    EXPECT_EQ(lib->relative(root / "Rock/song.ogg"), "Rock/song.ogg");
    EXPECT_EQ(lib->relative(root / "Rock/./x/../song.ogg"), "Rock/song.ogg");
    EXPECT_EQ(lib->relative(root), "");
    EXPECT_FALSE(lib->relative("/etc/passwd"));
    EXPECT_FALSE(lib->relative(dir_.path() / "outside/out.mp3"));
    EXPECT_FALSE(lib->relative(root / "outside.mp3"));
    EXPECT_FALSE(lib->relative("Rock/song.ogg")); // not absolute
    // Through a symlink to the folder.
    fs::create_directory_symlink(music(), dir_.path() / "music-link");
    EXPECT_EQ(lib->relative(dir_.path() / "music-link/Rock/song.ogg"), "Rock/song.ogg");
}

TEST_F(LibraryTest, SearchAndListOnAScannedLibrary) {
    auto lib = make_library();
    lib->start();
    ASSERT_TRUE(wait_for_scan(*lib, 1));
    const auto index = lib->index();
    LibraryIndex::Listing root;
    ASSERT_TRUE(index->list("", root));
    EXPECT_EQ(root.folders, (std::vector<std::string>{"Jazz", "Rock"}));
    EXPECT_EQ(paths(root.tracks), (std::vector<std::string>{"inside-link.mp3", "untagged.wav"}));
    EXPECT_EQ(paths(index->search("miles WHAT", 10)),
              (std::vector<std::string>{"Jazz/Miles Davis/So What.mp3", "inside-link.mp3"}));
    EXPECT_EQ(paths(index->search("homogenic", 10)), (std::vector<std::string>{"Rock/song.ogg"}));
}

TEST_F(LibraryTest, MeasuresLoudnessInTheBackground) {
    auto lib = make_library(true);
    lib->start();
    const bool measured = wait_until(*lib, [&] {
        const auto index = lib->index();
        return index->tracks().size() == expected_tracks.size() &&
               std::all_of(index->tracks().begin(), index->tracks().end(),
                           [](const TrackPtr& t) { return t->loudness_lufs.has_value(); });
    });
    ASSERT_TRUE(measured);
    const auto t = lib->index()->find("Jazz/Coltrane/Giant Steps.flac");
    // A full-scale-ish sine: loud, well above silence, peak at most full scale.
    EXPECT_GT(*t->loudness_lufs, -40.0);
    EXPECT_LT(*t->loudness_lufs, 0.0);
    ASSERT_TRUE(t->loudness_peak);
    EXPECT_GT(*t->loudness_peak, 0.01);
    EXPECT_LE(*t->loudness_peak, 1.01);
    ASSERT_TRUE(wait_until(*lib, [&] { return !lib->progress().analysing; }));
    EXPECT_GE(lib->progress().analysed, 5U); // the link is the same file under another name
    EXPECT_EQ(lib->progress().analysis_pending, 0U);
    lib->stop();

    // Measurements are stored: a restart has them at once.
    auto again = make_library(true);
    again->start();
    EXPECT_TRUE(again->index()->find("Rock/song.ogg")->loudness_lufs);
}

TEST_F(LibraryTest, StopIsPromptAndIdempotent) {
    auto lib = make_library(true);
    lib->stop(); // before start: fine
    lib->start();
    const auto before = std::chrono::steady_clock::now();
    lib->stop();
    lib->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
    // And it can start again.
    lib->start();
    ASSERT_TRUE(wait_for_scan(*lib, 1));
    EXPECT_EQ(indexed(*lib), expected_tracks);
}

TEST_F(LibraryTest, SubscribersHearAboutScans) {
    auto lib = make_library();
    std::mutex m;
    int calls = 0;
    const auto id = lib->subscribe([&] {
        std::lock_guard lock(m);
        ++calls;
    });
    lib->start();
    ASSERT_TRUE(wait_for_scan(*lib, 1));
    lib->stop();
    lib->unsubscribe(id);
    std::lock_guard lock(m);
    EXPECT_GE(calls, 3); // start, at least one publish, end
}

} // namespace
} // namespace tinyice::autodj
