#include "connectors/register/freg_reader.h"

#include <algorithm>
#include <cstring>

#include <boost/json/basic_parser_impl.hpp>
#include <pugixml.hpp>

#include "connectors/register/byte_stream.h"
#include "connectors/register/freg_mapper.h"

namespace enrol::freg {
namespace json = boost::json;
namespace {

int CountLines(std::string_view s) {
  int n = 0;
  const char* p = s.data();
  const char* end = p + s.size();
  while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p))))) {
    ++n;
    ++p;
  }
  return n;
}

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

app::ExtractRecord MapDocument(const FlatDoc& doc, int node, int index, int line,
                               const core::NationalIdOptions& ids) {
  app::ExtractRecord rec;
  rec.index = index;
  rec.line = line;
  auto person = MapFregPerson(doc, node, ids);
  if (person) {
    rec.person = std::move(*person);
  } else {
    rec.field = person.error().field;
    rec.message = person.error().message;
  }
  return rec;
}

// ---------------------------------------------------------------- JSON

// Records are found and parsed in one pass: Boost.JSON's stream parser stops
// at the end of one value, so only the bytes between records (whitespace,
// commas, the array brackets) are scanned here.
class JsonSource final : public app::ExtractSource {
 public:
  JsonSource(std::unique_ptr<ByteStream> s, core::NationalIdOptions ids)
      : s_(std::move(s)), ids_(ids), parser_(json::parse_options()) {
    parser_.handler().doc = &doc_;
  }

  Result<std::optional<app::ExtractRecord>> Next() override;
  std::string Format() const override {
    if (bulk_) return "bulk-json";
    return array_ ? "json" : "ndjson";
  }
  std::string Sha256Hex() const override { return s_->Sha256Hex(); }
  int64_t BytesRead() const override { return s_->BytesRead(); }

 private:
  enum class Mode { kStart, kArray, kObjects, kBulkTail, kDone };

  Error Malformed(const std::string& what) const {
    return Error{ErrorCode::kInvalidArgument, "line " + std::to_string(line_ + 1) + ": " + what};
  }
  void Advance(std::string_view d, size_t n) {
    line_ += CountLines(d.substr(pos_, n));
    pos_ += n;
  }
  // Reads more into the buffer, keeping bytes from `keep` on.
  Result<bool> More(size_t keep) {
    s_->Consume(keep);
    pos_ -= keep;
    return s_->Fill();
  }
  // At a '{' at top level: the bulk response wraps the records in "oppslag".
  Result<bool> OpensBulkResponse();
  Result<std::optional<app::ExtractRecord>> ParseRecord();
  // Skips the members after the bulk response's array, up to its '}'.
  Status SkipBulkTail();

  std::unique_ptr<ByteStream> s_;
  core::NationalIdOptions ids_;
  FlatDoc doc_;
  json::basic_parser<FlatDocBuilder> parser_;
  Mode mode_ = Mode::kStart;
  bool array_ = false;
  bool bulk_ = false;
  size_t pos_ = 0;
  int line_ = 0;  // 0-based line of pos_
  int index_ = 0;
};

Result<bool> JsonSource::OpensBulkResponse() {
  // The first block is in the buffer (1 MiB), far more than the prefix needs.
  std::string_view d = s_->Data();
  size_t i = pos_ + 1;
  while (i < d.size() && IsSpace(d[i])) ++i;
  constexpr std::string_view kKey = "\"oppslag\"";
  if (d.substr(i, kKey.size()) != kKey) return false;
  i += kKey.size();
  while (i < d.size() && IsSpace(d[i])) ++i;
  if (i >= d.size() || d[i] != ':') return false;
  ++i;
  while (i < d.size() && IsSpace(d[i])) ++i;
  if (i >= d.size() || d[i] != '[') {
    return tl::unexpected(Malformed("\"oppslag\" must hold an array of lookups"));
  }
  Advance(d, i + 1 - pos_);
  return true;
}

Status JsonSource::SkipBulkTail() {
  int depth = 1;
  bool in_string = false, escape = false;
  for (;;) {
    std::string_view d = s_->Data();
    for (; pos_ < d.size(); ++pos_) {
      const char c = d[pos_];
      if (c == '\n') ++line_;
      if (in_string) {
        if (escape) escape = false;
        else if (c == '\\') escape = true;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        ++pos_;
        return {};
      }
    }
    ENROL_ASSIGN_OR_RETURN(bool more, More(pos_));
    if (!more) return tl::unexpected(Malformed("the file ends before the bulk response is closed; it is truncated"));
  }
}

