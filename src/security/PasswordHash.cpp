#include "security/PasswordHash.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <crypt.h>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace tinyice::security {

namespace {

// libxcrypt wants 16 random bytes for a yescrypt salt; more are accepted but add nothing.
constexpr int salt_bytes = 16;

constexpr std::array<std::string_view, 8> hash_prefixes{"$y$",  "$gy$", "$7$", "$2a$",
                                                        "$2b$", "$2y$", "$6$", "$5$"};

// struct crypt_data is 32 KiB: too big for the stack of a coroutine or a thread pool worker, so
// it lives on the heap. The passphrase and setting are copied into its own `input` and
// `setting` fields (as crypt(3) recommends) so that one cleanse on destruction erases every copy
// of the plain-text password we made.
class CryptScratch {
public:
    CryptScratch() : data_(std::make_unique<crypt_data>()) {}
    CryptScratch(const CryptScratch&) = delete;
    CryptScratch& operator=(const CryptScratch&) = delete;
    CryptScratch(CryptScratch&&) = delete;
    CryptScratch& operator=(CryptScratch&&) = delete;
    ~CryptScratch() { OPENSSL_cleanse(data_.get(), sizeof(crypt_data)); }

    // False when the passphrase cannot be passed to crypt (NUL inside, or too long).
    bool set_input(std::string_view password) {
        return copy_c_string(password, data_->input, sizeof(data_->input));
    }
    bool set_setting(std::string_view setting) {
        return copy_c_string(setting, data_->setting, sizeof(data_->setting));
    }
    char* setting_buffer() { return data_->setting; }
    static constexpr int setting_capacity = sizeof(crypt_data::setting);

    // Hashes input with setting; nullptr on failure (libxcrypt signals it with a leading '*').
    const char* run() {
        const char* out = crypt_r(data_->input, data_->setting, data_.get());
        if (out == nullptr || out[0] == '*' || out[0] == '\0') {
            return nullptr;
        }
        return out;
    }

private:
    // A NUL inside would silently truncate the C string, so such input is refused instead.
    static bool copy_c_string(std::string_view s, char* dst, std::size_t capacity) {
        if (s.size() >= capacity || s.find('\0') != std::string_view::npos) {
            return false;
        }
        std::memcpy(dst, s.data(), s.size());
        dst[s.size()] = '\0';
        return true;
    }

    std::unique_ptr<crypt_data> data_; // value-initialised: zeroed, as crypt_r requires
};

bool is_crypt_alphabet(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '/' || c == '$' || c == '=';
}

} // namespace

std::string hash_password(std::string_view password) {
    CryptScratch scratch;
    if (!scratch.set_input(password)) {
        throw std::runtime_error(
            "password cannot be hashed: it contains a NUL byte or is longer than 511 bytes");
    }
    std::array<unsigned char, salt_bytes> salt{};
    if (RAND_bytes(salt.data(), salt_bytes) != 1) {
        throw std::runtime_error("password hashing: RAND_bytes failed");
    }
    // Count 0 selects libxcrypt's default yescrypt cost, which tracks current hardware advice.
    const char* setting =
        crypt_gensalt_rn("$y$", 0, reinterpret_cast<const char*>(salt.data()), salt_bytes,
                         scratch.setting_buffer(), CryptScratch::setting_capacity);
    OPENSSL_cleanse(salt.data(), salt.size());
    if (setting == nullptr) {
        throw std::runtime_error("password hashing: crypt_gensalt_rn failed for yescrypt");
    }
    const char* hashed = scratch.run();
    if (hashed == nullptr) {
        throw std::runtime_error("password hashing: crypt_r failed for yescrypt");
    }
    return hashed;
}

bool verify_password(std::string_view password, std::string_view stored_hash) {
    // '*' is how crypt marks a failed or deliberately locked hash; it must never verify.
    if (stored_hash.empty() || stored_hash.front() == '*') {
        return false;
    }
    CryptScratch scratch;
    if (!scratch.set_input(password) || !scratch.set_setting(stored_hash)) {
        return false;
    }
    const char* computed = scratch.run();
    if (computed == nullptr) {
        return false;
    }
    // The length of a hash is public (it follows from the scheme), so only the bytes need a
    // constant-time comparison.
    const std::size_t computed_len = std::strlen(computed);
    return computed_len == stored_hash.size() &&
           CRYPTO_memcmp(computed, stored_hash.data(), computed_len) == 0;
}

bool looks_like_hash(std::string_view s) {
    for (std::string_view prefix : hash_prefixes) {
        if (s.size() > prefix.size() && s.starts_with(prefix)) {
            const std::string_view rest = s.substr(prefix.size());
            return std::all_of(rest.begin(), rest.end(), is_crypt_alphabet);
        }
    }
    return false;
}

std::string generate_password(std::size_t chars) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // Bytes at or above the largest multiple of 62 are dropped, so every character is equally
    // likely (a plain `byte % 62` would favour the first 8 characters).
    constexpr unsigned limit = 256 - (256 % alphabet.size());

    std::string out;
    out.reserve(chars);
    std::array<unsigned char, 64> pool{};
    while (out.size() < chars) {
        if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1) {
            OPENSSL_cleanse(out.data(), out.size());
            throw std::runtime_error("password generation: RAND_bytes failed");
        }
        for (unsigned char byte : pool) {
            if (out.size() == chars) {
                break;
            }
            if (byte < limit) {
                out.push_back(alphabet[byte % alphabet.size()]);
            }
        }
    }
    OPENSSL_cleanse(pool.data(), pool.size());
    return out;
}

} // namespace tinyice::security
