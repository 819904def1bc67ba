#pragma once
// Letter templates: Mustache text (workflows/letters/*.mustache) rendered with
// the letter's data into a small markup, then split into blocks for layout.
// See workflows/letters/README.md for the markup and the fields.

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/core/result.h"

namespace enrol::letters {

// The fields a template may use (dotted paths), in the order documented.
const std::vector<std::string>& KnownFields();

struct TemplateProblem {
  int line = 0;
  std::string message;
};

class LetterTemplate {
 public:
  // `name` such as "grade1.nb"; `version` is the SHA-256 of the text.
  [[nodiscard]] static Result<LetterTemplate> Parse(std::string name, std::string text);
  // Every problem: syntax (unbalanced sections, unsupported tags), unknown
  // fields, no title line. Empty when the template is fine.
  [[nodiscard]] std::vector<TemplateProblem> Check() const;

  // Renders with `data` (the fields above). A field the text uses that the
  // data lacks or leaves empty is an error naming the field and its line:
  // never a blank where a fact should be.
  [[nodiscard]] Result<std::string> Render(const boost::json::object& data) const;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const std::string& version() const { return version_; }
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  struct Tag {
    enum Kind { kVariable, kSectionOpen, kInvertedOpen, kSectionClose, kComment, kUnsupported } kind;
    std::string name;
    int line = 0;
  };
  std::string name_, text_, version_;
  std::vector<Tag> tags_;
  std::vector<TemplateProblem> syntax_;
};

// A laid-out letter's text: the title and its blocks.
struct Block {
  enum Kind { kParagraph, kHeading, kBullet } kind = kParagraph;
  std::string markup;  // Pango markup
};
struct LetterText {
  std::string title;
  std::vector<Block> blocks;
};

// Splits rendered markup into title and blocks (README's rules).
LetterText ParseLetterMarkup(const std::string& rendered);

// Escapes text for Pango markup.
std::string EscapeMarkup(std::string_view text);

}  // namespace enrol::letters
