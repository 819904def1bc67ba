#pragma once
// Maps a FREG person document ("Folkeregisterperson", JSON shape of the
// offentlig-med-hjemmel API) to a core::Person, validating as it goes. The
// document arrives as a FlatDoc: from JSON (FlatDocBuilder) or from XML
// (the reader's libxml2 walk), so both formats share one set of rules.
//
// From each historised element the current entry (erGjeldende) is used.
// Required: identifikasjonsnummer (a valid fødselsnummer or D-nummer),
// status, foedsel (foedselsdato or foedselsaar) and navn (fornavn, etternavn).
// Unknown code values are errors, so a new register code is noticed rather
// than misread.

#include <string>

#include <boost/json/basic_parser.hpp>
#include <tl/expected.hpp>

#include "connectors/register/flat_doc.h"
#include "engine/core/national_id.h"
#include "engine/core/person.h"

namespace enrol::freg {

struct MapError {
  std::string field;    // e.g. "bostedsadresse[0].vegadresse.kommunenummer"
  std::string message;  // without personal data
};

// Maps the person document at `node` of `doc`.
tl::expected<core::Person, MapError> MapFregPerson(const FlatDoc& doc, int node,
                                                   const core::NationalIdOptions& ids);

// Boost.JSON tokenizer handler that builds a FlatDoc. Strings are checked
// as they stream (CheckText): one longer than the schema allows is dropped
// after kMaxTextBytes, so a huge value costs time, not memory.
struct FlatDocBuilder {
  static constexpr std::size_t max_object_size = 1 << 20;
  static constexpr std::size_t max_array_size = 1 << 20;
  static constexpr std::size_t max_key_size = 256;
  static constexpr std::size_t max_string_size = std::size_t(1) << 40;  // bounded here, not by the parser
  static constexpr std::size_t kMaxNumberBytes = 40;
  using ec_t = boost::system::error_code;

  FlatDoc* doc = nullptr;

  void Reset() {
    doc->Clear(/*json=*/true);
    key_off_ = key_len_ = 0;
    key_open_ = text_open_ = too_long_ = false;
  }

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_object_begin(ec_t&) { return Begin(FlatDoc::Kind::kObject); }
  bool on_object_end(std::size_t, ec_t&) {
    doc->End();
    return true;
  }
  bool on_array_begin(ec_t&) { return Begin(FlatDoc::Kind::kArray); }
  bool on_array_end(std::size_t, ec_t&) {
    doc->End();
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, ec_t&) {
    if (!key_open_) {
      key_off_ = doc->ArenaSize();
      key_open_ = true;
    }
    doc->AppendText(std::string_view(s.data(), s.size()));
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t n, ec_t& ec) {
    on_key_part(s, n, ec);
    key_len_ = doc->ArenaSize() - key_off_;
    key_open_ = false;
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, ec_t&) {
    Part(s, kMaxTextBytes);
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, ec_t&) {
    return Finish(FlatDoc::Kind::kString, s, kMaxTextBytes);
  }
  bool on_number_part(boost::json::string_view s, ec_t&) {
    Part(s, kMaxNumberBytes);
    return true;
  }
  bool on_int64(std::int64_t, boost::json::string_view s, ec_t&) {
    return Finish(FlatDoc::Kind::kNumber, s, kMaxNumberBytes);
  }
  bool on_uint64(std::uint64_t, boost::json::string_view s, ec_t&) {
    return Finish(FlatDoc::Kind::kNumber, s, kMaxNumberBytes);
  }
  bool on_double(double, boost::json::string_view s, ec_t&) {
    return Finish(FlatDoc::Kind::kNumber, s, kMaxNumberBytes);
  }
  bool on_bool(bool b, ec_t&) { return Finish(FlatDoc::Kind::kBool, b ? "true" : "false", 8); }
  bool on_null(ec_t&) { return Finish(FlatDoc::Kind::kNull, "", 8); }
  bool on_comment_part(boost::json::string_view, ec_t&) { return true; }
  bool on_comment(boost::json::string_view, ec_t&) { return true; }

 private:
  bool Begin(FlatDoc::Kind kind) {
    doc->Begin(kind, key_off_, key_len_);
    key_len_ = 0;
    return true;
  }
  void Part(boost::json::string_view s, std::size_t cap) {
    if (!text_open_) {
      text_off_ = doc->ArenaSize();
      text_open_ = true;
      too_long_ = false;
    }
    if (too_long_) return;
    if (doc->ArenaSize() - text_off_ + s.size() > cap) {
      too_long_ = true;
      doc->TruncateArena(text_off_);
      return;
    }
    doc->AppendText(std::string_view(s.data(), s.size()));
  }
  bool Finish(FlatDoc::Kind kind, boost::json::string_view s, std::size_t cap) {
    Part(s, cap);
    std::string_view problem;
    if (too_long_) {
      problem = kind == FlatDoc::Kind::kString ? "longer than 4,000 characters" : "a number too long to be valid";
    } else if (kind == FlatDoc::Kind::kString) {
      problem = CheckText(ArenaView(text_off_, doc->ArenaSize() - text_off_));
    }
    if (!problem.empty()) {
      doc->SetProblem(ArenaView(key_off_, key_len_), problem);
      doc->TruncateArena(text_off_);
    }
    doc->Scalar(kind, key_off_, key_len_, text_off_, doc->ArenaSize() - text_off_);
    text_open_ = too_long_ = false;
    key_len_ = 0;
    return true;
  }
  std::string_view ArenaView(uint32_t off, uint32_t len) const { return doc->ArenaText(off, len); }

  uint32_t key_off_ = 0, key_len_ = 0, text_off_ = 0;
  bool key_open_ = false, text_open_ = false, too_long_ = false;
};

}  // namespace enrol::freg
