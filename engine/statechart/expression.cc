#include "engine/statechart/expression.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <boost/json.hpp>

namespace enrol::sc {
namespace json = boost::json;

struct ExprNode {
  enum Kind { kLiteral, kPath, kNot, kNeg, kBinary, kCall } kind = kLiteral;
  json::value literal;
  std::vector<std::string> path;
  std::string op;  // binary operator or function name
  std::vector<std::shared_ptr<const ExprNode>> kids;
};

namespace {

using Node = std::shared_ptr<const ExprNode>;

struct Token {
  enum Kind { kEnd, kNumber, kString, kIdent, kOp } kind = kEnd;
  std::string text;
  double number = 0;
  int64_t integer = 0;
  bool is_integer = false;
  size_t column = 0;
};

// Bounds: the text, the operators and operands in it, and how deeply they
// nest (so that neither parsing nor evaluation can run out of stack).
constexpr size_t kMaxExpressionChars = 4096;
constexpr int kMaxExpressionNodes = 1000;
constexpr int kMaxExpressionDepth = 64;
// The longest string an expression may make (by +).
constexpr size_t kMaxStringBytes = 65536;

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<Node> ParseAll() {
    if (s_.size() > kMaxExpressionChars) {
      return InvalidArgument("an expression of " + std::to_string(s_.size()) + " characters (at most " +
                             std::to_string(kMaxExpressionChars) + ")");
    }
    ENROL_RETURN_IF_ERROR(Advance());
    ENROL_ASSIGN_OR_RETURN(Node n, Or());
    if (tok_.kind != Token::kEnd) return Bad("unexpected '" + tok_.text + "'");
    return n;
  }

 private:
  tl::unexpected<Error> Bad(const std::string& what) const {
    const std::string shown = s_.size() > 80 ? std::string(s_.substr(0, 77)) + "..." : std::string(s_);
    return InvalidArgument("expression '" + shown + "', column " +
                           std::to_string(tok_.column + 1) + ": " + what);
  }

