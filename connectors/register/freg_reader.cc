#include "connectors/register/freg_reader.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <libxml/xmlreader.h>

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
      // Objects one after another are person documents: a first one with
      // none of a person's elements means the file is something else.
      if (mode_ == Mode::kObjects && index_ == 1 && doc_.KindOf(person) == FlatDoc::Kind::kObject) {
        bool person_like = false;
        for (const char* key : {"identifikasjonsnummer", "status", "navn", "foedsel", "bostedsadresse"}) {
          person_like = person_like || doc_.Find(person, key) != FlatDoc::kNone;
        }
        if (!person_like) {
          return tl::unexpected(Error{ErrorCode::kInvalidArgument,
                                      "not a FREG extract: the first document (line " + std::to_string(start_line) +
                                          ") has none of a person document's elements"});
        }
      }
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

// The FREG person documents' namespace (PersondokumentMedHistorikk XSD).
constexpr std::string_view kPersonNamespace = "folkeregisteret:tilgjengeliggjoering:person:v1";

// Streams the file through libxml2's reader (a pull parser): well-formedness,
// UTF-8, character references and entities are the parser's to check, with
// its own bounds on depth (256) and text nodes (10 MB); a DOCTYPE is refused
// as a node, before any of it is used; no network, no external entities.
// Each <folkeregisterperson> is walked into the FlatDoc as it streams.
class XmlSource final : public app::ExtractSource {
 public:
  XmlSource(std::unique_ptr<ByteStream> s, core::NationalIdOptions ids) : s_(std::move(s)), ids_(ids) {
    reader_ = xmlReaderForIO(&XmlSource::ReadBytes, nullptr, this, nullptr, nullptr, XML_PARSE_NONET);
    if (reader_) xmlTextReaderSetStructuredErrorHandler(reader_, &XmlSource::OnError, this);
  }
  ~XmlSource() override {
    if (reader_) xmlFreeTextReader(reader_);
  }
  Result<std::optional<app::ExtractRecord>> Next() override;
  std::string Format() const override { return "xml"; }
  std::string Sha256Hex() const override { return s_->Sha256Hex(); }
  int64_t BytesRead() const override { return s_->BytesRead(); }

 private:
  static int ReadBytes(void* ctx, char* out, int len) {
    auto* self = static_cast<XmlSource*>(ctx);
    if (self->s_->Data().empty()) {
      auto more = self->s_->Fill();
      if (!more) {
        self->io_error_ = more.error().message;
        return -1;
      }
      if (!*more) return 0;
    }
    std::string_view d = self->s_->Data();
    const size_t n = std::min(d.size(), static_cast<size_t>(len));
    std::memcpy(out, d.data(), n);
    self->s_->Consume(n);
    return static_cast<int>(n);
  }
  static void OnError(void* ctx, xmlErrorPtr e) {
    auto* self = static_cast<XmlSource*>(ctx);
    if (!e || e->level < XML_ERR_ERROR || !self->error_.empty()) return;
    std::string msg = e->message ? e->message : "not well-formed";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (msg.size() > 160) msg = msg.substr(0, 160) + "...";
    self->error_ = msg;
    self->error_line_ = e->line;
  }
  int Line() const { return reader_ ? xmlTextReaderGetParserLineNumber(reader_) : 0; }
  Error Malformed(const std::string& what, int line = 0) const {
    return Error{ErrorCode::kInvalidArgument, "line " + std::to_string(line > 0 ? line : Line()) + ": " + what};
  }
  // One step of the reader: 1 a node, 0 the end, or the parser's error.
  Result<bool> Read() {
    const int r = xmlTextReaderRead(reader_);
    if (!io_error_.empty()) return tl::unexpected(Error{ErrorCode::kUnavailable, io_error_});
    if (r < 0 || !error_.empty()) {
      std::string what = error_.empty() ? std::string("not well-formed XML") : "not well-formed XML: " + error_;
      if (error_.find("Extra content at the end") != std::string::npos) {
        // libxml2 says so also when the file ends early.
        if (in_record_ > 0) {
          what = "the file ends inside record " + std::to_string(in_record_) + "; it is truncated";
        } else if (!root_closed_) {
          // libxml2 tells the two apart only by position.
          what = "the file ends before the root element is closed (it is truncated), or has content after the root element";
        } else {
          what = "unexpected content after the root element";
        }
      } else if (error_.find("huge text node") != std::string::npos) {
        what = "a text of more than 10 MB (a field may hold 4,000 characters)";
      } else if (error_.find("Premature end of data") != std::string::npos ||
                 error_.find("EndTag: '</' not found") != std::string::npos ||
                 error_.find("Couldn't find end of Start Tag") != std::string::npos) {
        what += "; the file ends inside an element, it is truncated";
      }
      return tl::unexpected(Malformed(what, error_line_));
    }
    return r == 1;
  }
  // Walks the person element the reader is on into flat_.
  Result<app::ExtractRecord> ReadPerson();
  Status CheckDocument();

