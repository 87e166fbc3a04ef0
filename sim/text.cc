// SPDX-License-Identifier: Apache-2.0
// Generated ids, hostile strings, slugs and free-form `settings` for the simulator.
#include "sim/text.h"

#include <array>
#include <cstdint>

namespace segsync::sim {
namespace {

constexpr std::string_view kBase58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kAlnum =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kHex = "0123456789abcdef";

std::string RandomFrom(Rng& rng, std::string_view alphabet, size_t length) {
  std::string out(length, ' ');
  for (char& c : out) {
    c = alphabet[rng.Below(alphabet.size())];
  }
  return out;
}

// Each entry is something a real workspace can contain and a careless client mangles.
constexpr std::array<std::string_view, 24> kHostile = {
    "🚀 Launch — prod",
    "日本語のソース（本番）",
    "数据仓库 · 生产",
    "مصدر البيانات الرئيسي",
    "\u202eevil\u202c RTL override",
    "Zalgo Z\u0351\u0357a\u0358l\u0350g\u034fo\u0336",
    "e\u0301 combining vs \u00e9 precomposed",
    "She said \"ship it\"",
    "C:\\Users\\segment\\path\\",
    "line one\nline two\r\nline three",
    "tab\tseparated\tvalue",
    "",
    " ",
    "'; DROP TABLE sources; --",
    "<script>alert('x')</script>",
    "👩‍👩‍👧‍👦 family 🇯🇵 flag 🏳️‍🌈",
    "\u0007bell \u001b[31mescape\u001b[0m",
    "zero\u200bwidth\u200djoiner",
    "null",
    "\\u0000 is not a NUL",
    "Ωmega ≠ omega ≈ ∞",
    "ТЕСТ кириллица",
    "{\"looks\":\"like json\"}",
    "A very long name that keeps going and going so that any column width assumption breaks "
    "long before the end of it, repeated: lorem ipsum dolor sit amet consectetur adipiscing "
    "elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua ut enim ad minim",
};

constexpr std::array<std::string_view, 16> kKeys = {
    "apiKey",     "endpoint",  "region",        "retries",  "mappings",   "options",
    "nested.dot", "",          "ключ",          "emoji_🔑",  "with space", "$ref",
    "__proto__",  "batchSize", "fieldMappings", "Quote\"d",
};

void WriteScalar(JsonWriter& out, Rng& rng) {
  switch (rng.Below(12)) {
    case 0:
      out.String(HostileText(rng));
      break;
    case 1:
      out.String(AlnumId(rng, 32));
      break;
    case 2:
      out.Int(rng.Between(-1000, 1000));
      break;
    case 3:
      out.Raw("9007199254740993");
      break;  // 2^53 + 1: lost by a double
    case 4:
      out.Raw("18446744073709551615");
      break;  // beyond int64
    case 5:
      out.Raw("-9223372036854775808");
      break;
    case 6:
      out.Double(static_cast<double>(rng.Between(0, 99999)) / 1000.0);
      break;
    case 7:
      out.Raw("1.0");
      break;
    case 8:
      out.Raw("1e-7");
      break;
    case 9:
      out.Bool(rng.Chance(0.5));
      break;
    case 10:
      out.Null();
      break;
    default:
      out.String("https://api.example.com/v2/track?key=" + AlnumId(rng, 8));
      break;
  }
}

// Objects nested `depth` levels deep, ending in a scalar.
void WriteChain(JsonWriter& out, Rng& rng, int depth) {
  if (depth == 0) {
    WriteScalar(out, rng);
    return;
  }
  out.BeginObject();
  out.Key("level" + std::to_string(depth));
  WriteChain(out, rng, depth - 1);
  out.EndObject();
}

void WriteValue(JsonWriter& out, Rng& rng, int depth_left) {
  const uint64_t roll = depth_left > 0 ? rng.Below(10) : 9;
  if (roll < 3) {
    WriteFreeFormObject(out, rng, depth_left);
  } else if (roll < 5) {
    out.BeginArray();
    const int64_t n = rng.Between(0, 3);
    for (int64_t i = 0; i < n; ++i) {
      WriteValue(out, rng, depth_left - 1);
    }
    out.EndArray();
  } else {
    WriteScalar(out, rng);
  }
}

}  // namespace

std::string Base58Id(Rng& rng, size_t length) { return RandomFrom(rng, kBase58, length); }
std::string AlnumId(Rng& rng, size_t length) { return RandomFrom(rng, kAlnum, length); }
std::string HexId(Rng& rng, size_t length) { return RandomFrom(rng, kHex, length); }

std::string_view HostileText(Rng& rng) { return rng.Pick(kHostile); }

std::string Decorate(Rng& rng, std::string_view plain, double hostile_share) {
  if (!rng.Chance(hostile_share)) {
    return std::string(plain);
  }
  switch (rng.Below(3)) {
    case 0:
      return std::string(HostileText(rng));
    case 1:
      return std::string(plain) + " " + std::string(HostileText(rng));
    default:
      return std::string(HostileText(rng)) + std::string(plain);
  }
}

std::string Slugify(std::string_view name, std::string_view fallback) {
  std::string slug;
  bool pending_separator = false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    const bool keep = (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || (u >= 'A' && u <= 'Z');
    if (!keep) {
      pending_separator = !slug.empty();
      continue;
    }
    if (pending_separator) {
      slug.push_back('_');
      pending_separator = false;
    }
    slug.push_back(static_cast<char>(u >= 'A' && u <= 'Z' ? u - 'A' + 'a' : u));
  }
  return slug.empty() ? std::string(fallback) : slug;
}

std::string SlugSet::Claim(std::string_view name, std::string_view fallback) {
  const std::string base = Slugify(name, fallback);
  std::string slug = base;
  for (int n = 2; !used_.insert(slug).second; ++n) {
    slug = base + "_" + std::to_string(n);
  }
  return slug;
}

void WriteFreeFormObject(JsonWriter& out, Rng& rng, int max_depth) {
  out.BeginObject();
  const int64_t n = max_depth > 0 ? rng.Between(0, 4) : 0;
  for (int64_t i = 0; i < n; ++i) {
    // Suffix the index so keys stay unique within the object.
    std::string key(rng.Pick(kKeys));
    if (i > 0) {
      key += "_" + std::to_string(i);
    }
    out.Key(key);
    WriteValue(out, rng, max_depth - 1);
  }
  // Random nesting rarely reaches the bottom; some objects go as deep as allowed on purpose.
  if (max_depth >= 4 && rng.Chance(0.1)) {
    out.Key("nested");
    WriteChain(out, rng, max_depth);
  }
  out.EndObject();
}

}  // namespace segsync::sim