Result<std::optional<app::ExtractRecord>> JsonSource::ParseRecord() {
  ++index_;
  const int start_line = line_ + 1;
  parser_.reset();
  parser_.handler().Reset();
  for (;;) {
    std::string_view d = s_->Data();
    boost::system::error_code ec;
    const size_t n = parser_.write_some(true, d.data() + pos_, d.size() - pos_, ec);
    Advance(d, n);
    if (ec) {
      if (mode_ != Mode::kObjects) {
        // Inside an array the next record cannot be found again.
        return tl::unexpected(Error{ErrorCode::kInvalidArgument,
                                    "record " + std::to_string(index_) + " (line " +
                                        std::to_string(start_line) + "): not valid JSON (" +
                                        ec.message() + " at line " + std::to_string(line_ + 1) +
                                        "); the file cannot be read on"});
      }
      // One document per line: report it and go on at the next line.
      app::ExtractRecord rec;
      rec.index = index_;
      rec.line = start_line;
      rec.message = "not valid JSON (" + ec.message() + ")";
      for (;;) {
        d = s_->Data();
        const size_t nl = d.find('\n', pos_);
        if (nl != std::string_view::npos) {
          Advance(d, nl + 1 - pos_);
          break;
        }
        ENROL_ASSIGN_OR_RETURN(bool more, More(pos_));
        if (!more) {
          pos_ = s_->Data().size();
          break;
        }
      }
      return std::optional<app::ExtractRecord>(std::move(rec));
    }
    if (parser_.done()) {
      app::ExtractRecord rec;
      rec.index = index_;
      rec.line = start_line;
      int person = doc_.Root();
      if (bulk_) {
        person = doc_.Find(doc_.Root(), "folkeregisterperson");
        if (person == FlatDoc::kNone || doc_.KindOf(person) != FlatDoc::Kind::kObject) {
          const bool lookup_error = doc_.Find(doc_.Root(), "feilmelding") != FlatDoc::kNone;
          rec.field = lookup_error ? "feilmelding" : "folkeregisterperson";
          rec.message = lookup_error ? "the register could not deliver this person (lookup error)"
                                     : "missing (required)";
          return std::optional<app::ExtractRecord>(std::move(rec));
        }
      }
      return std::optional<app::ExtractRecord>(MapDocument(doc_, person, index_, start_line, ids_));
    }
    ENROL_ASSIGN_OR_RETURN(bool more, More(pos_));
    if (!more) {
      return tl::unexpected(Error{
          ErrorCode::kInvalidArgument,
          "record " + std::to_string(index_) + " (line " + std::to_string(start_line) +
              "): the file ends inside this record; it is truncated"});
    }
  }
}

Result<std::optional<app::ExtractRecord>> JsonSource::Next() {
  for (;;) {
    std::string_view d = s_->Data();
    if (pos_ == 0 && index_ == 0 && mode_ == Mode::kStart && d.substr(0, 3) == "\xEF\xBB\xBF") {
      pos_ = 3;
    }
    while (pos_ < d.size()) {
      const char c = d[pos_];
      if (IsSpace(c)) {
        if (c == '\n') ++line_;
        ++pos_;
        continue;
      }
      switch (mode_) {
        case Mode::kStart:
          if (c == '[') {
            mode_ = Mode::kArray;
            array_ = true;
            ++pos_;
            continue;
          }
          if (c != '{') {
            return tl::unexpected(Malformed(
                "not a FREG JSON extract: expected '[' or '{' or '<' at the start of the file"));
          }
          mode_ = Mode::kObjects;
          {
            ENROL_ASSIGN_OR_RETURN(bool bulk, OpensBulkResponse());
            if (bulk) {
              bulk_ = true;
              mode_ = Mode::kArray;
              d = s_->Data();
              continue;
            }
          }
          return ParseRecord();
        case Mode::kArray:
          if (c == ',') {
            ++pos_;
            continue;
          }
          if (c == ']') {
            ++pos_;
            mode_ = bulk_ ? Mode::kBulkTail : Mode::kDone;
            if (bulk_) {
              ENROL_RETURN_IF_ERROR(SkipBulkTail());
              mode_ = Mode::kDone;
              d = s_->Data();
            }
            continue;
          }
          if (c != '{') {
            return tl::unexpected(Malformed(
                std::string("expected a person document (a JSON object), found '") + c + "'"));
          }
          return ParseRecord();
        case Mode::kObjects:
          if (c != '{') {
            return tl::unexpected(Malformed(
                std::string("expected a person document (a JSON object), found '") + c + "'"));
          }
          return ParseRecord();
        case Mode::kBulkTail:
        case Mode::kDone:
          return tl::unexpected(Malformed("unexpected data after the end of the extract"));
      }
    }
    ENROL_ASSIGN_OR_RETURN(bool more, More(pos_));
    if (more) continue;
    switch (mode_) {
      case Mode::kStart:
        return tl::unexpected(Error{ErrorCode::kInvalidArgument, "the file is empty"});
      case Mode::kArray:
        return tl::unexpected(Malformed(
            "the file ends before the JSON array is closed; it is truncated"));
      default:
        return std::optional<app::ExtractRecord>();
    }
  }
}

