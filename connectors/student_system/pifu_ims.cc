#include "connectors/student_system/pifu_ims.h"

#include <pugixml.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <boost/json.hpp>

#include "connectors/files/durable_file.h"

namespace enrol::sis {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char* kNs = "http://pifu.no/xsd/pifu-ims_sas/pifu-ims_sas-v1";

void Text(pugi::xml_node parent, const char* name, const std::string& value) {
  parent.append_child(name).text().set(value.c_str());
}
void SourcedId(pugi::xml_node parent, const std::string& source, const std::string& id) {
  pugi::xml_node s = parent.append_child("sourcedid");
  Text(s, "source", source);
  Text(s, "id", id);
}
void Name(pugi::xml_node person, const app::RosterPerson& p) {
  pugi::xml_node name = person.append_child("name");
  std::string given = p.given_name + (p.middle_name.empty() ? "" : " " + p.middle_name);
  Text(name, "fn", given + " " + p.family_name);
  pugi::xml_node n = name.append_child("n");
  Text(n, "family", p.family_name);
  Text(n, "given", given);
}
pugi::xml_node Group(pugi::xml_node root, const std::string& source, const std::string& id, const char* scheme,
                     const char* level, const char* type, const std::string& short_name) {
  pugi::xml_node g = root.append_child("group");
  g.append_attribute("recstatus") = "2";
  SourcedId(g, source, id);
  pugi::xml_node gt = g.append_child("grouptype");
  Text(gt, "scheme", scheme);
  pugi::xml_node tv = gt.append_child("typevalue");
  tv.append_attribute("level") = level;
  tv.text().set(type);
  Text(g.append_child("description"), "short", short_name.substr(0, 60));
  return g;
}
void Parent(pugi::xml_node group, const std::string& source, const std::string& id, const std::string& label) {
  pugi::xml_node r = group.append_child("relationship");
  r.append_attribute("relation") = "1";
  SourcedId(r, source, id);
  Text(r, "label", label.substr(0, 128));
}
void Membership(pugi::xml_node root, const std::string& source, const std::string& group, const std::string& pupil,
                bool active, const std::string& since) {
  pugi::xml_node m = root.append_child("membership");
  SourcedId(m, source, group);
  pugi::xml_node member = m.append_child("member");
  SourcedId(member, source, pupil);
  Text(member, "idtype", "1");
  pugi::xml_node role = member.append_child("role");
  role.append_attribute("recstatus") = "2";
  role.append_attribute("roletype") = "01";
  Text(role, "status", active ? "1" : "0");
  Text(role, "datetime", since);
}

}  // namespace

std::string BuildPifuDocument(const app::RosterEnrolment& e, const PifuSettings& s) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("enterprise");
  root.append_attribute("xmlns") = kNs;
  pugi::xml_node props = root.append_child("properties");
  props.append_attribute("lang") = "no";
  Text(props, "comments", "Skoleplass " + std::to_string(e.school_year) + "/" + std::to_string(e.school_year + 1) +
                              " fra enrol");
  Text(props, "datasource", s.source);
  Text(props, "type", "delta");
  Text(props, "datetime", e.modified.substr(0, 19));

  pugi::xml_node pupil = root.append_child("person");
  pupil.append_attribute("recstatus") = "2";
  SourcedId(pupil, s.source, e.pupil.sourced_id);
  Name(pupil, e.pupil);
  if (!e.guardians.empty()) {
    pugi::xml_node ext = pupil.append_child("extension");
    for (const app::RosterPerson& g : e.guardians) {
      pugi::xml_node c = ext.append_child("pifu_hasContactPerson");
      c.append_attribute("type") = "guardian";
      SourcedId(c, s.source, g.sourced_id);
    }
  }
  for (const app::RosterPerson& g : e.guardians) {
    pugi::xml_node p = root.append_child("person");
    p.append_attribute("recstatus") = "2";
    SourcedId(p, s.source, g.sourced_id);
    Name(p, g);
  }
  const std::string owner = "skoleeier-" + s.kommunenummer;
  pugi::xml_node kommune = Group(root, s.source, owner, "pifu-ims-go-org", "1", "skoleeier", s.kommune_name);
  Parent(kommune, s.source, owner, s.kommune_name);
  pugi::xml_node school = Group(root, s.source, e.school_id, "pifu-ims-go-org", "2", "skole", e.school_name);
  Parent(school, s.source, owner, s.kommune_name);
  pugi::xml_node ext = school.append_child("extension");
  pugi::xml_node id = ext.append_child("pifu_id");
  id.append_attribute("type") = "organizationNumber";
  Text(id, "pifu_value", e.school_org_number);
  Text(id, "pifu_scope", "Enhetsregisteret");
  Text(id, "pifu_unique", "1");
  const std::string year = std::to_string(e.school_year) + "/" + std::to_string(e.school_year + 1);
  pugi::xml_node klass = Group(root, s.source, e.class_id, "pifu-ims-go-grp", "1", "basisgruppe",
                               std::to_string(e.grade) + ". trinn");
  pugi::xml_node tf = klass.insert_child_after("timeframe", klass.child("description"));
  Text(tf, "begin", e.begin_date);
  Text(tf, "end", e.end_date);
  Text(tf, "adminperiod", year);
  Parent(klass, s.source, e.school_id, e.school_name);
  Membership(root, s.source, e.school_id, e.pupil.sourced_id, !e.ended, e.begin_date);
  Membership(root, s.source, e.class_id, e.pupil.sourced_id, !e.ended, e.begin_date);
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

Result<json::object> PifuFolderClient::Enter(const app::RosterEnrolment& e, int64_t /*timeout_ms*/) {
  std::string stamp;
  for (char c : e.modified) {
    if (std::isdigit(static_cast<unsigned char>(c))) stamp += c;
  }
  const std::string name = "pifu-" + e.enrollment_id + "-" + stamp + ".xml";
  if (name.find('/') != std::string::npos) return InvalidArgument("the enrollment id cannot name a file");
  const fs::path folder(settings_.folder);
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return Unavailable("cannot make " + folder.string() + ": " + ec.message());
  const fs::path tmp = folder / ("." + name + ".tmp"), target = folder / name;
  ENROL_RETURN_IF_ERROR(files::WriteSynced(tmp, BuildPifuDocument(e, settings_)));
  fs::rename(tmp, target, ec);
  if (ec) return Unavailable("cannot rename " + tmp.string() + ": " + ec.message());
  files::SyncDir(folder);
  return json::object{{"protocol", "pifu-ims"},           {"file", name},
                      {"user_sourcedId", e.pupil.sourced_id}, {"school_sourcedId", e.school_id},
                      {"class_sourcedId", e.class_id},    {"status", e.ended ? "ended" : "active"}};
}

}  // namespace enrol::sis
