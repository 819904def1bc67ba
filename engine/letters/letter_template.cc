#include "engine/letters/letter_template.h"

#include <algorithm>
#include <set>

#include <boost/json.hpp>
#include <kainjow/mustache.hpp>

#include "engine/core/sha256.h"
#include "engine/core/text.h"

namespace enrol::letters {
namespace json = boost::json;
namespace mstch = kainjow::mustache;

const std::vector<std::string>& KnownFields() {
  static const std::vector<std::string> kFields = {
      "municipality", "municipality.name", "municipality.office", "municipality.address",
      "municipality.postnummer", "municipality.poststed", "municipality.org_number",
      "municipality.phone", "municipality.email",
      "school", "school.name", "school.address", "school.postnummer", "school.poststed",
      "school.phone", "school.email",
      "child", "child.name", "child.first_name", "child.birth_date",
      "grade", "previous_grade", "school_year", "start_year", "start_date", "reply_by", "letter_date",
      "case_ref", "archive_ref", "legal_basis", "appeal_body", "signature", "recipients", "copy_to"};
  return kFields;
}

namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

const json::value* Lookup(const json::object& data, const std::string& path) {
  const json::value* v = nullptr;
  const json::object* o = &data;
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot - start);
    v = o ? o->if_contains(part) : nullptr;
    if (!v || dot == std::string::npos) return v;
    o = v->if_object();
    start = dot + 1;
  }
}

bool Truthy(const json::value* v) {
  if (!v || v->is_null()) return false;
  if (v->is_bool()) return v->get_bool();
  if (v->is_string()) return !v->get_string().empty();
  if (v->is_array()) return !v->get_array().empty();
  return true;
}

mstch::data ToMustache(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      mstch::data d{mstch::data::type::object};
      for (const auto& [k, x] : v.get_object()) d.set(std::string(k), ToMustache(x));
      return d;
    }
    case json::kind::array: {
      mstch::data d{mstch::data::type::list};
      for (const auto& x : v.get_array()) d.push_back(ToMustache(x));
      return d;
    }
    // An empty string is false, as in the field check: a section shows only for a value.
    case json::kind::string:
      if (v.get_string().empty()) return mstch::data(mstch::data::type::bool_false);
      return mstch::data(std::string(v.get_string()));
    case json::kind::bool_: return v.get_bool() ? mstch::data(mstch::data::type::bool_true)
                                                : mstch::data(mstch::data::type::bool_false);
    case json::kind::null: return mstch::data(mstch::data::type::bool_false);
    default: return mstch::data(json::serialize(v));
  }
}

}  // namespace

