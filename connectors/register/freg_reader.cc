#include "connectors/register/freg_reader.h"

#include <algorithm>
#include <cstring>

#include <boost/json.hpp>
#include <pugixml.hpp>

#include "connectors/register/byte_stream.h"
#include "connectors/register/freg_mapper.h"

namespace enrol::freg {
namespace json = boost::json;
namespace {

int CountLines(std::string_view s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

app::ExtractRecord MapDocument(const json::object& doc, int index, int line,
                               const core::NationalIdOptions& ids) {
  app::ExtractRecord rec;
  rec.index = index;
  rec.line = line;
  auto person = MapFregPerson(doc, ids);
  if (person) {
    rec.person = std::move(*person);
  } else {
    rec.field = person.error().field;
    rec.message = person.error().message;
  }
  return rec;
}

// ---------------------------------------------------------------- JSON

class JsonSource final : public app::ExtractSource {
 public:
  JsonSource(std::unique_ptr<ByteStream> s, core::NationalIdOptions ids)
      : s_(std::move(s)), ids_(ids) {}

  Result<std::optional<app::ExtractRecord>> Next() override;
  std::string Format() const override {
    switch (mode_) {
      case Mode::kArray: return "json";
      case Mode::kBulk:
      case Mode::kBulkTail: return "bulk-json";
      default: return mode_was_bulk_ ? "bulk-json" : (mode_was_array_ ? "json" : "ndjson");
    }
  }
  std::string Sha256Hex() const override { return s_->Sha256Hex(); }
  int64_t BytesRead() const override { return s_->BytesRead(); }

 private:
  enum class Mode { kStart, kArray, kObjects, kBulk, kBulkTail, kDone };

  app::ExtractRecord MakeRecord(std::string_view text);
  Error Malformed(const std::string& what) const {
    return Error{ErrorCode::kInvalidArgument, "line " + std::to_string(line_ + 1) + ": " + what};
  }
  // True when the '[' at `pos` follows `"oppslag" :` in the current chunk.
  bool OpensBulkArray(std::string_view d, size_t pos) const;

  std::unique_ptr<ByteStream> s_;
  core::NationalIdOptions ids_;
  Mode mode_ = Mode::kStart;
  bool mode_was_bulk_ = false;
  bool mode_was_array_ = false;
  size_t pos_ = 0;
  bool in_chunk_ = false;
  size_t chunk_start_ = 0;
  int chunk_line_ = 0;
  int depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
  int line_ = 0;  // 0-based line of pos_
  int index_ = 0;
  bool at_file_start_ = true;
};

bool JsonSource::OpensBulkArray(std::string_view d, size_t pos) const {
  if (mode_ != Mode::kObjects || depth_ != 1 || index_ != 0) return false;
  size_t i = pos;
  auto skip_back = [&] {
    while (i > chunk_start_ && IsSpace(d[i - 1])) --i;
  };
  skip_back();
  if (i == chunk_start_ || d[i - 1] != ':') return false;
  --i;
  skip_back();
  constexpr std::string_view kKey = "\"oppslag\"";
  if (i < chunk_start_ + kKey.size()) return false;
  return d.substr(i - kKey.size(), kKey.size()) == kKey;
}

app::ExtractRecord JsonSource::MakeRecord(std::string_view text) {
  ++index_;
  unsigned char scratch[16384];
  json::monotonic_resource mr(scratch, sizeof scratch);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, &mr);
  app::ExtractRecord rec;
  rec.index = index_;
  rec.line = chunk_line_ + 1;
  if (ec) {
    rec.message = "not valid JSON (" + ec.message() + ")";
    return rec;
  }
  if (!v.is_object()) {
    rec.message = "not a JSON object";
    return rec;
  }
  const json::object* doc = &v.get_object();
  if (mode_ == Mode::kBulk) {
    const json::value* p = doc->if_contains("folkeregisterperson");
    if (!p || !p->is_object()) {
      rec.field = doc->if_contains("feilmelding") ? "feilmelding" : "folkeregisterperson";
      rec.message = doc->if_contains("feilmelding")
                        ? "the register could not deliver this person (lookup error)"
                        : "missing (required)";
      return rec;
    }
    doc = &p->get_object();
  }
  return MapDocument(*doc, rec.index, rec.line, ids_);
}

Result<std::optional<app::ExtractRecord>> JsonSource::Next() {
  for (;;) {
    std::string_view d = s_->Data();
    if (at_file_start_ && d.size() >= 3) {
      if (d.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
      at_file_start_ = false;
    }
    while (pos_ < d.size()) {
      const char c = d[pos_];
      if (in_chunk_ || mode_ == Mode::kBulkTail) {
        if (c == '\n') ++line_;
        if (in_string_) {
          if (escape_) {
            escape_ = false;
          } else if (c == '\\') {
            escape_ = true;
          } else if (c == '"') {
            in_string_ = false;
          }
          ++pos_;
          continue;
        }
        if (c == '"') {
          in_string_ = true;
        } else if (c == '{' || c == '[') {
          if (c == '[' && in_chunk_ && OpensBulkArray(d, pos_)) {
            mode_ = Mode::kBulk;
            mode_was_bulk_ = true;
            in_chunk_ = false;
            depth_ = 0;
            ++pos_;
            continue;
          }
          ++depth_;
        } else if (c == '}' || c == ']') {
          --depth_;
          if (depth_ == 0) {
            ++pos_;
            if (mode_ == Mode::kBulkTail) {
              mode_ = Mode::kDone;
              continue;
            }
            in_chunk_ = false;
            app::ExtractRecord rec = MakeRecord(d.substr(chunk_start_, pos_ - chunk_start_));
            s_->Consume(pos_);
            pos_ = 0;
            return std::optional<app::ExtractRecord>(std::move(rec));
          }
        }
        ++pos_;
        continue;
      }
      if (IsSpace(c)) {
        if (c == '\n') ++line_;
        ++pos_;
        continue;
      }
      switch (mode_) {
        case Mode::kStart:
          if (c == '[') {
            mode_ = Mode::kArray;
            mode_was_array_ = true;
            ++pos_;
            continue;
          }
          if (c != '{') {
            return tl::unexpected(Malformed(
                "not a FREG JSON extract: expected '[' or '{' or '<' at the start of the file"));
          }
          mode_ = Mode::kObjects;
          break;
        case Mode::kArray:
        case Mode::kBulk:
          if (c == ',') {
            ++pos_;
            continue;
          }
          if (c == ']') {
            ++pos_;
            if (mode_ == Mode::kBulk) {
              mode_ = Mode::kBulkTail;
              depth_ = 1;
            } else {
              mode_ = Mode::kDone;
            }
            continue;
          }
          if (c != '{') {
            return tl::unexpected(Malformed(
                std::string("expected a person document (a JSON object), found '") + c + "'"));
          }
          break;
        case Mode::kObjects:
          if (c != '{') {
            return tl::unexpected(Malformed(
                std::string("expected a person document (a JSON object), found '") + c + "'"));
          }
          break;
        case Mode::kBulkTail:
        case Mode::kDone:
          return tl::unexpected(Malformed("unexpected data after the end of the extract"));
      }
      // c == '{': a record starts.
      in_chunk_ = true;
      chunk_start_ = pos_;
      chunk_line_ = line_;
      depth_ = 1;
      ++pos_;
    }
    // Need more bytes. Keep the record begun so far.
    const size_t keep_from = in_chunk_ ? chunk_start_ : pos_;
    s_->Consume(keep_from);
    pos_ -= keep_from;
    chunk_start_ = 0;
    ENROL_ASSIGN_OR_RETURN(bool more, s_->Fill());
    if (more) continue;
    if (in_chunk_ || in_string_) {
      return tl::unexpected(Error{
          ErrorCode::kInvalidArgument,
          "record " + std::to_string(index_ + 1) + " (line " + std::to_string(chunk_line_ + 1) +
              "): the file ends inside this record; it is truncated"});
    }
    switch (mode_) {
      case Mode::kStart:
        return tl::unexpected(Error{ErrorCode::kInvalidArgument, "the file is empty"});
      case Mode::kArray:
      case Mode::kBulk:
      case Mode::kBulkTail:
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
      rec = MapDocument(XmlToFregJson(doc.document_element()), index_, start_line, ids_);
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
