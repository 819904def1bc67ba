// multipart/form-data: what the Fiks Arkiv client builds, the simulator reads
// back byte for byte; a body that is not what it says is an error naming
// the part.
#include "engine/net/multipart.h"

#include <gtest/gtest.h>

namespace enrol::http {
namespace {

std::vector<Part> Parts() {
  return {{"arkivmelding", "arkivmelding.xml", "application/xml", "<a/>"},
          {"fil", "brev.pdf", "application/pdf", std::string("%PDF\r\n--x\r\n\0\xff", 12)}};
}

TEST(MultipartTest, WhatIsBuiltReadsBackWhole) {
  const auto parts = Parts();
  const std::string b = MultipartBoundary(parts, "seed");
  EXPECT_EQ(b, MultipartBoundary(parts, "seed"));  // the same bytes every time
  auto read = ParseMultipart(MultipartContentType(b), BuildMultipart(parts, b));
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(read->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*read)[i].name, parts[i].name);
    EXPECT_EQ((*read)[i].filename, parts[i].filename);
    EXPECT_EQ((*read)[i].content_type, parts[i].content_type);
    EXPECT_EQ((*read)[i].body, parts[i].body);
  }
}

TEST(MultipartTest, TheBoundaryOccursInNoPart) {
  std::vector<Part> parts = Parts();
  const std::string b = MultipartBoundary(parts, "seed");
  parts[1].body += b;  // a part that holds the boundary gets another
  const std::string other = MultipartBoundary(parts, "seed");
  EXPECT_NE(other, b);
  EXPECT_EQ(parts[1].body.find(other), std::string::npos);
}

TEST(MultipartTest, HostileBodiesAreErrorsThatSayWhere) {
  const std::string ct = "multipart/form-data; boundary=\"xyz\"";
  auto err = [&](const std::string& body, const std::string& type = "multipart/form-data; boundary=xyz") {
    auto r = ParseMultipart(type, body);
    return r ? std::string("parsed") : r.error().message;
  };
  EXPECT_EQ(err("", "text/plain"), "the body is not multipart/form-data");
  EXPECT_EQ(err("", "multipart/form-data"), "the Content-Type has no usable boundary (1 to 70 characters)");
  EXPECT_EQ(err("--abc\r\n"), "the body does not start with its boundary");
  EXPECT_EQ(err("--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"), "part 1 ('a') does not end");
  EXPECT_EQ(err("--xyz\r\nContent-Type: text/plain\r\n\r\nx\r\n--xyz--"), "part 1: no Content-Disposition");
  EXPECT_EQ(err("--xyz\r\nno colon\r\n\r\nx\r\n--xyz--"), "part 1: a header line without ':'");
  EXPECT_EQ(err("--xyz\r\n" + std::string(2000, 'h')), "part 1: its headers are missing or too long");
  EXPECT_EQ(err("--xyzjunk"), "part 1: the boundary line does not end in CRLF");
  std::string many = "--xyz";
  for (int i = 0; i < 20; ++i) many += "\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n--xyz";
  many += "--";
  EXPECT_EQ(err(many), "more than 16 parts");
  auto quoted = ParseMultipart(ct, "--xyz\r\ncontent-disposition: form-data; name=\"a\"\r\n\r\nv\r\n--xyz--\r\n");
  ASSERT_TRUE(quoted) << quoted.error().message;
  EXPECT_EQ((*quoted)[0].body, "v");
}

}  // namespace
}  // namespace enrol::http
