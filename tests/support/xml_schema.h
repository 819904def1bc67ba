#pragma once
// Validates an XML document against an XSD with libxml2 (for the tests that
// check what we write against the official schemas in ../shared/reference).

#include <libxml/xmlschemas.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace enrol::testing {

inline void CollectXmlErrors(void* ctx, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  *static_cast<std::string*>(ctx) += buf;
}

// "" when `xml` validates against `xsd` (a file), else libxml2's messages.
inline std::string ValidateXml(const std::string& xsd, const std::string& xml) {
  std::string errors;
  auto* collect = &CollectXmlErrors;
  xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(xsd.c_str());
  xmlSchemaSetParserErrors(pc, collect, collect, &errors);
  xmlSchemaPtr schema = xmlSchemaParse(pc);
  xmlSchemaFreeParserCtxt(pc);
  if (!schema) return "the schema does not compile: " + errors;
  xmlDocPtr doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "document.xml", nullptr, XML_PARSE_NONET);
  if (!doc) {
    xmlSchemaFree(schema);
    return "not XML";
  }
  xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
  xmlSchemaSetValidErrors(vc, collect, collect, &errors);
  const int rc = xmlSchemaValidateDoc(vc, doc);
  xmlSchemaFreeValidCtxt(vc);
  xmlFreeDoc(doc);
  xmlSchemaFree(schema);
  return rc == 0 ? "" : errors.empty() ? "invalid" : errors;
}

}  // namespace enrol::testing