  Status Advance() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    tok_ = Token{};
    tok_.column = pos_;
    if (pos_ >= s_.size()) return {};
    const char c = s_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t end = pos_;
      while (end < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[end])) || s_[end] == '.')) ++end;
      tok_.kind = Token::kNumber;
      tok_.text = std::string(s_.substr(pos_, end - pos_));
      char* stop = nullptr;
      errno = 0;
      if (tok_.text.find('.') == std::string::npos) {
        tok_.integer = std::strtoll(tok_.text.c_str(), &stop, 10);
        tok_.is_integer = true;
      } else {
        tok_.number = std::strtod(tok_.text.c_str(), &stop);
      }
      if (errno == ERANGE) return Bad("the number " + tok_.text.substr(0, 30) + " is out of range");
      if (stop != tok_.text.c_str() + tok_.text.size()) return Bad("'" + tok_.text.substr(0, 30) + "' is not a number");
      pos_ = end;
      return {};
    }
    if (c == '\'' || c == '"') {
      std::string text;
      size_t i = pos_ + 1;
      for (; i < s_.size() && s_[i] != c; ++i) {
        if (s_[i] == '\\' && i + 1 < s_.size()) ++i;
        text += s_[i];
      }
      if (i >= s_.size()) return Bad("unterminated string");
      tok_.kind = Token::kString;
      tok_.text = std::move(text);
      pos_ = i + 1;
      return {};
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t end = pos_;
      while (end < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_' || s_[end] == '.')) {
        ++end;
      }
      tok_.kind = Token::kIdent;
      tok_.text = std::string(s_.substr(pos_, end - pos_));
      pos_ = end;
      return {};
    }
    static const char* const kOps[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">", "+",
                                       "-",  "*",  "/",  "(",  ")",  ",",  "!"};
    for (const char* op : kOps) {
      const std::string_view o(op);
      if (s_.substr(pos_, o.size()) == o) {
        tok_.kind = Token::kOp;
        tok_.text = std::string(o);
        pos_ += o.size();
        return {};
      }
    }
    return Bad(std::string("unexpected character '") + c + "'");
  }

  bool IsOp(std::string_view o) const { return tok_.kind == Token::kOp && tok_.text == o; }
  bool IsWord(std::string_view w) const { return tok_.kind == Token::kIdent && tok_.text == w; }

  // Counts a node; past the bound, parsing stops.
  Status Count() {
    if (++nodes_ > kMaxExpressionNodes) {
      return Bad("more than " + std::to_string(kMaxExpressionNodes) + " operators and operands");
    }
    return {};
  }
  // One level deeper (a not, a sign, a parenthesis, a call); Leave() after.
  Status Enter() {
    if (++depth_ > kMaxExpressionDepth) {
      return Bad("nested more than " + std::to_string(kMaxExpressionDepth) + " levels deep");
    }
    return {};
  }
  void Leave() { --depth_; }

  static Node Binary(std::string op, Node l, Node r) {
    auto n = std::make_shared<ExprNode>();
    n->kind = ExprNode::kBinary;
    n->op = std::move(op);
    n->kids = {std::move(l), std::move(r)};
    return n;
  }

  Result<Node> Or() {
    ENROL_ASSIGN_OR_RETURN(Node l, And());
    while (IsWord("or") || IsOp("||")) {
      ENROL_RETURN_IF_ERROR(Advance());
      ENROL_ASSIGN_OR_RETURN(Node r, And());
      ENROL_RETURN_IF_ERROR(Count());
      l = Binary("or", l, r);
    }
    return l;
  }
  Result<Node> And() {
    ENROL_ASSIGN_OR_RETURN(Node l, Not());
    while (IsWord("and") || IsOp("&&")) {
      ENROL_RETURN_IF_ERROR(Advance());
      ENROL_ASSIGN_OR_RETURN(Node r, Not());
      ENROL_RETURN_IF_ERROR(Count());
      l = Binary("and", l, r);
    }
    return l;
  }
  Result<Node> Not() {
    if (IsWord("not") || IsOp("!")) {
      ENROL_RETURN_IF_ERROR(Advance());
      ENROL_RETURN_IF_ERROR(Enter());
      ENROL_RETURN_IF_ERROR(Count());
      ENROL_ASSIGN_OR_RETURN(Node c, Not());
      Leave();
      auto n = std::make_shared<ExprNode>();
      n->kind = ExprNode::kNot;
      n->kids = {c};
      return Node(n);
    }
    return Compare();
  }
  Result<Node> Compare() {
    ENROL_ASSIGN_OR_RETURN(Node l, Add());
    for (const char* op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (IsOp(op)) {
        ENROL_RETURN_IF_ERROR(Advance());
        ENROL_ASSIGN_OR_RETURN(Node r, Add());
        return Binary(op, l, r);
      }
    }
    return l;
  }
  Result<Node> Add() {
    ENROL_ASSIGN_OR_RETURN(Node l, Mul());
    while (IsOp("+") || IsOp("-")) {
      const std::string op = tok_.text;
      ENROL_RETURN_IF_ERROR(Advance());
      ENROL_ASSIGN_OR_RETURN(Node r, Mul());
      ENROL_RETURN_IF_ERROR(Count());
      l = Binary(op, l, r);
    }
    return l;
  }
  Result<Node> Mul() {
    ENROL_ASSIGN_OR_RETURN(Node l, Unary());
    while (IsOp("*") || IsOp("/")) {
      const std::string op = tok_.text;
      ENROL_RETURN_IF_ERROR(Advance());
      ENROL_ASSIGN_OR_RETURN(Node r, Unary());
      ENROL_RETURN_IF_ERROR(Count());
      l = Binary(op, l, r);
    }
    return l;
  }
  Result<Node> Unary() {
    if (IsOp("-")) {
      ENROL_RETURN_IF_ERROR(Advance());
      ENROL_RETURN_IF_ERROR(Enter());
      ENROL_RETURN_IF_ERROR(Count());
      ENROL_ASSIGN_OR_RETURN(Node c, Unary());
      Leave();
      auto n = std::make_shared<ExprNode>();
      n->kind = ExprNode::kNeg;
      n->kids = {c};
      return Node(n);
    }
    return Primary();
  }
  Result<Node> Primary() {
    ENROL_RETURN_IF_ERROR(Count());
    auto n = std::make_shared<ExprNode>();
    switch (tok_.kind) {
      case Token::kEnd:
        return Bad("expression ends too early");
      case Token::kNumber:
        if (tok_.is_integer) {
          n->literal = tok_.integer;
        } else {
          n->literal = tok_.number;
        }
        ENROL_RETURN_IF_ERROR(Advance());
        return Node(n);
      case Token::kString:
        n->literal = json::string(tok_.text);
        ENROL_RETURN_IF_ERROR(Advance());
        return Node(n);
      case Token::kOp:
        if (IsOp("(")) {
          ENROL_RETURN_IF_ERROR(Advance());
          ENROL_RETURN_IF_ERROR(Enter());
          ENROL_ASSIGN_OR_RETURN(Node inner, Or());
          Leave();
          if (!IsOp(")")) return Bad("missing ')'");
          ENROL_RETURN_IF_ERROR(Advance());
          return inner;
        }
        return Bad("unexpected '" + tok_.text + "'");
      case Token::kIdent:
        break;
    }
    const std::string word = tok_.text;
    ENROL_RETURN_IF_ERROR(Advance());
    if (word == "true" || word == "false") {
      n->literal = word == "true";
      return Node(n);
    }
    if (word == "null") return Node(n);
    if (word == "and" || word == "or" || word == "not") return Bad("'" + word + "' needs an operand");
    if (IsOp("(")) {
      if (word != "In" && word != "exists" && word != "len") {
        return Bad("unknown function '" + word + "' (known: In, exists, len)");
      }
      n->kind = ExprNode::kCall;
      n->op = word;
      ENROL_RETURN_IF_ERROR(Advance());
      if (word == "exists") {
        if (tok_.kind != Token::kIdent) return Bad("exists() takes a path");
        auto p = std::make_shared<ExprNode>();
        p->kind = ExprNode::kPath;
        p->path = SplitPath(tok_.text);
        n->kids.push_back(p);
        ENROL_RETURN_IF_ERROR(Advance());
      } else {
        ENROL_RETURN_IF_ERROR(Enter());
        ENROL_ASSIGN_OR_RETURN(Node arg, Or());
        Leave();
        n->kids.push_back(arg);
      }
      if (!IsOp(")")) return Bad("missing ')' after the argument of " + word);
      ENROL_RETURN_IF_ERROR(Advance());
      if (word == "In" && (n->kids[0]->kind != ExprNode::kLiteral || !n->kids[0]->literal.is_string())) {
        return Bad("In() takes a state id in quotes, e.g. In('awaiting_approval')");
      }
      return Node(n);
    }
    n->kind = ExprNode::kPath;
    n->path = SplitPath(word);
    for (const auto& part : n->path) {
      if (part.empty()) return Bad("path '" + word + "' has an empty part");
    }
    return Node(n);
  }

  static std::vector<std::string> SplitPath(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
      const size_t dot = s.find('.', start);
      out.push_back(s.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return out;
  }

  int nodes_ = 0;
  int depth_ = 0;
  std::string_view s_;
  size_t pos_ = 0;
  Token tok_;
};