std::string EscapeMarkup(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {
// A letter's sections nest a few levels (a guardian inside a list); past
// this the template is refused.
constexpr size_t kMaxSectionDepth = 16;
// The most text a letter may hold once rendered (a letter is two pages).
constexpr size_t kMaxRenderedBytes = 256 * 1024;
}  // namespace

Result<LetterTemplate> LetterTemplate::Parse(std::string name, std::string text) {
  LetterTemplate t;
  t.name_ = std::move(name);
  t.text_ = std::move(text);
  t.version_ = core::Sha256Hex(t.text_);
  if (t.text_.find_first_not_of(" \t\r\n") == std::string::npos) {
    t.syntax_.push_back({1, "the template is empty"});
    return t;
  }
  // UTF-8 only: the first bad byte, with its line.
  if (const core::Utf8Scan scan = core::ScanUtf8(t.text_); !scan.valid) {
    const int bad_line = 1 + static_cast<int>(std::count(t.text_.begin(), t.text_.begin() + scan.bad_offset, '\n'));
    t.syntax_.push_back({bad_line, "not valid UTF-8 (templates are UTF-8)"});
    return t;
  }
  int line = 1;
  std::vector<Tag> open;
  for (size_t i = 0; i < t.text_.size();) {
    if (t.text_[i] == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (t.text_.compare(i, 2, "{{") != 0) {
      ++i;
      continue;
    }
    const bool triple = t.text_.compare(i, 3, "{{{") == 0;
    const size_t end = t.text_.find(triple ? "}}}" : "}}", i + 2);
    if (end == std::string::npos) {
      t.syntax_.push_back({line, "a tag opened here is never closed (missing '}}')"});
      break;
    }
    std::string inner = Trim(std::string_view(t.text_).substr(i + (triple ? 3 : 2), end - i - (triple ? 3 : 2)));
    Tag tag{Tag::kVariable, "", line};
    if (!inner.empty()) {
      switch (inner[0]) {
        case '#': tag.kind = Tag::kSectionOpen; inner = Trim(inner.substr(1)); break;
        case '^': tag.kind = Tag::kInvertedOpen; inner = Trim(inner.substr(1)); break;
        case '/': tag.kind = Tag::kSectionClose; inner = Trim(inner.substr(1)); break;
        case '!': tag.kind = Tag::kComment; break;
        case '&': inner = Trim(inner.substr(1)); break;
        case '>':
        case '=':
          tag.kind = Tag::kUnsupported;
          break;
        default: break;
      }
    }
    tag.name = inner;
    if (tag.kind == Tag::kUnsupported) {
      t.syntax_.push_back({line, "'{{" + inner + "}}': partials and delimiter changes are not supported"});
    } else if (tag.kind != Tag::kComment && tag.name.empty()) {
      t.syntax_.push_back({line, "empty tag '{{}}'"});
    } else if (tag.kind == Tag::kSectionOpen || tag.kind == Tag::kInvertedOpen) {
      if (open.size() >= kMaxSectionDepth) {
        t.syntax_.push_back({line, "sections nested more than " + std::to_string(kMaxSectionDepth) + " deep"});
        return t;
      }
      open.push_back(tag);
    } else if (tag.kind == Tag::kSectionClose) {
      if (open.empty()) {
        t.syntax_.push_back({line, "'{{/" + tag.name + "}}' closes a section that is not open"});
      } else if (open.back().name != tag.name) {
        t.syntax_.push_back({line, "'{{/" + tag.name + "}}' closes '" + open.back().name + "', opened on line " +
                                       std::to_string(open.back().line)});
        open.pop_back();
      } else {
        open.pop_back();
      }
    }
    for (char c : std::string_view(t.text_).substr(i, end - i)) line += c == '\n';
    t.tags_.push_back(std::move(tag));
    i = end + (triple ? 3 : 2);
  }
  for (const Tag& o : open) {
    t.syntax_.push_back({o.line, "section '" + o.name + "' is opened here and never closed"});
  }
  return t;
}

std::vector<TemplateProblem> LetterTemplate::Check() const {
  std::vector<TemplateProblem> problems = syntax_;
  const auto& known = KnownFields();
  for (const Tag& tag : tags_) {
    if (tag.kind == Tag::kComment || tag.kind == Tag::kSectionClose || tag.kind == Tag::kUnsupported) continue;
    if (std::find(known.begin(), known.end(), tag.name) == known.end()) {
      problems.push_back({tag.line, "unknown field '" + tag.name + "': the letter data has no such field"});
    }
  }
  const size_t first_line_end = text_.find('\n');
  const bool empty = text_.find_first_not_of(" \t\r\n") == std::string::npos;
  if (!empty && Trim(text_.substr(0, first_line_end)).empty()) {
    problems.push_back({1, "the first line must be the letter's title"});
  }
  std::sort(problems.begin(), problems.end(),
            [](const TemplateProblem& a, const TemplateProblem& b) { return a.line < b.line; });
  return problems;
}

Result<std::string> LetterTemplate::Render(const json::object& data) const {
  if (!syntax_.empty()) {
    return FailedPrecondition("letter template " + name_ + " line " + std::to_string(syntax_.front().line) + ": " +
                              syntax_.front().message);
  }
  // Every variable shown must have a value: walk the tags as the renderer
  // will, skipping sections that will not be shown.
  std::vector<std::string> missing;
  int hidden_depth = 0;
  std::vector<bool> shown;
  for (const Tag& tag : tags_) {
    switch (tag.kind) {
      case Tag::kSectionOpen:
      case Tag::kInvertedOpen: {
        const bool truthy = Truthy(Lookup(data, tag.name));
        const bool show = tag.kind == Tag::kSectionOpen ? truthy : !truthy;
        shown.push_back(show);
        if (!show) ++hidden_depth;
        break;
      }
      case Tag::kSectionClose:
        if (!shown.empty()) {
          if (!shown.back()) --hidden_depth;
          shown.pop_back();
        }
        break;
      case Tag::kVariable:
        if (hidden_depth == 0 && !Truthy(Lookup(data, tag.name))) {
          missing.push_back(tag.name + " (line " + std::to_string(tag.line) + ")");
        }
        break;
      default:
        break;
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return FailedPrecondition("letter template " + name_ + " needs values the case lacks: " + list);
  }
  mstch::mustache m(text_);
  if (!m.is_valid()) return FailedPrecondition("letter template " + name_ + ": " + m.error_message());
  mstch::data d = ToMustache(data);
  std::string out = m.render(d);
  if (!m.is_valid()) return FailedPrecondition("letter template " + name_ + ": " + m.error_message());
  if (out.size() > kMaxRenderedBytes) {
    return FailedPrecondition("letter template " + name_ + " makes a letter of " + std::to_string(out.size() / 1024) +
                              " KiB (at most " + std::to_string(kMaxRenderedBytes / 1024) + " KiB)");
  }
  return out;
}

LetterText ParseLetterMarkup(const std::string& rendered) {
  LetterText out;
  std::vector<std::string> lines;
  size_t start = 0;
  for (;;) {
    const size_t nl = rendered.find('\n', start);
    lines.push_back(rendered.substr(start, nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  size_t i = 0;
  while (i < lines.size() && Trim(lines[i]).empty()) ++i;
  if (i < lines.size()) out.title = Trim(lines[i++]);
  std::string para;
  auto flush = [&] {
    if (!Trim(para).empty()) out.blocks.push_back({Block::kParagraph, Trim(para)});
    para.clear();
  };
  for (; i < lines.size(); ++i) {
    const std::string line = Trim(lines[i]);
    if (line.empty()) {
      flush();
    } else if (line.rfind("## ", 0) == 0) {
      flush();
      out.blocks.push_back({Block::kHeading, line.substr(3)});
    } else if (line.rfind("- ", 0) == 0) {
      flush();
      out.blocks.push_back({Block::kBullet, line.substr(2)});
    } else {
      // Consecutive lines of one paragraph keep their line breaks (a
      // signature block), joined by a Pango newline.
      para += (para.empty() ? "" : "\n") + line;
    }
  }
  flush();
  return out;
}

}  // namespace enrol::letters
