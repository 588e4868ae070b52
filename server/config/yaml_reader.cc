#include "config/yaml_reader.h"

#include <exception>
#include <sstream>
#include <string>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/eventhandler.h"

namespace tokend::config {
namespace {

// Parser events, ignored: for counting documents without building them.
class IgnoreEvents final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

absl::string_view KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing (null)";
}

absl::StatusOr<std::string> AsString(const YAML::Node& node, absl::string_view path) {
  if (!node.IsScalar()) return WrongType(path, "a string", node);
  return node.Scalar();
}

absl::Status ParseDurationText(absl::string_view path, absl::string_view text,
                               absl::Duration* out) {
  if (text == "0") {
    *out = absl::ZeroDuration();
    return absl::OkStatus();
  }
  if (absl::StartsWith(text, "-")) {
    return Error(path, absl::StrCat("must not be negative: ", Quote(text)));
  }
  bool bare_number = !text.empty();
  for (char c : text) bare_number = bare_number && (absl::ascii_isdigit(c) || c == '.');
  if (bare_number) {
    return Error(path, absl::StrCat("not a duration: ", Quote(text),
                                    " (a unit is required: ms, s, m or h)"));
  }
  absl::Duration value;
  if (text.empty() || !absl::ascii_isdigit(text[0]) || !absl::ParseDuration(text, &value) ||
      value == absl::InfiniteDuration()) {
    return Error(path, absl::StrCat("not a duration: ", Quote(text)));
  }
  *out = value;
  return absl::OkStatus();
}

}  // namespace

absl::Status Error(absl::string_view path, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

std::string Quote(absl::string_view value) {
  constexpr size_t kMax = 80;
  bool cut = value.size() > kMax;
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, kMax)), cut ? "...\"" : "\"");
}

std::string Element(absl::string_view path, size_t index) {
  return absl::StrCat(path, "[", index, "]");
}

absl::Status WrongType(absl::string_view path, absl::string_view expected, const YAML::Node& node) {
  return Error(path, absl::StrCat("expected ", expected, ", got ", KindOf(node)));
}

absl::StatusOr<YAML::Node> ReadDocument(absl::string_view yaml_text) {
  const std::string text(yaml_text);
  YAML::Node first;
  int documents = 0;
  try {
    first = YAML::Load(text);
    // Why not YAML::LoadAll: on some malformed files (a stray ",") yaml-cpp
    // 0.7 reads empty documents without end, each one allocated, so LoadAll
    // never returns. Only whether there is a second one matters here.
    std::istringstream input(text);
    YAML::Parser parser(input);
    IgnoreEvents ignore;
    while (documents < 2 && parser.HandleNextDocument(ignore)) ++documents;
  } catch (const YAML::Exception& e) {
    // yaml-cpp counts lines and columns from 0. Its message may quote a byte
    // of the file as it is (a CR, a terminal escape): escaped, it stays one
    // printable line.
    return Error(kRootPath, absl::StrCat("yaml syntax error at line ", e.mark.line + 1, ", column ",
                                         e.mark.column + 1, ": ", absl::CHexEscape(e.msg)));
  } catch (const std::exception& e) {
    return Error(kRootPath, absl::StrCat("yaml error: ", absl::CHexEscape(e.what())));
  }
  if (first.IsNull()) return Error(kRootPath, "the file is empty");
  if (documents > 1) return Error(kRootPath, "more than one yaml document");
  return first;
}

absl::StatusOr<Mapping> Mapping::Read(const YAML::Node& node, std::string path,
                                      std::initializer_list<absl::string_view> allowed) {
  if (!node.IsMap()) return WrongType(path.empty() ? kRootPath : path, "a mapping", node);
  Mapping mapping;
  mapping.path_ = std::move(path);
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      return Error(mapping.path_.empty() ? kRootPath : mapping.path_,
                   "every key must be a plain string");
    }
    const std::string& key = it->first.Scalar();
    // Escaped: a quoted YAML key may hold a newline.
    std::string key_path = mapping.PathOf(absl::CHexEscape(key));
    bool known = false;
    for (absl::string_view name : allowed) known = known || name == key;
    if (!known) return Error(key_path, "unknown key");
    if (!mapping.values_.emplace(key, it->second).second) return Error(key_path, "duplicate key");
  }
  return mapping;
}

