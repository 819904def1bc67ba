#include "engine/config/config_loader.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "engine/core/date.h"
#include "engine/statechart/model.h"

namespace enrol::config {
namespace json = boost::json;
namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read config file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> SplitCsvLine(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(Trim(cur));
  return out;
}

// "12", "12B" or "" (open end).
bool ParseHouse(const std::string& s, int* number, std::string* letter) {
  *number = 0;
  letter->clear();
  if (s.empty()) return true;
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0 || i > 4) return false;
  *number = std::stoi(s.substr(0, i));
  *letter = s.substr(i);
  return letter->size() <= 2;  // one letter (Æ Ø Å are two bytes)
}

class JsonReader {
 public:
  explicit JsonReader(std::string file) : file_(std::move(file)) {}
  tl::unexpected<Error> Bad(const std::string& field, const std::string& what) const {
    return InvalidArgument(file_ + ": " + field + ": " + what);
  }
  Result<std::string> Str(const json::object& o, std::string_view key, const std::string& path,
                          bool required = true) const {
    const json::value* v = o.if_contains(key);
    if (!v) {
      if (required) return Bad(path + "." + std::string(key), "missing (required)");
      return std::string();
    }
    if (!v->is_string()) return Bad(path + "." + std::string(key), "must be a string");
    return std::string(v->get_string());
  }
  Result<bool> Bool(const json::object& o, std::string_view key, const std::string& path) const {
    const json::value* v = o.if_contains(key);
    if (!v) return false;
    if (!v->is_bool()) return Bad(path + "." + std::string(key), "must be true or false");
    return v->get_bool();
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

}  // namespace

Result<core::GradeSpan> ParseGradeSpan(std::string_view text) {
  const std::string t = Trim(text);
  const size_t dash = t.find('-');
  auto num = [](const std::string& s) -> int {
    if (s.empty() || s.size() > 2) return -1;
    for (char c : s) {
      if (c < '0' || c > '9') return -1;
    }
    return std::stoi(s);
  };
  const int first = num(dash == std::string::npos ? t : Trim(t.substr(0, dash)));
  const int last = dash == std::string::npos ? first : num(Trim(t.substr(dash + 1)));
  if (first < 1 || last > 10 || last < first) {
    return InvalidArgument("grade span '" + t + "' must look like 1-7 or 8 (grades 1 to 10)");
  }
  return core::GradeSpan{first, last};
}

Result<std::vector<core::AddressRule>> ParseAddressTable(std::string_view csv,
                                                         const std::string& name) {
  std::vector<core::AddressRule> rules;
  if (csv.substr(0, 3) == "\xEF\xBB\xBF") csv.remove_prefix(3);  // a UTF-8 BOM (spreadsheets write one)
  std::istringstream in{std::string(csv)};
  std::string line;
  int line_no = 0;
  std::vector<std::string> header;
  auto col = [&](const std::string& c) -> int {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == c) return static_cast<int>(i);
    }
    return -1;
  };
  int c_code = -1, c_name = -1, c_from = -1, c_to = -1, c_parity = -1, c_grades = -1,
      c_school = -1;
  while (std::getline(in, line)) {
    ++line_no;
    if (Trim(line).empty() || Trim(line)[0] == '#') continue;
    auto cells = SplitCsvLine(line);
    const std::string where = name + ":" + std::to_string(line_no) + ": ";
    if (header.empty()) {
      header = cells;
      c_code = col("street_code");
      c_name = col("street_name");
      c_from = col("from");
      c_to = col("to");
      c_parity = col("parity");
      c_grades = col("grades");
      c_school = col("school");
      for (auto [c, n] : {std::pair{c_name, "street_name"}, std::pair{c_grades, "grades"},
                          std::pair{c_school, "school"}}) {
        if (c < 0) return InvalidArgument(where + "header lacks the column '" + n + "'");
      }
      continue;
    }
    if (cells.size() != header.size()) {
      return InvalidArgument(where + "has " + std::to_string(cells.size()) + " columns, the header " +
                             std::to_string(header.size()));
    }
    core::AddressRule r;
    r.row = line_no;
    if (c_code >= 0) r.street_code = cells[c_code];
    r.street_name = cells[c_name];
    if (r.street_name.empty() && r.street_code.empty()) {
      return InvalidArgument(where + "needs street_code or street_name");
    }
    if (c_from >= 0 && !ParseHouse(cells[c_from], &r.from_number, &r.from_letter)) {
      return InvalidArgument(where + "column from: '" + cells[c_from] + "' is not a house number like 12 or 12B");
    }
    if (c_to >= 0 && !ParseHouse(cells[c_to], &r.to_number, &r.to_letter)) {
      return InvalidArgument(where + "column to: '" + cells[c_to] + "' is not a house number like 12 or 12B");
    }
    if (r.from_number && r.to_number && r.to_number < r.from_number) {
      return InvalidArgument(where + "the range ends before it starts");
    }
    const std::string parity = c_parity >= 0 ? cells[c_parity] : "";
    if (parity.empty() || parity == "all") {
      r.parity = core::Parity::kAll;
    } else if (parity == "odd") {
      r.parity = core::Parity::kOdd;
    } else if (parity == "even") {
      r.parity = core::Parity::kEven;
    } else {
      return InvalidArgument(where + "column parity: '" + parity + "' must be all, odd or even");
    }
    auto span = ParseGradeSpan(cells[c_grades]);
    if (!span) return tl::unexpected(span.error().WithContext(name + ":" + std::to_string(line_no) + ": column grades"));
    r.grades = *span;
    r.school_id = cells[c_school];
    rules.push_back(std::move(r));
  }
  if (header.empty()) return InvalidArgument(name + ": the address table is empty");
  return rules;
}