std::string Joined(const std::vector<std::string>& path) {
  std::string s;
  for (const auto& p : path) s += (s.empty() ? "" : ".") + p;
  return s;
}

const json::value* Lookup(const Expression::Scope& scope, const std::vector<std::string>& path) {
  const json::value* v = nullptr;
  size_t i = 0;
  if (path[0] == "_event") {
    v = scope.event;
    i = 1;
  } else if (path[0] == "config" && scope.config) {
    v = scope.config;
    i = 1;
  } else if (scope.data) {
    v = scope.data->if_contains(path[0]);
    i = 1;
  }
  for (; v && i < path.size(); ++i) {
    const json::object* o = v->if_object();
    v = o ? o->if_contains(path[i]) : nullptr;
  }
  return v;
}

std::string_view TypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::string: return "string";
    case json::kind::object: return "object";
    case json::kind::array: return "array";
    default: return "number";
  }
}

Result<json::value> Eval(const ExprNode& n, const Expression::Scope& scope) {
  switch (n.kind) {
    case ExprNode::kLiteral:
      return n.literal;
    case ExprNode::kPath: {
      const json::value* v = Lookup(scope, n.path);
      if (!v) return InvalidArgument("'" + Joined(n.path) + "' is not defined");
      return *v;
    }
    case ExprNode::kNot: {
      ENROL_ASSIGN_OR_RETURN(json::value v, Eval(*n.kids[0], scope));
      if (!v.is_bool()) return InvalidArgument("'not' needs a boolean, got " + std::string(TypeName(v)));
      return json::value(!v.get_bool());
    }
    case ExprNode::kNeg: {
      ENROL_ASSIGN_OR_RETURN(json::value v, Eval(*n.kids[0], scope));
      if (v.is_int64()) {
        if (v.get_int64() == INT64_MIN) return InvalidArgument("integer overflow in '-'");
        return json::value(-v.get_int64());
      }
      if (v.is_number()) return json::value(-v.to_number<double>());
      return InvalidArgument("'-' needs a number, got " + std::string(TypeName(v)));
    }
    case ExprNode::kCall: {
      if (n.op == "exists") return json::value(Lookup(scope, n.kids[0]->path) != nullptr);
      ENROL_ASSIGN_OR_RETURN(json::value arg, Eval(*n.kids[0], scope));
      if (n.op == "In") {
        return json::value(scope.in_state && scope.in_state(arg.get_string()));
      }
      if (arg.is_string()) return json::value(static_cast<int64_t>(arg.get_string().size()));
      if (arg.is_array()) return json::value(static_cast<int64_t>(arg.get_array().size()));
      if (arg.is_object()) return json::value(static_cast<int64_t>(arg.get_object().size()));
      return InvalidArgument("len() needs a string, array or object");
    }
    case ExprNode::kBinary:
      break;
  }
  if (n.op == "and" || n.op == "or") {
    ENROL_ASSIGN_OR_RETURN(json::value l, Eval(*n.kids[0], scope));
    if (!l.is_bool()) return InvalidArgument("'" + n.op + "' needs booleans, got " + std::string(TypeName(l)));
    if (n.op == "and" && !l.get_bool()) return json::value(false);
    if (n.op == "or" && l.get_bool()) return json::value(true);
    ENROL_ASSIGN_OR_RETURN(json::value r, Eval(*n.kids[1], scope));
    if (!r.is_bool()) return InvalidArgument("'" + n.op + "' needs booleans, got " + std::string(TypeName(r)));
    return r;
  }
  ENROL_ASSIGN_OR_RETURN(json::value l, Eval(*n.kids[0], scope));
  ENROL_ASSIGN_OR_RETURN(json::value r, Eval(*n.kids[1], scope));
  if (n.op == "==" || n.op == "!=") {
    bool eq;
    if (l.is_number() && r.is_number()) {
      eq = l.to_number<double>() == r.to_number<double>();
    } else {
      eq = l == r;
    }
    return json::value(n.op == "==" ? eq : !eq);
  }
  if (n.op == "+" && l.is_string() && r.is_string()) {
    if (l.get_string().size() + r.get_string().size() > kMaxStringBytes) {
      return InvalidArgument("'+' would make a string of more than " + std::to_string(kMaxStringBytes) + " bytes");
    }
    return json::value(json::string(std::string(l.get_string()) + std::string(r.get_string())));
  }
  if (l.is_string() && r.is_string()) {
    const int c = l.get_string().compare(r.get_string());
    if (n.op == "<") return json::value(c < 0);
    if (n.op == "<=") return json::value(c <= 0);
    if (n.op == ">") return json::value(c > 0);
    if (n.op == ">=") return json::value(c >= 0);
  }
  if (!l.is_number() || !r.is_number()) {
    return InvalidArgument("'" + n.op + "' needs numbers, got " + std::string(TypeName(l)) + " and " +
                           std::string(TypeName(r)));
  }
  if (l.is_int64() && r.is_int64() && n.op != "/") {
    const int64_t a = l.get_int64(), b = r.get_int64();
    int64_t out = 0;
    bool overflow = false;
    if (n.op == "+") overflow = __builtin_add_overflow(a, b, &out);
    else if (n.op == "-") overflow = __builtin_sub_overflow(a, b, &out);
    else if (n.op == "*") overflow = __builtin_mul_overflow(a, b, &out);
    if (overflow) return InvalidArgument("integer overflow in '" + n.op + "'");
    if (n.op == "+" || n.op == "-" || n.op == "*") return json::value(out);
  }
  const double a = l.to_number<double>(), b = r.to_number<double>();
  auto finite = [&](double x) -> Result<json::value> {
    if (!std::isfinite(x)) return InvalidArgument("'" + n.op + "' gives a number out of range");
    return json::value(x);
  };
  if (n.op == "+") return finite(a + b);
  if (n.op == "-") return finite(a - b);
  if (n.op == "*") return finite(a * b);
  if (n.op == "/") {
    if (b == 0) return InvalidArgument("division by zero");
    return finite(a / b);
  }
  if (n.op == "<") return json::value(a < b);
  if (n.op == "<=") return json::value(a <= b);
  if (n.op == ">") return json::value(a > b);
  return json::value(a >= b);
}

