#include "json/strict_json.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"

namespace tokend::json {
namespace {

using Json = nlohmann::json;

enum class Failure { kNone, kSyntax, kDuplicate, kTooDeep, kRange };

// Builds the DOM like nlohmann's own SAX DOM builder, and refuses a member
// name the object being built already has. Returning false stops the parse.
class StrictDomBuilder final : public nlohmann::json_sax<Json> {
 public:
  explicit StrictDomBuilder(Json* root) : root_(root) {}

  Failure failure() const { return failure_; }

  bool null() override { return Put(nullptr) != nullptr; }
  bool boolean(bool value) override { return Put(value) != nullptr; }
  bool number_integer(number_integer_t value) override { return Put(value) != nullptr; }
  bool number_unsigned(number_unsigned_t value) override { return Put(value) != nullptr; }
  bool number_float(number_float_t value, const string_t& /*text*/) override {
    if (!std::isfinite(value)) return Fail(Failure::kRange);
    return Put(value) != nullptr;
  }
  bool string(string_t& value) override { return Put(std::move(value)) != nullptr; }
  bool binary(binary_t& /*value*/) override { return Fail(Failure::kSyntax); }

  bool start_object(std::size_t /*elements*/) override { return Open(Json::object()); }
  bool key(string_t& name) override {
    Json::object_t& object = stack_.back()->get_ref<Json::object_t&>();
    if (object.find(name) != object.end()) return Fail(Failure::kDuplicate);
    key_ = std::move(name);
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }

  bool start_array(std::size_t /*elements*/) override { return Open(Json::array()); }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& /*ex*/) override {
    return Fail(Failure::kSyntax);
  }

 private:
  bool Fail(Failure failure) {
    if (failure_ == Failure::kNone) failure_ = failure;
    return false;
  }

  bool Open(Json container) {
    if (stack_.size() >= kMaxJsonDepth) return Fail(Failure::kTooDeep);
    Json* placed = Put(std::move(container));
    if (placed == nullptr) return false;
    stack_.push_back(placed);
    return true;
  }

  // Places `value` where the parse is: the root, the end of the open array,
  // or under the pending key of the open object. Pointers on stack_ stay
  // valid: only the innermost open container ever grows.
  Json* Put(Json value) {
    if (stack_.empty()) {
      *root_ = std::move(value);
      return root_;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      Json::array_t& array = parent.get_ref<Json::array_t&>();
      array.push_back(std::move(value));
      return &array.back();
    }
    auto [it, inserted] =
        parent.get_ref<Json::object_t&>().emplace(std::move(key_), std::move(value));
    if (!inserted) {  // cannot happen after key(), but never overwrite
      Fail(Failure::kDuplicate);
      return nullptr;
    }
    return &it->second;
  }

  Json* root_;
  std::vector<Json*> stack_;
  std::string key_;
  Failure failure_ = Failure::kNone;
};

}  // namespace

absl::Status ParseStrictJson(absl::string_view text, nlohmann::json* out) {
  // nlohmann skips a UTF-8 byte-order mark; RFC 8259 section 8.1 forbids
  // sending one, and tokend's own JSON never has one.
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) {
    return absl::InvalidArgumentError("not valid JSON");
  }
  StrictDomBuilder builder(out);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.data(), text.data() + text.size(), &builder,
                         Json::input_format_t::json, /*strict=*/true,
                         /*ignore_comments=*/false);
  } catch (const std::exception&) {  // bad_alloc; the SAX path reports, not throws
    ok = false;
  }
  if (ok && builder.failure() == Failure::kNone) return absl::OkStatus();
  switch (builder.failure()) {
    case Failure::kDuplicate:
      return absl::InvalidArgumentError("duplicate member name");
    case Failure::kTooDeep:
      return absl::InvalidArgumentError("nested too deeply");
    case Failure::kRange:
      return absl::InvalidArgumentError("number out of range");
    case Failure::kNone:
    case Failure::kSyntax:
      break;
  }
  return absl::InvalidArgumentError("not valid JSON");
}

}  // namespace tokend::json