const YAML::Node* Mapping::Find(absl::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

std::string Mapping::PathOf(absl::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
}

absl::Status GetString(const Mapping& mapping, absl::string_view key, std::string* out) {
  const YAML::Node* node = mapping.Find(key);
  if (node == nullptr) return absl::OkStatus();
  absl::StatusOr<std::string> value = AsString(*node, mapping.PathOf(key));
  if (!value.ok()) return value.status();
  *out = *std::move(value);
  return absl::OkStatus();
}

namespace {

// Calls `parse` with the key's path and text when `key` holds a scalar; OK
// without calling it when the key is absent; WrongType naming `expected`
// when the value is not a scalar.
absl::Status WithScalar(
    const Mapping& mapping, absl::string_view key, absl::string_view expected,
    absl::FunctionRef<absl::Status(const std::string& path, const std::string& text)> parse) {
  const YAML::Node* node = mapping.Find(key);
  if (node == nullptr) return absl::OkStatus();
  const std::string path = mapping.PathOf(key);
  if (!node->IsScalar()) return WrongType(path, expected, *node);
  return parse(path, node->Scalar());
}

}  // namespace

absl::Status GetBool(const Mapping& mapping, absl::string_view key, bool* out) {
  return WithScalar(
      mapping, key, "true or false", [&](const std::string& path, const std::string& text) {
        if (text == "true" || text == "True" || text == "TRUE") {
          *out = true;
        } else if (text == "false" || text == "False" || text == "FALSE") {
          *out = false;
        } else {
          return Error(path, absl::StrCat("not a boolean: ", Quote(text), " (use true or false)"));
        }
        return absl::OkStatus();
      });
}

absl::Status GetInt(const Mapping& mapping, absl::string_view key, int* out) {
  return WithScalar(
      mapping, key, "an integer", [&](const std::string& path, const std::string& text) {
        bool digits = !text.empty();
        for (size_t i = 0; i < text.size(); ++i) {
          digits = digits && (absl::ascii_isdigit(text[i]) || (i == 0 && text[i] == '-'));
        }
        int value = 0;
        if (!digits || !absl::SimpleAtoi(text, &value)) {
          return Error(path, absl::StrCat("not an integer: ", Quote(text)));
        }
        *out = value;
        return absl::OkStatus();
      });
}

absl::Status GetDuration(const Mapping& mapping, absl::string_view key, absl::Duration* out) {
  return WithScalar(mapping, key, "a duration",
                    [&](const std::string& path, const std::string& text) {
                      return ParseDurationText(path, text, out);
                    });
}

absl::Status GetStringList(const Mapping& mapping, absl::string_view key,
                           std::vector<std::string>* out) {
  const YAML::Node* node = mapping.Find(key);
  if (node == nullptr) return absl::OkStatus();
  std::string path = mapping.PathOf(key);
  if (!node->IsSequence()) return WrongType(path, "a list", *node);
  out->clear();
  for (size_t i = 0; i < node->size(); ++i) {
    std::string item_path = Element(path, i);
    absl::StatusOr<std::string> item = AsString((*node)[i], item_path);
    if (!item.ok()) return item.status();
    if (item->empty()) return Error(item_path, "must not be empty");
    out->push_back(*std::move(item));
  }
  return absl::OkStatus();
}

absl::Status Require(const Mapping& mapping, absl::string_view key, const std::string& value) {
  if (!value.empty()) return absl::OkStatus();
  return Error(mapping.PathOf(key),
               mapping.Find(key) == nullptr ? "required key is missing" : "must not be empty");
}

}  // namespace tokend::config
