#include "engine/statechart/expression.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace enrol::sc {
namespace {

namespace json = boost::json;

Result<json::value> Eval(const std::string& text, const json::object& data = {},
                         const json::value* event = nullptr) {
  auto e = Expression::Parse(text);
  if (!e) return tl::unexpected(e.error());
  Expression::Scope scope;
  scope.data = &data;
  scope.event = event;
  scope.in_state = [](std::string_view id) { return id == "awaiting_approval"; };
  return e->Evaluate(scope);
}

TEST(ExpressionTest, LiteralsAndArithmetic) {
  EXPECT_EQ(*Eval("1 + 2 * 3"), json::value(7));
  EXPECT_EQ(*Eval("(1 + 2) * 3"), json::value(9));
  EXPECT_EQ(*Eval("7 / 2"), json::value(3.5));
  EXPECT_EQ(*Eval("-3 + 1"), json::value(-2));
  EXPECT_EQ(*Eval("'a' + \"b\""), json::value("ab"));
  EXPECT_EQ(*Eval("null"), json::value(nullptr));
}

TEST(ExpressionTest, ComparisonsAndLogic) {
  const json::object data = {{"grade", 1}, {"protected", false}, {"school", "S01"}};
  EXPECT_EQ(*Eval("grade == 1 and not protected", data), json::value(true));
  EXPECT_EQ(*Eval("grade >= 5 or school == 'S01'", data), json::value(true));
  EXPECT_EQ(*Eval("grade != 1 || protected", data), json::value(false));
  EXPECT_EQ(*Eval("!protected && grade < 2", data), json::value(true));
  EXPECT_EQ(*Eval("1 == 1.0"), json::value(true));
  EXPECT_EQ(*Eval("'1' == 1"), json::value(false));
  EXPECT_EQ(*Eval("'abc' < 'abd'"), json::value(true));
}

TEST(ExpressionTest, ShortCircuitAvoidsErrors) {
  EXPECT_EQ(*Eval("false and missing == 1"), json::value(false));
  EXPECT_EQ(*Eval("true or missing == 1"), json::value(true));
}

TEST(ExpressionTest, EventAndFunctions) {
  const json::value event = json::object{{"name", "approved"}, {"data", json::object{{"school", "S03"}}}};
  const json::object data = {{"letters", json::array{1, 2}}};
  EXPECT_EQ(*Eval("_event.data.school", data, &event), json::value("S03"));
  EXPECT_EQ(*Eval("In('awaiting_approval')"), json::value(true));
  EXPECT_EQ(*Eval("In('drafting')"), json::value(false));
  EXPECT_EQ(*Eval("exists(_event.data.reason)", data, &event), json::value(false));
  EXPECT_EQ(*Eval("len(letters) == 2", data), json::value(true));
}

TEST(ExpressionTest, ErrorsAreValuesNotCrashes) {
  EXPECT_NE(Eval("missing").error().message.find("'missing' is not defined"), std::string::npos);
  EXPECT_NE(Eval("1 < 'a'").error().message.find("needs numbers"), std::string::npos);
  EXPECT_NE(Eval("1 / 0").error().message.find("division by zero"), std::string::npos);
  EXPECT_NE(Eval("not 1").error().message.find("needs a boolean"), std::string::npos);
  EXPECT_NE(Eval("1 and true").error().message.find("needs booleans"), std::string::npos);
}

TEST(ExpressionTest, SyntaxErrorsNameTheColumn) {
  EXPECT_NE(Expression::Parse("grade ==").error().message.find("ends too early"), std::string::npos);
  EXPECT_NE(Expression::Parse("(1 + 2").error().message.find("missing ')'"), std::string::npos);
  EXPECT_NE(Expression::Parse("a $ b").error().message.find("column 3"), std::string::npos);
  EXPECT_NE(Expression::Parse("eval('x')").error().message.find("unknown function"), std::string::npos);
  EXPECT_NE(Expression::Parse("In(state)").error().message.find("in quotes"), std::string::npos);
  EXPECT_NE(Expression::Parse("'open").error().message.find("unterminated"), std::string::npos);
}

TEST(ExpressionTest, ConditionMustBeBoolean) {
  auto e = Expression::Parse("1 + 1");
  Expression::Scope scope;
  EXPECT_NE(e->EvaluateCondition(scope).error().message.find("not a boolean"), std::string::npos);
}

// Hostile expressions: out-of-range literals, overflow, deep nesting, long
// chains and growing strings are errors, never wrapped values or a crash.
// (The first came from fuzz_expression: 99999999999999999999 was cast to a
// 64-bit integer, which is undefined behaviour.)
TEST(ExpressionTest, HostileExpressionsAreErrors) {
  auto fails = [](const std::string& text, const std::string& what) {
    auto v = Eval(text);
    ASSERT_FALSE(v) << text.substr(0, 60);
    EXPECT_NE(v.error().message.find(what), std::string::npos) << v.error().message;
  };
  fails("99999999999999999999", "out of range");
  fails("9223372036854775807 + 1", "overflow");
  fails("-9223372036854775807 - 2", "overflow");
  fails("4611686018427387904 * 2", "overflow");
  fails("1.2.3", "not a number");
  fails("1" + std::string(400, '0') + ".5 * 10", "out of range");
  fails(std::string(10000, '(') + "1" + std::string(10000, ')'), "characters");
  fails(std::string(1000, '(') + "1" + std::string(1000, ')'), "nested");
  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "not ";
  fails(nots + "true", "nested");
  std::string sum = "1";
  for (int i = 0; i < 1500; ++i) sum += "+1";
  fails(sum, "operators and operands");
  json::object data;
  data["s"] = std::string(40000, 'x');
  auto v = Eval("s + s", data);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("65536"), std::string::npos) << v.error().message;
  EXPECT_EQ(*Eval("9223372036854775806 + 1"), json::value(INT64_MAX));
}

}  // namespace
}  // namespace enrol::sc
