#include "security/Tokens.hpp"

#include <climits>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace tinyice::security {

namespace {

constexpr std::string_view base64url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(const unsigned char* data, std::size_t size) {
    std::string out;
    out.reserve((size * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const unsigned v = (unsigned{data[i]} << 16U) | (unsigned{data[i + 1]} << 8U) | data[i + 2];
        out += base64url_alphabet[(v >> 18U) & 63U];
        out += base64url_alphabet[(v >> 12U) & 63U];
        out += base64url_alphabet[(v >> 6U) & 63U];
        out += base64url_alphabet[v & 63U];
    }
    const std::size_t left = size - i;
    if (left > 0) {
        const unsigned v =
            (unsigned{data[i]} << 16U) | (left == 2 ? unsigned{data[i + 1]} << 8U : 0U);
        out += base64url_alphabet[(v >> 18U) & 63U];
        out += base64url_alphabet[(v >> 12U) & 63U];
        if (left == 2) {
            out += base64url_alphabet[(v >> 6U) & 63U];
        }
    }
    return out;
}

} // namespace

std::string random_token(std::size_t bytes) {
    if (bytes == 0) {
        return {};
    }
    if (bytes > INT_MAX) {
        throw std::runtime_error("random_token: too many bytes requested");
    }
    std::vector<unsigned char> raw(bytes);
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
        throw std::runtime_error("random_token: RAND_bytes failed");
    }
    std::string token = base64url_encode(raw.data(), raw.size());
    OPENSSL_cleanse(raw.data(), raw.size());
    return token;
}

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        // Only an allocation failure inside OpenSSL gets here.
        throw std::runtime_error("sha256: EVP_Digest failed");
    }
    static constexpr std::string_view hex = "0123456789abcdef";
    std::string out;
    out.reserve(std::size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4U];
        out += hex[digest[i] & 0x0fU];
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace tinyice::security