// ---------------------------------------------------------------- XML

class XmlSource final : public app::ExtractSource {
 public:
  XmlSource(std::unique_ptr<ByteStream> s, core::NationalIdOptions ids)
      : s_(std::move(s)), ids_(ids) {}
  Result<std::optional<app::ExtractRecord>> Next() override;
  std::string Format() const override { return "xml"; }
  std::string Sha256Hex() const override { return s_->Sha256Hex(); }
  int64_t BytesRead() const override { return s_->BytesRead(); }

 private:
  // Finds `needle` at or after `from` (offsets into Data()), reading more as
  // needed. Bytes before `keep` may be dropped; offsets are shifted. Returns
  // npos at end of file.
  Result<size_t> Find(std::string_view needle, size_t& from, size_t& keep);
  // Finds the '>' that ends the tag starting at `from` (quotes respected).
  Result<size_t> FindTagEnd(size_t& from);
  void CountTo(size_t pos) {
    std::string_view d = s_->Data();
    line_ += CountLines(d.substr(counted_, pos - counted_));
    counted_ = pos;
  }
  void Drop(size_t n) {
    CountTo(n);
    s_->Consume(n);
    counted_ -= n;
  }
  Error Malformed(const std::string& what) const {
    return Error{ErrorCode::kInvalidArgument, "line " + std::to_string(line_ + 1) + ": " + what};
  }

  std::unique_ptr<ByteStream> s_;
  core::NationalIdOptions ids_;
  FlatDoc flat_;
  size_t counted_ = 0;
  int line_ = 0;
  int depth_ = 0;
  bool seen_root_ = false;
  bool done_ = false;
  int index_ = 0;
};

Result<size_t> XmlSource::Find(std::string_view needle, size_t& from, size_t& keep) {
  for (;;) {
    std::string_view d = s_->Data();
    const size_t at = d.find(needle, from);
    if (at != std::string_view::npos) return at;
    from = d.size() >= needle.size() ? d.size() - needle.size() + 1 : 0;
    if (from < keep) from = keep;
    Drop(keep);
    from -= keep;
    keep = 0;
    ENROL_ASSIGN_OR_RETURN(bool more, s_->Fill());
    if (!more) return std::string_view::npos;
  }
}

Result<size_t> XmlSource::FindTagEnd(size_t& from) {
  size_t i = from;
  char quote = 0;
  for (;;) {
    std::string_view d = s_->Data();
    for (; i < d.size(); ++i) {
      const char c = d[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        return i;
      }
    }
    Drop(from);
    i -= from;
    from = 0;
    ENROL_ASSIGN_OR_RETURN(bool more, s_->Fill());
    if (!more) return std::string_view::npos;
  }
}

