#pragma once
// SHA-256 (OpenSSL libcrypto, EVP API) as lowercase hex. Thread-safe.

#include <string>
#include <string_view>

namespace glasswing::studies {

std::string sha256_hex(std::string_view data);

}  // namespace glasswing::studies
