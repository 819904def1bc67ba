#include "engine/app/person_events.h"

#include <algorithm>

#include "engine/core/text.h"

namespace enrol::app {
namespace json = boost::json;

namespace {

// Code points in a UTF-8 string, or -1 when it is not valid UTF-8 or holds
// a control character (also tab and newline).
int64_t CleanLength(std::string_view s) {
  const core::Utf8Scan scan = core::ScanUtf8(s);
  if (!scan.valid || scan.control) return -1;
  return static_cast<int64_t>(scan.chars);
}

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int month = (s[5] - '0') * 10 + (s[6] - '0');
  const int day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

}  // namespace

bool IsEngineEvent(const std::string& name) { return sc::IsEngineEventName(name); }

std::vector<const sc::PersonEventSpec*> AcceptedPersonEvents(const sc::Chart& chart, const sc::Instance& inst) {
  std::vector<const sc::PersonEventSpec*> out;
  if (!inst.running) return out;
  for (const sc::PersonEventSpec& spec : chart.person_events) {
    const bool accepted = std::any_of(spec.states.begin(), spec.states.end(), [&](int s) { return inst.Active(s); });
    if (accepted) out.push_back(&spec);
  }
  return out;
}

std::vector<const sc::PersonEventSpec*> AcceptedPersonEvents(const sc::Chart& chart, std::string_view atomic) {
  std::vector<bool> active(chart.states.size(), false);
  size_t i = 0;
  while (i < atomic.size()) {
    const size_t j = std::min(atomic.find(' ', i), atomic.size());
    for (int s = chart.Find(std::string(atomic.substr(i, j - i))); s > 0; s = chart.states[s].parent) active[s] = true;
    i = j + 1;
  }
  std::vector<const sc::PersonEventSpec*> out;
  for (const sc::PersonEventSpec& spec : chart.person_events) {
    if (std::any_of(spec.states.begin(), spec.states.end(), [&](int s) { return active[s]; })) out.push_back(&spec);
  }
  return out;
}

std::string DescribePersonEvents(const std::vector<const sc::PersonEventSpec*>& events) {
  if (events.empty()) return "none";
  std::string out;
  for (const sc::PersonEventSpec* e : events) {
    out += (out.empty() ? "" : ", ") + e->name;
    std::string fields;
    for (const sc::PersonField& f : e->fields) {
      fields += (fields.empty() ? "" : ", ") + (f.required ? f.name : "[" + f.name + "]");
    }
    if (!fields.empty()) out += " (" + fields + ")";
  }
  return out;
}

Result<json::object> CheckPersonEventData(const sc::PersonEventSpec& spec, const json::value& data,
                                          const core::Municipality& municipality, int grade) {
  if (!data.is_null() && !data.is_object()) return InvalidArgument("the data of '" + spec.name + "' must be a JSON object");
  const json::object empty;
  const json::object& in = data.is_object() ? data.get_object() : empty;
  for (const auto& member : in) {
    const std::string_view key = member.key();
    const bool known = std::any_of(spec.fields.begin(), spec.fields.end(),
                                   [&](const sc::PersonField& f) { return f.name == key; });
    if (!known) {
      std::string names;
      for (const auto& f : spec.fields) names += (names.empty() ? "" : ", ") + f.name;
      return InvalidArgument("'" + spec.name + "' takes no field '" + std::string(key) + "' (it takes: " +
                             (names.empty() ? "no data" : names) + ")");
    }
  }
  json::object out;
  for (const sc::PersonField& f : spec.fields) {
    const json::value* v = in.if_contains(f.name);
    if (!v || v->is_null()) {
      if (f.required) return InvalidArgument("'" + spec.name + "' needs " + f.name + " (" + f.type + ")");
      continue;
    }
    const std::string where = "'" + spec.name + "' field " + f.name;
    if (f.type == "boolean") {
      if (!v->is_bool()) return InvalidArgument(where + " must be true or false");
    } else if (!v->is_string()) {
      return InvalidArgument(where + " must be a string");
    } else {
      const std::string_view text = v->get_string();
      if (f.type == "text") {
        const int64_t n = CleanLength(text);
        if (n < 0) return InvalidArgument(where + " must be UTF-8 text without control characters or line breaks");
        if (n == 0 && f.required) return InvalidArgument(where + " must not be empty");
        if (n > f.max_length) {
          return InvalidArgument(where + " is " + std::to_string(n) + " characters; at most " +
                                 std::to_string(f.max_length) + " are allowed");
        }
      } else if (f.type == "date") {
        if (!IsDate(text)) return InvalidArgument(where + " must be a date YYYY-MM-DD");
      } else if (f.type == "school") {
        const auto it = std::find_if(municipality.schools.begin(), municipality.schools.end(),
                                     [&](const core::School& s) { return s.id == text; });
        if (it == municipality.schools.end()) {
          return InvalidArgument(where + ": there is no school '" +
                                 std::string(text.substr(0, 20)) + "' (see the schools in the configuration)");
        }
        if (grade && !it->grades.Contains(grade)) {
          return InvalidArgument(where + ": school " + it->id + " does not teach grade " + std::to_string(grade));
        }
      }
    }
    out[f.name] = *v;
  }
  return out;
}

}  // namespace enrol::app
