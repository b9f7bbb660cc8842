#pragma once
// A FileDecoder that makes PCM out of thin air, so decks and the mixer can be tested without
// files: every sample of frame n is value(n).

#include "codec/FileDecoder.hpp"

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace tinyice::autodj::test {

class FakeDecoder : public codec::FileDecoder {
public:
    FakeDecoder(
        codec::PcmFormat format, std::size_t frames,
        std::function<float(std::size_t)> value = [](std::size_t) { return 0.5F; })
        : format_(format), frames_(frames), value_(std::move(value)) {
        tags_.duration = static_cast<double>(frames) / format.sample_rate;
    }

    [[nodiscard]] codec::PcmFormat format() const override { return format_; }
    [[nodiscard]] const codec::TrackTags& tags() const override { return tags_; }
    std::size_t read(std::span<float> out) override {
        const auto channels = static_cast<std::size_t>(format_.channels);
        const std::size_t n = std::min(out.size() / channels, frames_ - at_);
        for (std::size_t f = 0; f < n; ++f) {
            for (std::size_t c = 0; c < channels; ++c) {
                out[f * channels + c] = value_(at_ + f);
            }
        }
        at_ += n;
        ++reads_;
        return n;
    }
    bool seek(double seconds) override {
        if (!seekable_) {
            return false;
        }
        at_ = std::min(frames_, static_cast<std::size_t>(seconds * format_.sample_rate));
        return true;
    }
    [[nodiscard]] double position() const override {
        return static_cast<double>(at_) / format_.sample_rate;
    }
    [[nodiscard]] const std::string& error() const override { return error_; }
    [[nodiscard]] std::size_t skipped_packets() const override { return 0; }

    bool seekable_ = true;
    std::size_t reads_ = 0;

private:
    codec::PcmFormat format_;
    std::size_t frames_;
    std::size_t at_ = 0;
    std::function<float(std::size_t)> value_;
    codec::TrackTags tags_;
    std::string error_;
};

inline std::unique_ptr<FakeDecoder> fake_decoder(
    codec::PcmFormat format, std::size_t frames,
    std::function<float(std::size_t)> value = [](std::size_t) { return 0.5F; }) {
    return std::make_unique<FakeDecoder>(format, frames, std::move(value));
}

} // namespace tinyice::autodj::test