namespace {

// The engine's settings under "workflow": retry policies and the durations
// the workflow reads, typed and range-checked here so that a bad value is
// an error at load with its path, not a default used silently later.
template <class Reader>
Status CheckWorkflowSettings(Reader& r, const json::object& w) {
  auto duration = [&](const json::object& o, const char* key, const std::string& path) -> Status {
    const json::value* v = o.if_contains(key);
    if (!v) return {};
    const std::string field = path + "." + key;
    if (!v->is_string()) return r.Bad(field, "must be an ISO 8601 duration such as PT30S or P7D");
    auto ms = sc::ParseDelay(std::string(v->get_string()));
    if (!ms) return r.Bad(field, ms.error().message);
    if (*ms <= 0) return r.Bad(field, "must be longer than zero");
    return {};
  };
  auto policy = [&](const json::value& v, const std::string& path) -> Status {
    if (!v.is_object()) return r.Bad(path, "must be an object");
    const json::object& o = v.get_object();
    for (const auto& member : o) {
      const std::string_view k = member.key();
      if (k != "attempts" && k != "backoff" && k != "max_backoff" && k != "timeout" && k != "lease") {
        return r.Bad(path + "." + std::string(k), "unknown setting (known: attempts, backoff, max_backoff, timeout, lease)");
      }
    }
    if (const json::value* a = o.if_contains("attempts")) {
      if (!a->is_int64() || a->get_int64() < 1 || a->get_int64() > 100) {
        return r.Bad(path + ".attempts", "must be a whole number from 1 to 100");
      }
    }
    for (const char* key : {"backoff", "max_backoff", "timeout", "lease"}) ENROL_RETURN_IF_ERROR(duration(o, key, path));
    if (o.contains("backoff") && o.contains("max_backoff")) {
      if (*sc::ParseDelay(std::string(o.at("backoff").get_string())) >
          *sc::ParseDelay(std::string(o.at("max_backoff").get_string()))) {
        return r.Bad(path + ".backoff", "is longer than max_backoff");
      }
    }
    return {};
  };
  if (const json::value* rp = w.if_contains("retry")) ENROL_RETURN_IF_ERROR(policy(*rp, "workflow.retry"));
  if (const json::value* by = w.if_contains("retry_by_type")) {
    if (!by->is_object()) return r.Bad("workflow.retry_by_type", "must be an object");
    for (const auto& member : by->get_object()) {
      ENROL_RETURN_IF_ERROR(policy(member.value(), "workflow.retry_by_type." + std::string(member.key())));
    }
  }
  // The workflow's own durations (read by its expressions as config.workflow.*).
  for (const auto& member : w) {
    const std::string_view k = member.key();
    if (k.size() > 6 && k.substr(k.size() - 6) == "_after") {
      ENROL_RETURN_IF_ERROR(duration(w, std::string(k).c_str(), "workflow"));
    }
  }
  return {};
}

}  // namespace

