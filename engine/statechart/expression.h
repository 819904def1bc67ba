#pragma once
// The expression language of workflow conditions and values.
//
//   literals     12  3.5  'text'  "text"  true  false  null
//   paths        grade   _event.name   _event.data.school   config.reminder_after
//   operators    == != < <= > >=   + - * /   and or not   ( )
//   functions    In('state_id')   exists(path)   len(value)
//
// Values are JSON values. `and`/`or` short-circuit. Comparing values of
// different types is false for == and an error for < <= > >=. A path that
// does not exist is an error (use exists(path) to test first). Errors never
// throw: Evaluate returns them, and the interpreter raises error.execution.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "engine/core/result.h"

namespace enrol::sc {

struct ExprNode;

class Expression {
 public:
  Expression() = default;
  // Compiles `text`; kInvalidArgument with the column on a syntax error.
  [[nodiscard]] static Result<Expression> Parse(std::string_view text);

  [[nodiscard]] bool empty() const { return root_ == nullptr; }
  [[nodiscard]] const std::string& text() const { return text_; }

  // What an expression may read.
  struct Scope {
    const boost::json::object* data = nullptr;   // the case's data model
    const boost::json::value* event = nullptr;   // _event, or null
    const boost::json::value* config = nullptr;  // config (read-only), or null
    std::function<bool(std::string_view)> in_state;
  };
  [[nodiscard]] Result<boost::json::value> Evaluate(const Scope& scope) const;
  // Evaluates and requires a boolean.
  [[nodiscard]] Result<bool> EvaluateCondition(const Scope& scope) const;
  // State ids named in In('...') calls (for the checker).
  [[nodiscard]] std::vector<std::string> StatesReferenced() const;

 private:
  std::shared_ptr<const ExprNode> root_;
  std::string text_;
};

}  // namespace enrol::sc
