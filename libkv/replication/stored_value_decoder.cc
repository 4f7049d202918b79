#include "libkv/replication/stored_value_decoder.h"

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <string>

#include "libkv/base/human_text.h"
#include "libkv/base/json.h"
#include "libkv/replication/hint_format.h"
#include "libkv/replication/hint_store.h"
#include "libkv/versioning/sibling_set_dump.h"

namespace kv {
namespace {

constexpr std::string_view kIndent = "    ";

// The values that did not decode: how many, and the first one's error.
class Undecodable {
 public:
  void Add(std::string_view key, const Status& s) {
    if (count_++ == 0) first_ = fmt::format("{}: {}", QuoteBytes(key), s.message());
  }
  uint64_t count() const { return count_; }
  Status ToStatus(std::string_view what) const {
    if (count_ == 0) return Status::Ok();
    return Status::Corruption(fmt::format(
        "{} value{} did not decode as {} (the first, key {}); is this a kv node's table?", count_,
        count_ == 1 ? "" : "s", what, first_));
  }

 private:
  uint64_t count_ = 0;
  std::string first_;
};

void AppendUndecodableText(std::string_view value, const Status& s, std::string* out) {
  out->append(fmt::format("{}undecodable ({}): {} bytes {}\n", kIndent, s.message(), value.size(),
                          QuoteBytes(value)));
}

void AddUndecodableJson(std::string_view value, const Status& s, boost::json::object& entry) {
  json::PutBytes(entry, "value", value);
  entry["undecodable"] = json::TextOr(s.message(), QuoteBytes(s.message()));
}

class SiblingSetDecoder : public TableValueDecoder {
 public:
  std::string_view What() const override { return "sibling sets"; }

  void AppendText(std::string_view key, std::string_view value, std::string* out) override {
    if (std::optional<SiblingSet> set = Decode(key, value)) {
      AppendSiblingSetText(*set, kIndent, out);
    } else {
      AppendUndecodableText(value, last_error_, out);
    }
  }

  void AddJson(std::string_view key, std::string_view value, boost::json::object& entry) override {
    if (std::optional<SiblingSet> set = Decode(key, value)) {
      entry["siblings"] = SiblingSetJson(*set);
    } else {
      AddUndecodableJson(value, last_error_, entry);
    }
  }

  std::string SummaryText() const override {
    return counts_.ToText() + UndecodableText(undecodable_.count());
  }
  boost::json::object SummaryJson() const override {
    boost::json::object summary = counts_.ToJson();
    summary["undecodable"] = undecodable_.count();
    return summary;
  }
  Status Finish() const override { return undecodable_.ToStatus(What()); }

  static std::string UndecodableText(uint64_t n) {
    return n == 0 ? "" : fmt::format(", {} undecodable", n);
  }

 private:
  std::optional<SiblingSet> Decode(std::string_view key, std::string_view value) {
    Result<SiblingSet> set = SiblingSet::Decode(value);
    if (!set.ok()) {
      undecodable_.Add(key, set.status());
      last_error_ = set.status();
      return std::nullopt;
    }
    counts_.Add(*set);
    return std::move(*set);
  }

  SiblingSetCounts counts_;
  Undecodable undecodable_;
  Status last_error_;
};

class HintRecordDecoder : public TableValueDecoder {
 public:
  std::string_view What() const override { return "hint records"; }

  void AppendText(std::string_view key, std::string_view value, std::string* out) override {
    std::optional<Decoded> d = Decode(key, value);
    if (!d) {
      AppendUndecodableText(value, last_error_, out);
      return;
    }
    out->append(fmt::format("{}hint #{} for node {}, stored at {}, key {}\n", kIndent,
                            d->hint.sequence, QuoteBytes(d->hint.target),
                            FormatUtcMicros(d->hint.created_micros), QuoteBytes(d->hint.key)));
    AppendSiblingSetText(d->set, std::string(kIndent) + "  ", out);
  }

  void AddJson(std::string_view key, std::string_view value, boost::json::object& entry) override {
    std::optional<Decoded> d = Decode(key, value);
    if (!d) {
      AddUndecodableJson(value, last_error_, entry);
      return;
    }
    boost::json::object hint;
    json::PutBytes(hint, "target", d->hint.target);
    hint["sequence"] = d->hint.sequence;
    hint["created_micros"] = d->hint.created_micros;
    json::PutBytes(hint, "key", d->hint.key);
    hint["siblings"] = SiblingSetJson(d->set);
    entry["hint"] = std::move(hint);
  }

  std::string SummaryText() const override {
    return fmt::format("{} hints, holding {}{}", hints_, counts_.ToText(),
                       SiblingSetDecoder::UndecodableText(undecodable_.count()));
  }
  boost::json::object SummaryJson() const override {
    boost::json::object summary = counts_.ToJson();
    summary["hints"] = hints_;
    summary["undecodable"] = undecodable_.count();
    return summary;
  }
  Status Finish() const override { return undecodable_.ToStatus(What()); }

 private:
  struct Decoded {
    Hint hint;
    SiblingSet set;
  };

  std::optional<Decoded> Decode(std::string_view key, std::string_view value) {
    Result<Hint> hint = DecodeHint(key, value);
    if (!hint.ok()) return Fail(key, hint.status());
    Result<SiblingSet> set = SiblingSet::Decode(hint->siblings);
    if (!set.ok()) return Fail(key, set.status().WithContext("its sibling set"));
    ++hints_;
    counts_.Add(*set);
    return Decoded{std::move(*hint), std::move(*set)};
  }
  std::nullopt_t Fail(std::string_view key, const Status& s) {
    undecodable_.Add(key, s);
    last_error_ = s;
    return std::nullopt;
  }

  uint64_t hints_ = 0;
  SiblingSetCounts counts_;
  Undecodable undecodable_;
  Status last_error_;
};

}  // namespace

std::unique_ptr<TableValueDecoder> MakeSiblingSetDecoder() {
  return std::make_unique<SiblingSetDecoder>();
}

std::unique_ptr<TableValueDecoder> MakeHintRecordDecoder() {
  return std::make_unique<HintRecordDecoder>();
}

std::unique_ptr<TableValueDecoder> MakeStoredValueDecoder(std::string_view path) {
  const std::filesystem::path p(path);
  if (p.parent_path().filename() == kHintDirName) return MakeHintRecordDecoder();
  return MakeSiblingSetDecoder();
}

}  // namespace kv
