#include <gtest/gtest.h>

#include "engine/statechart/model.h"

namespace enrol::sc {
namespace {

std::string Doc(const std::string& body) {
  return "<scxml xmlns=\"http://www.w3.org/2005/07/scxml\" version=\"1.0\">\n" + body + "\n</scxml>";
}

TEST(ScxmlReaderTest, UnknownTargetIsReportedWithItsLine) {
  auto c = ReadScxml(Doc("<state id=\"a\">\n<transition event=\"go\" target=\"nowhere\"/>\n</state>"), nullptr);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("line 3: transition target 'nowhere' is not a state"), std::string::npos)
      << c.error().message;
}

TEST(ScxmlReaderTest, ReportsEveryErrorNotJustTheFirst) {
  std::vector<Diagnostic> problems;
  auto c = ReadScxml(Doc("<state id=\"a\">\n<transition target=\"x\"/>\n<transition cond=\"1 +\" target=\"a\"/>\n"
                         "<frobnicate/>\n</state>\n<state id=\"a\"/>"),
                     &problems);
  ASSERT_FALSE(c);
  EXPECT_EQ(problems.size(), 4u) << c.error().message;
}

TEST(ScxmlReaderTest, BadXml) {
  auto c = ReadScxml("<scxml><state id='a'></scxml>", nullptr);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("not well-formed"), std::string::npos);
  EXPECT_FALSE(ReadScxml("<statechart/>", nullptr));
  EXPECT_FALSE(ReadScxml("<scxml/>", nullptr));
}

TEST(ScxmlReaderTest, UnknownInvokeType) {
  auto c = ReadScxml(Doc("<state id=\"a\"><invoke type=\"fax\"/></state>"), nullptr, {"archive", "letters"});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("unknown invoke type 'fax' (known: archive, letters)"), std::string::npos);
}

TEST(ScxmlReaderTest, SendToAnotherTargetIsRefused) {
  auto c = ReadScxml(Doc("<state id=\"a\"><onentry><send event=\"x\" target=\"http://x\"/></onentry></state>"), nullptr);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("<invoke>"), std::string::npos);
}

TEST(ScxmlReaderTest, WarnsAboutUnreachableStatesAndTraps) {
  std::vector<Diagnostic> problems;
  auto c = ReadScxml(Doc("<state id=\"a\"><transition event=\"go\" target=\"trap\"/></state>\n"
                         "<state id=\"trap\"><state id=\"t1\"/></state>\n<state id=\"island\"/>\n"
                         "<state id=\"b\"><transition cond=\"In('ghost')\" target=\"a\"/></state>"),
                     &problems);
  ASSERT_TRUE(c) << c.error().message;
  std::string all;
  for (const auto& p : problems) all += std::to_string(p.line) + ": " + p.message + "\n";
  EXPECT_NE(all.find("'island' cannot be reached"), std::string::npos) << all;
  EXPECT_NE(all.find("'trap' has no way out"), std::string::npos) << all;
  EXPECT_NE(all.find("In('ghost') names no state"), std::string::npos) << all;
}

TEST(ScxmlReaderTest, HashIsTheVersion) {
  auto a = ReadScxml(Doc("<state id=\"a\"/>"), nullptr);
  auto b = ReadScxml(Doc("<state id=\"a\"/> "), nullptr);
  ASSERT_TRUE(a && b);
  EXPECT_EQ((*a)->hash.size(), 64u);
  EXPECT_NE((*a)->hash, (*b)->hash);
}

TEST(DelayTest, ParsesScxmlAndIsoDurations) {
  EXPECT_EQ(*ParseDelay("500ms"), 500);
  EXPECT_EQ(*ParseDelay("2s"), 2000);
  EXPECT_EQ(*ParseDelay("1.5min"), 90000);
  EXPECT_EQ(*ParseDelay("3h"), 3 * 3600000);
  EXPECT_EQ(*ParseDelay("14d"), 14LL * 86400000);
  EXPECT_EQ(*ParseDelay("P14D"), 14LL * 86400000);
  EXPECT_EQ(*ParseDelay("P1W"), 7LL * 86400000);
  EXPECT_EQ(*ParseDelay("PT2H30M"), 9000000);
  EXPECT_EQ(*ParseDelay("P1DT12H"), 36LL * 3600000);
  EXPECT_EQ(*ParseDelay("PT0.5S"), 500);
  EXPECT_FALSE(ParseDelay("P1M"));
  EXPECT_NE(ParseDelay("P1Y").error().message.find("months and years"), std::string::npos);
  EXPECT_FALSE(ParseDelay("soon"));
  EXPECT_FALSE(ParseDelay("P"));
  EXPECT_FALSE(ParseDelay("5 weeks"));
}


std::string EnrolDoc(const std::string& body) {
  return "<scxml xmlns=\"http://www.w3.org/2005/07/scxml\" xmlns:enrol=\"urn:enrol:workflow:1\" version=\"1.0\">\n" +
         body + "\n</scxml>";
}

