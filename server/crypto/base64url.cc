#include "crypto/base64url.h"

#include <array>
#include <cstdint>

namespace tokend::crypto {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr uint8_t kInvalid = 0xff;

// Reverse table of the base64url alphabet; every other byte (including '=',
// '+', '/', whitespace and NUL) maps to kInvalid.
constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = i;
  return table;
}

constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

std::string Base64UrlEncode(absl::string_view bytes) {
  std::string out;
  out.resize((bytes.size() * 4 + 2) / 3);
  const auto* in = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t i = 0;
  char* dst = out.data();  // see Base64UrlDecode
  size_t o = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    dst[o++] = kAlphabet[(v >> 18) & 63];
    dst[o++] = kAlphabet[(v >> 12) & 63];
    dst[o++] = kAlphabet[(v >> 6) & 63];
    dst[o++] = kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{in[i]} << 16;
    dst[o++] = kAlphabet[(v >> 18) & 63];
    dst[o++] = kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    dst[o++] = kAlphabet[(v >> 18) & 63];
    dst[o++] = kAlphabet[(v >> 12) & 63];
    dst[o++] = kAlphabet[(v >> 6) & 63];
  }
  return out;
}

bool Base64UrlDecode(absl::string_view text, std::string* out) {
  // A length of 1 mod 4 cannot come from any byte string.
  if (text.size() % 4 == 1) return false;
  out->clear();
  out->resize(text.size() / 4 * 3 + (text.size() % 4 == 0 ? 0 : text.size() % 4 - 1));
  const auto* in = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0;
  // Through a local pointer: a store through (*out)[o] may alias the
  // string's own data pointer, so the compiler reloaded it for every byte.
  char* dst = out->data();
  size_t o = 0;
  for (; i + 4 <= text.size(); i += 4) {
    const uint8_t a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]],
                  d = kDecode[in[i + 3]];
    if ((a | b | c | d) & 0xc0) return false;  // kInvalid has the top bits set
    const uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    dst[o++] = static_cast<char>(v >> 16);
    dst[o++] = static_cast<char>(v >> 8);
    dst[o++] = static_cast<char>(v);
  }
  const size_t rest = text.size() - i;
  if (rest == 2) {
    const uint8_t a = kDecode[in[i]], b = kDecode[in[i + 1]];
    if ((a | b) & 0xc0) return false;
    // Why: the 4 unused low bits must be zero, or several texts would decode
    // to the same bytes (a token could be re-spelled without re-signing).
    if (b & 0x0f) return false;
    dst[o++] = static_cast<char>((a << 2) | (b >> 4));
  } else if (rest == 3) {
    const uint8_t a = kDecode[in[i]], b = kDecode[in[i + 1]], c = kDecode[in[i + 2]];
    if ((a | b | c) & 0xc0) return false;
    if (c & 0x03) return false;  // the 2 unused low bits must be zero, as above
    const uint32_t v = (uint32_t{a} << 10) | (uint32_t{b} << 4) | (c >> 2);
    dst[o++] = static_cast<char>(v >> 8);
    dst[o++] = static_cast<char>(v);
  }
  return true;
}

}  // namespace tokend::crypto