void CollectStates(const ExprNode& n, std::vector<std::string>& out) {
  if (n.kind == ExprNode::kCall && n.op == "In") out.emplace_back(n.kids[0]->literal.get_string());
  for (const auto& k : n.kids) CollectStates(*k, out);
}

}  // namespace

Result<Expression> Expression::Parse(std::string_view text) {
  Parser p(text);
  ENROL_ASSIGN_OR_RETURN(Node root, p.ParseAll());
  Expression e;
  e.root_ = std::move(root);
  e.text_ = std::string(text);
  return e;
}

Result<json::value> Expression::Evaluate(const Scope& scope) const {
  if (!root_) return json::value();
  auto v = Eval(*root_, scope);
  if (!v) return tl::unexpected(v.error().WithContext("expression '" + text_ + "'"));
  return v;
}

Result<bool> Expression::EvaluateCondition(const Scope& scope) const {
  if (!root_) return true;
  ENROL_ASSIGN_OR_RETURN(json::value v, Evaluate(scope));
  if (!v.is_bool()) {
    return InvalidArgument("condition '" + text_ + "' gave " + std::string(TypeName(v)) + ", not a boolean");
  }
  return v.get_bool();
}

std::vector<std::string> Expression::StatesReferenced() const {
  std::vector<std::string> out;
  if (root_) CollectStates(*root_, out);
  return out;
}

}  // namespace enrol::sc
