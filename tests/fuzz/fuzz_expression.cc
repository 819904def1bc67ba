// libFuzzer target: the expression parser and evaluator, on a small data
// model with strings, numbers, arrays and an event.
#include <cstdint>
#include <string_view>

#include <boost/json.hpp>

#include "engine/statechart/expression.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto expr = enrol::sc::Expression::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!expr) return 0;
  static const boost::json::object model = boost::json::parse(
      R"({"school":"S01","grade":1,"rejections":2,"s":"ab","list":[1,2,3],"o":{"k":true},"n":null})").as_object();
  static const boost::json::value event = boost::json::parse(R"({"name":"approve","data":{"reason":"x","n":9}})");
  static const boost::json::value config = boost::json::parse(R"({"letters":{"reply_days":21}})");
  enrol::sc::Expression::Scope scope;
  scope.data = &model;
  scope.event = &event;
  scope.config = &config;
  scope.in_state = [](std::string_view s) { return s == "active"; };
  auto v = expr->Evaluate(scope);
  (void)v;
  return 0;
}
