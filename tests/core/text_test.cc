#include "engine/core/text.h"

#include <gtest/gtest.h>

#include <string>

namespace enrol::core {
namespace {

TEST(Utf8ScanTest, ValidTextCountsCharacters) {
  const Utf8Scan s = ScanUtf8("\xC3\x81ilu \xC5\x8Auolja \xF0\x9F\x91\xA9");  // Áilu Ŋuolja 👩
  EXPECT_TRUE(s.valid);
  EXPECT_FALSE(s.control);
  EXPECT_EQ(s.chars, 13u);
}

TEST(Utf8ScanTest, InvalidFormsAreFoundWithTheirOffset) {
  for (const std::string& bad : {std::string("ab\xC3\x28"), std::string("ab\xC0\xAF"), std::string("ab\xE0\x80\xAF"),
                                 std::string("ab\xED\xA0\x80"), std::string("ab\xF4\x90\x80\x80"), std::string("ab\xFF"),
                                 std::string("ab\xE2\x82")}) {
    const Utf8Scan s = ScanUtf8(bad);
    EXPECT_FALSE(s.valid) << bad;
    EXPECT_EQ(s.bad_offset, 2u) << bad;
  }
}

TEST(Utf8ScanTest, ControlCharactersC0DelAndC1) {
  for (const std::string& c : {std::string("a\tb"), std::string("a\nb"), std::string("a\0b", 3), std::string("a\x7F"),
                               std::string("a\xC2\x9B" "b")}) {
    const Utf8Scan s = ScanUtf8(c);
    EXPECT_TRUE(s.valid);
    EXPECT_TRUE(s.control) << c;
    EXPECT_EQ(s.first_control, 1u);
  }
  EXPECT_FALSE(ScanUtf8("a\xC2\xA0" "b").control);  // no-break space is text
}

}  // namespace
}  // namespace enrol::core