Result<std::optional<app::ExtractRecord>> XmlSource::Next() {
  size_t pos = 0;
  for (;;) {
    size_t keep = pos;
    ENROL_ASSIGN_OR_RETURN(size_t lt, Find("<", pos, keep));
    if (lt == std::string_view::npos) {
      if (!seen_root_) return tl::unexpected(Malformed("no XML element in the file"));
      if (!done_) {
        return tl::unexpected(Malformed(
            "the file ends before the root element is closed; it is truncated"));
      }
      return std::optional<app::ExtractRecord>();
    }
    Drop(lt);
    pos = 0;
    // Make sure the construct's opening is in the buffer.
    while (s_->Data().size() < 9 && !s_->AtEof()) {
      ENROL_ASSIGN_OR_RETURN(bool more, s_->Fill());
      if (!more) break;
    }
    std::string_view d = s_->Data();
    auto skip_to = [&](std::string_view end, const char* what) -> Status {
      size_t from = 1, k = 0;
      ENROL_ASSIGN_OR_RETURN(size_t at, Find(end, from, k));
      if (at == std::string_view::npos) {
        return tl::unexpected(Malformed(std::string("the file ends inside ") + what));
      }
      pos = at + end.size();
      return {};
    };
    if (d.substr(0, 2) == "<?") {
      ENROL_RETURN_IF_ERROR(skip_to("?>", "a processing instruction"));
      continue;
    }
    if (d.substr(0, 4) == "<!--") {
      ENROL_RETURN_IF_ERROR(skip_to("-->", "a comment"));
      continue;
    }
    if (d.substr(0, 2) == "<!") {
      if (d.substr(0, 9) == "<!DOCTYPE" && d.find('[') != std::string_view::npos &&
          d.find('[') < d.find('>')) {
        return tl::unexpected(Malformed("a DOCTYPE with an internal subset is not accepted"));
      }
      ENROL_RETURN_IF_ERROR(skip_to(">", "a declaration"));
      continue;
    }
    if (done_) return tl::unexpected(Malformed("unexpected element after the root element"));
    size_t from = 0;
    ENROL_ASSIGN_OR_RETURN(size_t gt, FindTagEnd(from));
    if (gt == std::string_view::npos) return tl::unexpected(Malformed("the file ends inside a tag"));
    d = s_->Data();
    const bool closing = d[1] == '/';
    const bool self_closing = d[gt - 1] == '/';
    size_t name_end = closing ? 2 : 1;
    while (name_end < gt && !IsSpace(d[name_end]) && d[name_end] != '/' && d[name_end] != '>') {
      ++name_end;
    }
    const std::string qname(d.substr(closing ? 2 : 1, name_end - (closing ? 2 : 1)));
    const size_t colon = qname.find(':');
    const std::string_view local =
        colon == std::string::npos ? std::string_view(qname) : std::string_view(qname).substr(colon + 1);
    if (closing) {
      pos = gt + 1;
      if (--depth_ < 0) return tl::unexpected(Malformed("closing tag without an opening tag"));
      if (depth_ == 0) done_ = true;
      continue;
    }
    if (local != "folkeregisterperson") {
      pos = gt + 1;
      seen_root_ = true;
      if (!self_closing) ++depth_;
      else if (depth_ == 0) done_ = true;
      continue;
    }
    // A person: take the element up to its closing tag.
    CountTo(0);
    const int start_line = line_ + 1;
    size_t end = gt + 1;
    if (!self_closing) {
      size_t search = gt + 1, k = 0;
      ENROL_ASSIGN_OR_RETURN(size_t close, Find("</" + qname + ">", search, k));
      if (close == std::string_view::npos) {
        return tl::unexpected(Error{
            ErrorCode::kInvalidArgument,
            "record " + std::to_string(index_ + 1) + " (line " + std::to_string(start_line) +
                "): the file ends inside this record; it is truncated"});
      }
      end = close + qname.size() + 3;
    }
    if (!seen_root_) {
      seen_root_ = true;
      done_ = true;  // the person is the document
    }
    ++index_;
    d = s_->Data();
    pugi::xml_document doc;
    const pugi::xml_parse_result parsed =
        doc.load_buffer(d.data(), end, pugi::parse_default, pugi::encoding_utf8);
    app::ExtractRecord rec;
    if (!parsed) {
      rec.index = index_;
      rec.line = start_line + CountLines(d.substr(0, std::min<size_t>(parsed.offset, end)));
      rec.message = std::string("not well-formed XML (") + parsed.description() + ")";
    } else {
      XmlToFlatDoc(doc.document_element(), flat_);
      rec = MapDocument(flat_, flat_.Root(), index_, start_line, ids_);
    }
    Drop(end);
    return std::optional<app::ExtractRecord>(std::move(rec));
  }
}

}  // namespace

Result<std::unique_ptr<app::ExtractSource>> FregExtractOpener::Open(const std::string& path) {
  ENROL_ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> s, ByteStream::Open(path));
  ENROL_ASSIGN_OR_RETURN(bool any, s->Fill());
  (void)any;
  std::string_view d = s->Data();
  size_t i = d.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  while (i < d.size() && IsSpace(d[i])) ++i;
  if (i < d.size() && d[i] == '<') {
    return std::unique_ptr<app::ExtractSource>(new XmlSource(std::move(s), ids_));
  }
  return std::unique_ptr<app::ExtractSource>(new JsonSource(std::move(s), ids_));
}

}  // namespace enrol::freg