  std::unique_ptr<ByteStream> s_;
  core::NationalIdOptions ids_;
  xmlTextReaderPtr reader_ = nullptr;
  FlatDoc flat_;
  std::string error_, io_error_;
  int error_line_ = 0;
  bool checked_ = false;
  bool seen_root_ = false;
  bool root_closed_ = false;
  int index_ = 0;
  int in_record_ = 0;  // the record being read, 0 between records
};

Status XmlSource::CheckDocument() {
  if (checked_) return {};
  checked_ = true;
  const xmlChar* enc = xmlTextReaderConstEncoding(reader_);
  if (enc) {
    std::string e(reinterpret_cast<const char*>(enc));
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::toupper(c); });
    if (e != "UTF-8" && e != "UTF8") {
      return tl::unexpected(Malformed("the file is in " + e.substr(0, 40) + "; FREG extracts are UTF-8", 1));
    }
  }
  return {};
}

Result<app::ExtractRecord> XmlSource::ReadPerson() {
  flat_.Clear(/*json=*/false);
  const int start_line = xmlGetLineNo(xmlTextReaderCurrentNode(reader_));
  const int base = xmlTextReaderDepth(reader_);
  flat_.Begin(FlatDoc::Kind::kObject, 0, 0);
  app::ExtractRecord rec;
  rec.index = ++index_;
  rec.line = start_line;
  // The elements open below the person: where their key and text start.
  struct Open {
    uint32_t key_off, key_len, text_off;
    bool has_children;
    bool stored_as_object;
    bool text_too_long;
  };
  std::vector<Open> open;
  auto add_leaf_or_close = [&]() {
    Open o = open.back();
    open.pop_back();
    if (o.stored_as_object) {
      flat_.End();
      return;
    }
    // Whitespace alone (an empty element written over lines) is empty.
    if (!o.text_too_long &&
        flat_.ArenaText(o.text_off, flat_.ArenaSize() - o.text_off).find_first_not_of(" \t\r\n") ==
            std::string_view::npos) {
      flat_.TruncateArena(o.text_off);
    }
    std::string_view problem;
    if (o.text_too_long) {
      problem = "longer than 4,000 characters";
    } else {
      problem = CheckText(flat_.ArenaText(o.text_off, flat_.ArenaSize() - o.text_off));
    }
    if (!problem.empty()) {
      flat_.SetProblem(flat_.ArenaText(o.key_off, o.key_len), problem);
      flat_.TruncateArena(o.text_off);
    }
    flat_.Scalar(FlatDoc::Kind::kString, o.key_off, o.key_len, o.text_off, flat_.ArenaSize() - o.text_off);
  };
  if (xmlTextReaderIsEmptyElement(reader_)) {
    flat_.End();
    return MapDocument(flat_, flat_.Root(), rec.index, start_line, ids_);
  }
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool more, Read());
    if (!more) return tl::unexpected(Malformed("the file ends inside record " + std::to_string(rec.index) + "; it is truncated"));
    const int type = xmlTextReaderNodeType(reader_);
    const int depth = xmlTextReaderDepth(reader_) - base;
    if (type == XML_READER_TYPE_END_ELEMENT) {
      if (depth == 0) break;  // the person's end
      add_leaf_or_close();
      continue;
    }
    if (type == XML_READER_TYPE_ELEMENT) {
      const xmlChar* ns = xmlTextReaderConstNamespaceUri(reader_);
      if (!ns || std::string_view(reinterpret_cast<const char*>(ns)) != kPersonNamespace) {
        flat_.SetProblem("", "an element outside the FREG person namespace");
      }
      // The parent, so far a leaf, holds elements: it becomes an object.
      if (!open.empty() && !open.back().has_children) {
        Open& parent = open.back();
        parent.has_children = true;
        parent.stored_as_object = true;
        // Text beside elements (mixed content) is not in the schema.
        const std::string_view before = flat_.ArenaText(parent.text_off, flat_.ArenaSize() - parent.text_off);
        if (parent.text_too_long || before.find_first_not_of(" \t\r\n") != std::string_view::npos) {
          flat_.SetProblem(flat_.ArenaText(parent.key_off, parent.key_len), "text beside elements");
        }
        flat_.TruncateArena(parent.text_off);
        flat_.Begin(FlatDoc::Kind::kObject, parent.key_off, parent.key_len);
      }
      const std::string_view local(reinterpret_cast<const char*>(xmlTextReaderConstLocalName(reader_)));
      Open o{flat_.ArenaSize(), 0, 0, false, false, false};
      flat_.AppendText(local.substr(0, 256));
      o.key_len = flat_.ArenaSize() - o.key_off;
      o.text_off = flat_.ArenaSize();
      open.push_back(o);
      if (xmlTextReaderIsEmptyElement(reader_)) add_leaf_or_close();
      continue;
    }
    if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
        type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || type == XML_READER_TYPE_WHITESPACE) {
      const xmlChar* v = xmlTextReaderConstValue(reader_);
      std::string_view t = v ? reinterpret_cast<const char*>(v) : "";
      if (open.empty() || open.back().stored_as_object) {
        if (t.find_first_not_of(" \t\r\n") != std::string_view::npos) {
          flat_.SetProblem(open.empty() ? "" : flat_.ArenaText(open.back().key_off, open.back().key_len),
                           "text beside elements");
        }
        continue;
      }
      Open& o = open.back();
      if (o.text_too_long) continue;
      if (flat_.ArenaSize() - o.text_off + t.size() > kMaxTextBytes) {
        o.text_too_long = true;
        flat_.TruncateArena(o.text_off);
        continue;
      }
      flat_.AppendText(t);
      continue;
    }
    if (type == XML_READER_TYPE_ENTITY_REFERENCE) {
      flat_.SetProblem(open.empty() ? "" : flat_.ArenaText(open.back().key_off, open.back().key_len),
                       "an entity that is not defined");
    }
    // Comments and processing instructions inside a record carry nothing.
  }
  flat_.End();
  return MapDocument(flat_, flat_.Root(), rec.index, start_line, ids_);
}

