#ifndef TOKEND_SERVER_CONFIG_YAML_READER_H_
#define TOKEND_SERVER_CONFIG_YAML_READER_H_

// Internal to config/: typed reads of a yaml-cpp document. Knows no key of
// tokend's schema (config.cc does). Every failure is INVALID_ARGUMENT with a
// one-line, lower-case message that starts with the key path, e.g.
// `callers[1].max_ttl: not a duration: "abc"`; the root is called "config".

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

namespace tokend::config {

// The path of the document itself in messages.
inline constexpr absl::string_view kRootPath = "config";

// INVALID_ARGUMENT "<path>: <message>".
absl::Status Error(absl::string_view path, absl::string_view message);

// `value` for a message: in double quotes, C-escaped (so no control character
// can break the one-line rule) and cut after 80 bytes.
std::string Quote(absl::string_view value);

// "<path>[<index>]".
std::string Element(absl::string_view path, size_t index);

// "<path>: expected <expected>, got a list" (or a scalar, a mapping, nothing).
absl::Status WrongType(absl::string_view path, absl::string_view expected, const YAML::Node& node);

// The one document of `yaml_text`. Errors at kRootPath: a syntax error (with
// its 1-based line and column), no document or only a null one ("the file is
// empty"), more than one document. Never throws.
absl::StatusOr<YAML::Node> ReadDocument(absl::string_view yaml_text);

// A mapping whose keys come from a fixed set.
class Mapping {
 public:
  // `path` is the mapping's key path, "" for the document. Errors when `node`
  // is not a mapping, a key is not a scalar, or a key is not in `allowed`
  // ("<path>.<key>: unknown key") or repeated ("...: duplicate key").
  static absl::StatusOr<Mapping> Read(const YAML::Node& node, std::string path,
                                      std::initializer_list<absl::string_view> allowed);

  // The value under `key`, or nullptr when the key is absent.
  const YAML::Node* Find(absl::string_view key) const;

  // The key path of `key` in this mapping, e.g. "tls.cert_file".
  std::string PathOf(absl::string_view key) const;

 private:
  std::string path_;
  absl::flat_hash_map<std::string, YAML::Node> values_;
};

// Typed values of one key. Each leaves *out unchanged when the key is absent,
// and fails naming the key when the value has the wrong type or form.

// Any scalar, as written.
absl::Status GetString(const Mapping& mapping, absl::string_view key, std::string* out);

// true or false in any of YAML 1.2's spellings (true, True, TRUE); YAML 1.1's
// yes/no/on/off are errors, so that a typo cannot flip a setting.
absl::Status GetBool(const Mapping& mapping, absl::string_view key, bool* out);

// A decimal int, optionally negative; "8.5" and "0x10" are errors.
absl::Status GetInt(const Mapping& mapping, absl::string_view key, int* out);

// absl::ParseDuration's forms with a unit (300ms, 90s, 15m, 1h, 1h30m, 1.5h);
// a bare number only as "0"; never negative or infinite.
absl::Status GetDuration(const Mapping& mapping, absl::string_view key, absl::Duration* out);

// A list of non-empty strings; replaces *out.
absl::Status GetStringList(const Mapping& mapping, absl::string_view key,
                           std::vector<std::string>* out);

// OK when `value` (read from `key`) is not empty; otherwise tells an absent
// key ("required key is missing") from an empty one ("must not be empty").
absl::Status Require(const Mapping& mapping, absl::string_view key, const std::string& value);

}  // namespace tokend::config

#endif  // TOKEND_SERVER_CONFIG_YAML_READER_H_