Result<app::Settings> LoadSettings(const std::string& path) {
  ENROL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  boost::system::error_code ec;
  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  json::value root = json::parse(text, ec, {}, opts);
  if (ec) return InvalidArgument(path + ": not valid JSON (" + ec.message() + ")");
  if (!root.is_object()) return InvalidArgument(path + ": must hold a JSON object");
  const json::object& o = root.get_object();
  JsonReader r(path);
  app::Settings s;
  s.source = path;
  core::Municipality& m = s.municipality;

  const json::object* mo = o.if_contains("municipality") ? o.at("municipality").if_object() : nullptr;
  if (!mo) return r.Bad("municipality", "missing (required object)");
  ENROL_ASSIGN_OR_RETURN(m.number, r.Str(*mo, "number", "municipality"));
  if (m.number.size() != 4 || m.number.find_first_not_of("0123456789") != std::string::npos) {
    return r.Bad("municipality.number", "must be a 4-digit kommunenummer");
  }
  ENROL_ASSIGN_OR_RETURN(m.name, r.Str(*mo, "name", "municipality"));
  ENROL_ASSIGN_OR_RETURN(m.org_number, r.Str(*mo, "org_number", "municipality", false));
  ENROL_ASSIGN_OR_RETURN(m.office_name, r.Str(*mo, "office", "municipality", false));
  ENROL_ASSIGN_OR_RETURN(m.address, r.Str(*mo, "address", "municipality", false));
  ENROL_ASSIGN_OR_RETURN(m.postnummer, r.Str(*mo, "postnummer", "municipality", false));
  ENROL_ASSIGN_OR_RETURN(m.poststed, r.Str(*mo, "poststed", "municipality", false));
  ENROL_ASSIGN_OR_RETURN(m.phone, r.Str(*mo, "phone", "municipality", false));
  ENROL_ASSIGN_OR_RETURN(m.email, r.Str(*mo, "email", "municipality", false));

  if (const json::value* reg = o.if_contains("register")) {
    if (!reg->is_object()) return r.Bad("register", "must be an object");
    ENROL_ASSIGN_OR_RETURN(s.national_ids.accept_synthetic,
                           r.Bool(reg->get_object(), "accept_synthetic_ids", "register"));
    ENROL_ASSIGN_OR_RETURN(s.national_ids.strict_pre_2032,
                           r.Bool(reg->get_object(), "strict_pre_2032", "register"));
    if (const json::value* g = reg->get_object().if_contains("missing_guardian_document")) {
      if (!g->is_string() || (*g != "manual" && *g != "send_to_known")) {
        return r.Bad("register.missing_guardian_document",
                     "must be \"manual\" (the case waits for the office) or \"send_to_known\" (the decision goes "
                     "to the guardians in the extract)");
      }
      m.guardians.send_to_known_when_one_is_missing = *g == "send_to_known";
    }
  } else {
    s.national_ids.accept_synthetic = false;
  }
  if (const json::value* t = o.if_contains("transitions")) {
    if (!t->is_object()) return r.Bad("transitions", "must be an object");
    ENROL_ASSIGN_OR_RETURN(m.transitions.always_grade5,
                           r.Bool(t->get_object(), "always_grade5", "transitions"));
    ENROL_ASSIGN_OR_RETURN(m.transitions.always_grade8,
                           r.Bool(t->get_object(), "always_grade8", "transitions"));
  }

  if (const json::value* g = o.if_contains("extract_generator")) {
    const json::object* go = g->if_object();
    if (!go) return r.Bad("extract_generator", "must be an object");
    if (const json::value* sh = go->if_contains("shares")) {
      if (!sh->is_object()) return r.Bad("extract_generator.shares", "must be an object");
      for (const auto& [name, v] : sh->get_object()) {
        const std::string field = "extract_generator.shares." + std::string(name);
        if (!v.is_number()) return r.Bad(field, "must be a number between 0 and 1");
        const double share = v.to_number<double>();
        if (share < 0 || share > 1) return r.Bad(field, "must be between 0 and 1");
        s.extract_shares[std::string(name)] = share;
      }
    }
  }

  if (const json::value* w = o.if_contains("workflow")) {
    if (!w->is_object()) return r.Bad("workflow", "must be an object");
    ENROL_RETURN_IF_ERROR(CheckWorkflowSettings(r, w->get_object()));
    s.workflow_config = *w;
    if (const auto* def = w->get_object().if_contains("definition")) {
      if (!def->is_string()) return r.Bad("workflow.definition", "must be a file name");
      std::filesystem::path f(std::string(def->get_string()));
      if (f.is_relative()) f = std::filesystem::path(path).parent_path() / f;
      s.workflow_file = f.lexically_normal().string();
    }
  }
  if (const json::value* l = o.if_contains("letters")) {
    if (!l->is_object()) return r.Bad("letters", "must be an object");
    s.letters_config = *l;
    auto resolve = [&](const char* key) -> Result<std::string> {
      const json::value* v = l->get_object().if_contains(key);
      if (!v) return std::string();
      if (!v->is_string()) return r.Bad(std::string("letters.") + key, "must be a file or folder name");
      std::filesystem::path f(std::string(v->get_string()));
      if (f.is_relative()) f = std::filesystem::path(path).parent_path() / f;
      return f.lexically_normal().string();
    };
    ENROL_ASSIGN_OR_RETURN(s.letter_templates, resolve("templates"));
    ENROL_ASSIGN_OR_RETURN(std::string logo, resolve("logo"));
    if (!logo.empty()) s.letters_config.get_object()["logo"] = logo;
    if (const auto* d = l->get_object().if_contains("first_school_day")) {
      if (!d->is_string() || !core::ParseIsoDate(std::string(d->get_string()))) {
        return r.Bad("letters.first_school_day", "must be a date (YYYY-MM-DD)");
      }
    }
    if (const auto* n = l->get_object().if_contains("reply_days")) {
      if (!n->is_int64()) return r.Bad("letters.reply_days", "must be a whole number of days");
      if (n->get_int64() < 1 || n->get_int64() > 365) return r.Bad("letters.reply_days", "must be 1 to 365 days");
    }
    if (!logo.empty()) {
      // Only PNG is drawn (cairo): a logo that is not one would be left out silently.
      std::ifstream in(logo, std::ios::binary);
      char magic[8] = {};
      in.read(magic, 8);
      if (!in || std::string(magic, 8) != std::string("\x89PNG\r\n\x1a\n", 8)) {
        return r.Bad("letters.logo", logo + " is not a readable PNG image");
      }
    }
    for (const char* key : {"legal_basis", "signature"}) {
      if (const auto* v = l->get_object().if_contains(key); v && !v->is_string()) {
        return r.Bad(std::string("letters.") + key, "must be text");
      }
    }
  }
  if (const json::value* c = o.if_contains("connectors")) {
    if (!c->is_object()) return r.Bad("connectors", "must be an object");
    s.connectors_config = *c;
  }

  if (const json::value* w = o.if_contains("web")) {
    if (!w->is_object()) return r.Bad("web", "must be an object");
    for (const auto& [k, v] : w->get_object()) {
      const std::string key(k), field = "web." + key;
      if (key == "idle_minutes" || key == "absolute_hours" || key == "hourly_cost" || key == "manual_minutes") {
        if (!v.is_number()) return r.Bad(field, "must be a number");
        const double d = v.to_number<double>();
        if (!(d > 0) || d > 1e6) return r.Bad(field, "must be above 0 and at most 1000000");
        if (key == "idle_minutes") s.web.idle_minutes = static_cast<int64_t>(d);
        if (key == "absolute_hours") s.web.absolute_hours = static_cast<int64_t>(d);
        if (key == "hourly_cost") s.web.hourly_cost = d;
        if (key == "manual_minutes") s.web.manual_minutes = d;
      } else if (key == "tls_certificate" || key == "tls_key") {
        if (!v.is_string() || v.get_string().empty()) return r.Bad(field, "must be a file name");
        std::filesystem::path f(std::string(v.get_string()));
        if (f.is_relative()) f = std::filesystem::path(path).parent_path() / f;
        (key == "tls_key" ? s.web.tls_key : s.web.tls_certificate) = f.string();
      } else {
        return r.Bad(field, "unknown setting (known: idle_minutes, absolute_hours, hourly_cost, manual_minutes, "
                            "tls_certificate, tls_key)");
      }
    }
    if (s.web.tls_key.empty() != s.web.tls_certificate.empty()) {
      return r.Bad("web", "tls_certificate and tls_key go together");
    }
  }

  const json::array* schools = o.if_contains("schools") ? o.at("schools").if_array() : nullptr;
  if (!schools || schools->empty()) return r.Bad("schools", "missing (a non-empty array is required)");
  std::set<std::string> ids;
  for (size_t i = 0; i < schools->size(); ++i) {
    const std::string p = "schools[" + std::to_string(i) + "]";
    const json::object* so = (*schools)[i].if_object();
    if (!so) return r.Bad(p, "must be an object");
    core::School sc;
    ENROL_ASSIGN_OR_RETURN(sc.id, r.Str(*so, "id", p));
    ENROL_ASSIGN_OR_RETURN(sc.name, r.Str(*so, "name", p));
    ENROL_ASSIGN_OR_RETURN(sc.org_number, r.Str(*so, "org_number", p));
    if (sc.org_number.size() != 9 || sc.org_number.find_first_not_of("0123456789") != std::string::npos) {
      return r.Bad(p + ".org_number", "must be a 9-digit organisation number");
    }
    ENROL_ASSIGN_OR_RETURN(sc.address, r.Str(*so, "address", p));
    ENROL_ASSIGN_OR_RETURN(sc.postnummer, r.Str(*so, "postnummer", p, false));
    ENROL_ASSIGN_OR_RETURN(sc.poststed, r.Str(*so, "poststed", p, false));
    ENROL_ASSIGN_OR_RETURN(sc.phone, r.Str(*so, "phone", p, false));
    ENROL_ASSIGN_OR_RETURN(sc.email, r.Str(*so, "email", p, false));
    ENROL_ASSIGN_OR_RETURN(std::string grades, r.Str(*so, "grades", p));
    auto span = ParseGradeSpan(grades);
    if (!span) return r.Bad(p + ".grades", span.error().message);
    sc.grades = *span;
    ENROL_ASSIGN_OR_RETURN(std::string lang, r.Str(*so, "language", p));
    if (lang == "bokmaal" || lang == "bokmål") {
      sc.language = core::LanguageForm::kBokmaal;
    } else if (lang == "nynorsk") {
      sc.language = core::LanguageForm::kNynorsk;
    } else {
      return r.Bad(p + ".language", "'" + lang + "' must be bokmaal or nynorsk");
    }
    if (!ids.insert(sc.id).second) return r.Bad(p + ".id", "school id '" + sc.id + "' is used twice");
    m.schools.push_back(std::move(sc));
  }

  auto check_school = [&](const std::string& where, const std::string& id,
                          const core::GradeSpan& g) -> Status {
    const core::School* sc = m.FindSchool(id);
    if (!sc) return InvalidArgument(where + ": unknown school '" + id + "'");
    if (!sc->grades.Contains(g.first) || !sc->grades.Contains(g.last)) {
      return InvalidArgument(where + ": school " + id + " serves grades " +
                             std::to_string(sc->grades.first) + "-" +
                             std::to_string(sc->grades.last) + ", not " +
                             std::to_string(g.first) + "-" + std::to_string(g.last));
    }
    return {};
  };

  if (const json::value* at = o.if_contains("address_table")) {
    if (!at->is_string()) return r.Bad("address_table", "must be a file name");
    std::filesystem::path table(std::string(at->get_string()));
    if (table.is_relative()) table = std::filesystem::path(path).parent_path() / table;
    ENROL_ASSIGN_OR_RETURN(std::string csv, ReadFile(table.string()));
    ENROL_ASSIGN_OR_RETURN(m.address_rules, ParseAddressTable(csv, table.string()));
    for (const core::AddressRule& rule : m.address_rules) {
      ENROL_RETURN_IF_ERROR(check_school(table.string() + ":" + std::to_string(rule.row) +
                                             ": column school",
                                         rule.school_id, rule.grades));
    }
  }
  if (const json::value* sk = o.if_contains("skolekrets")) {
    if (!sk->is_array()) return r.Bad("skolekrets", "must be an array");
    for (size_t i = 0; i < sk->get_array().size(); ++i) {
      const std::string p = "skolekrets[" + std::to_string(i) + "]";
      const json::object* ko = sk->get_array()[i].if_object();
      if (!ko) return r.Bad(p, "must be an object");
      core::SkolekretsRule rule;
      const json::value* code = ko->if_contains("skolekrets");
      if (!code || !code->is_int64()) return r.Bad(p + ".skolekrets", "must be a whole number");
      rule.skolekrets = static_cast<long>(code->get_int64());
      ENROL_ASSIGN_OR_RETURN(std::string grades, r.Str(*ko, "grades", p));
      auto span = ParseGradeSpan(grades);
      if (!span) return r.Bad(p + ".grades", span.error().message);
      rule.grades = *span;
      ENROL_ASSIGN_OR_RETURN(rule.school_id, r.Str(*ko, "school", p));
      ENROL_RETURN_IF_ERROR(check_school(path + ": " + p + ".school", rule.school_id, rule.grades));
      m.skolekrets_rules.push_back(std::move(rule));
    }
  }
  return s;
}

}  // namespace enrol::config