bool Reports(const std::vector<Diagnostic>& problems, const std::string& text) {
  for (const auto& p : problems) {
    if (p.message.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ScxmlReaderTest, PersonEventsAreReadWithStatesAndFields) {
  std::vector<Diagnostic> problems;
  auto c = ReadScxml(EnrolDoc(R"(<enrol:person-events>
      <enrol:event name="go" in="a"><enrol:field name="why" type="text" required="true" maxlength="20"/></enrol:event>
    </enrol:person-events>
    <state id="a"><transition event="go" target="b"/></state><final id="b"/>)"),
                     &problems);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(problems.empty()) << problems.front().message;
  const PersonEventSpec* go = (*c)->PersonEvent("go");
  ASSERT_NE(go, nullptr);
  ASSERT_EQ(go->fields.size(), 1u);
  EXPECT_TRUE(go->fields[0].required);
  EXPECT_EQ(go->fields[0].max_length, 20);
  EXPECT_EQ((*c)->states[go->states.at(0)].id, "a");
}

TEST(ScxmlReaderTest, EngineEventsCannotBeDeclaredForPeople) {
  std::vector<Diagnostic> problems;
  auto c = ReadScxml(EnrolDoc(R"(<enrol:person-events>
      <enrol:event name="done.invoke.x" in="a"/><enrol:event name="ok" in="nowhere"/>
      <enrol:event name="t" in="a"><enrol:field name="f" type="colour"/></enrol:event>
    </enrol:person-events><state id="a"/>)"),
                     &problems);
  ASSERT_FALSE(c);
  EXPECT_TRUE(Reports(problems, "done.* events come only from the engine"));
  EXPECT_TRUE(Reports(problems, "in= names 'nowhere'"));
  EXPECT_TRUE(Reports(problems, "field type 'colour' is not known"));
}

TEST(ScxmlReaderTest, CheckReportsUnhandledInvokesTrapsAndUndeclaredEvents) {
  std::vector<Diagnostic> problems;
  auto c = ReadScxml(EnrolDoc(R"(<enrol:person-events><enrol:event name="never" in="w"/></enrol:person-events>
    <state id="w"><invoke id="job" type="t"/><transition event="done.invoke.job" target="trap"/>
      <transition event="poke" target="end"/></state>
    <state id="trap"><transition event="done.invoke.other" target="trap"/></state>
    <final id="end"/>)"),
                     &problems);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(Reports(problems, "does not handle error.communication of invoke 'job'"));
  EXPECT_TRUE(Reports(problems, "no final state can be reached from state 'trap'"));
  EXPECT_TRUE(Reports(problems, "event 'poke' is neither a declared person event"));
  EXPECT_TRUE(Reports(problems, "person event 'never' is accepted in 'w' but no transition there takes it"));
  EXPECT_FALSE(Reports(problems, "from state 'w'"));
}

// Hostile definitions: each is refused with a reason, none crashes.
TEST(ScxmlReaderTest, HostileDefinitionsAreRefusedWithAReason) {
  auto refused = [](const std::string& text, const std::string& what) {
    std::vector<Diagnostic> problems;
    auto c = ReadScxml(text, &problems);
    ASSERT_FALSE(c) << text.substr(0, 80);
    std::string all = c.error().message;
    for (const auto& p : problems) all += "\n" + p.message;
    EXPECT_NE(all.find(what), std::string::npos) << all.substr(0, 400);
  };
  std::string deep, undeep;
  for (int i = 0; i < 100000; ++i) {
    deep += "<state id=\"s" + std::to_string(i) + "\">";
    undeep += "</state>";
  }
  refused(Doc(deep + undeep), "levels deep");
  std::string ifs = "<state id=\"a\"><onentry>";
  for (int i = 0; i < 5000; ++i) ifs += "<if cond=\"true\">";
  for (int i = 0; i < 5000; ++i) ifs += "</if>";
  refused(Doc(ifs + "</onentry></state>"), "levels deep");
  std::string wide;
  for (int i = 0; i < 30000; ++i) wide += "<state id=\"w" + std::to_string(i) + "\"/>";
  refused(Doc(wide), "elements");
  refused("", "empty");
  refused("just text", "not well-formed");
  refused(Doc("<state id=\"a\"><onentry><send event=\"t\" delay=\"99999999999999999999d\"/></onentry>"
              "<transition event=\"t\" target=\"f\"/></state><final id=\"f\"/>"),
          "366 days");
  refused(Doc("<state id=\"a\"><onentry><send event=\"t\" delay=\"P400D\"/></onentry>"
              "<transition event=\"t\" target=\"f\"/></state><final id=\"f\"/>"),
          "366 days");
  refused(Doc("<state id=\"p\"><history id=\"h\"><transition target=\"h\"/></history>"
              "<state id=\"a\"><transition event=\"go\" target=\"f\"/></state></state><final id=\"f\"/>"),
          "history 'h'");
  std::string nots;
  for (int i = 0; i < 100000; ++i) nots += "not ";
  refused(Doc("<state id=\"a\"><transition cond=\"" + nots + "true\" target=\"f\"/></state><final id=\"f\"/>"),
          "characters");
  EXPECT_EQ(*ParseDelay("P366D"), 366LL * 86400 * 1000);
}

}  // namespace
}  // namespace enrol::sc
