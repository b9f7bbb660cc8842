#pragma once
// Internal to src/autodj: how a station describes its stream when it claims its mount, the way
// an encoder does with its ice-*/icy-* request headers: the same SourceInfo fields and the same
// listener headers the server derives for a real encoder (protocol/icecast/SourceHeaders.cpp),
// so players cannot tell an AutoDJ mount from a live one.

#include "autodj/Station.hpp"
#include "core/SourceInfo.hpp"

#include <string>

namespace tinyice::autodj {

// `content_type` from the encoder; `sample_rate` the rate of the encoded stream.
[[nodiscard]] core::SourceInfo make_source_info(const StationSettings& settings,
                                                const std::string& content_type, int sample_rate);

} // namespace tinyice::autodj