Result<std::optional<app::ExtractRecord>> XmlSource::Next() {
  if (!reader_) return tl::unexpected(Error{ErrorCode::kInternal, "the XML reader could not be created"});
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool more, Read());
    if (!more) {
      if (!seen_root_) return tl::unexpected(Malformed("no XML element in the file"));
      if (!root_closed_) return tl::unexpected(Malformed("the file ends before the root element is closed; it is truncated"));
      return std::optional<app::ExtractRecord>();
    }
    ENROL_RETURN_IF_ERROR(CheckDocument());
    const int type = xmlTextReaderNodeType(reader_);
    const int depth = xmlTextReaderDepth(reader_);
    switch (type) {
      case XML_READER_TYPE_DOCUMENT_TYPE:
        return tl::unexpected(Malformed("a DOCTYPE is not accepted in a FREG extract"));
      case XML_READER_TYPE_ENTITY_REFERENCE:
      case XML_READER_TYPE_ENTITY:
        return tl::unexpected(Malformed("an entity that is not defined"));
      case XML_READER_TYPE_PROCESSING_INSTRUCTION:
        if (root_closed_) return tl::unexpected(Malformed("unexpected content after the root element"));
        continue;
      case XML_READER_TYPE_ELEMENT: {
        if (root_closed_) return tl::unexpected(Malformed("unexpected element after the root element"));
        const std::string_view local(reinterpret_cast<const char*>(xmlTextReaderConstLocalName(reader_)));
        const bool empty = xmlTextReaderIsEmptyElement(reader_);
        if (depth == 0) seen_root_ = true;
        if (local == "folkeregisterperson") {
          const xmlChar* ns = xmlTextReaderConstNamespaceUri(reader_);
          if (!ns || std::string_view(reinterpret_cast<const char*>(ns)) != kPersonNamespace) {
            return tl::unexpected(Malformed(std::string("<folkeregisterperson> is not in the FREG person namespace (") +
                                            std::string(kPersonNamespace) + ")"));
          }
          in_record_ = index_ + 1;
          ENROL_ASSIGN_OR_RETURN(app::ExtractRecord rec, ReadPerson());
          in_record_ = 0;
          if (depth == 0) root_closed_ = true;  // the person is the document
          return std::optional<app::ExtractRecord>(std::move(rec));
        }
        if (depth == 0 && empty) root_closed_ = true;
        continue;
      }
      case XML_READER_TYPE_END_ELEMENT:
        if (depth == 0) root_closed_ = true;
        continue;
      case XML_READER_TYPE_TEXT:
      case XML_READER_TYPE_CDATA:
        return tl::unexpected(Malformed("text outside a person record"));
      default:
        continue;  // whitespace, comments
    }
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
