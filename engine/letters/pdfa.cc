#include "engine/letters/pdfa.h"

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <algorithm>
#include <utility>
#include <vector>

namespace enrol::letters {

// The sRGB ICC profile, embedded from Debian's icc-profiles-free at build time.
const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedIcc();

namespace {

std::string XmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// "2026-11-23T07:30:00+00:00" -> "D:20261123073000+00'00'".
std::string PdfDate(const std::string& iso) {
  std::string d = "D:";
  for (size_t i = 0; i < 19 && i < iso.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(iso[i]))) d += iso[i];
  }
  if (iso.size() >= 25) {
    d += iso.substr(19, 3) + "'" + iso.substr(23, 2) + "'";
  } else {
    d += "+00'00'";
  }
  return d;
}

std::string Xmp(const ArchiveMetadata& m) {
  const std::string producer = "enrol (cairo, qpdf)";
  return std::string("<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n") +
         "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
         " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
         "  <rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n"
         "   <pdfaid:part>1</pdfaid:part>\n"
         "   <pdfaid:conformance>B</pdfaid:conformance>\n"
         "  </rdf:Description>\n"
         "  <rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
         "   <dc:format>application/pdf</dc:format>\n"
         "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">" + XmlEscape(m.title) + "</rdf:li></rdf:Alt></dc:title>\n"
         "   <dc:creator><rdf:Seq><rdf:li>" + XmlEscape(m.municipality) + "</rdf:li></rdf:Seq></dc:creator>\n"
         "   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">" + XmlEscape(m.subject) +
         "</rdf:li></rdf:Alt></dc:description>\n"
         "   <dc:publisher><rdf:Bag><rdf:li>" + XmlEscape(m.municipality) + "</rdf:li></rdf:Bag></dc:publisher>\n"
         "   <dc:identifier>" + XmlEscape(m.case_ref) + "</dc:identifier>\n"
         "   <dc:language><rdf:Bag><rdf:li>" + XmlEscape(m.language) + "</rdf:li></rdf:Bag></dc:language>\n"
         "  </rdf:Description>\n"
         "  <rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n"
         "   <xmp:CreatorTool>enrol</xmp:CreatorTool>\n"
         "   <xmp:CreateDate>" + m.created + "</xmp:CreateDate>\n"
         "   <xmp:ModifyDate>" + m.created + "</xmp:ModifyDate>\n"
         "  </rdf:Description>\n"
         "  <rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n"
         "   <pdf:Producer>" + producer + "</pdf:Producer>\n"
         "  </rdf:Description>\n"
         " </rdf:RDF>\n"
         "</x:xmpmeta>\n"
         "<?xpacket end=\"w\"?>";
}

// The highest CID a CIDFont's /W array gives a width for.
long MaxCid(QPDFObjectHandle w) {
  long max_cid = -1;
  if (!w.isArray()) return max_cid;
  const int n = w.getArrayNItems();
  for (int i = 0; i < n;) {
    QPDFObjectHandle first = w.getArrayItem(i);
    if (!first.isInteger() || i + 1 >= n) break;
    QPDFObjectHandle next = w.getArrayItem(i + 1);
    if (next.isArray()) {  // c [w1 w2 ...]
      max_cid = std::max(max_cid, static_cast<long>(first.getIntValue() + next.getArrayNItems() - 1));
      i += 2;
    } else if (next.isInteger() && i + 2 < n) {  // c_first c_last w
      max_cid = std::max(max_cid, static_cast<long>(next.getIntValue()));
      i += 3;
    } else {
      break;
    }
  }
  return max_cid;
}

// PDF/A-1 wants, for each embedded CIDFontType2: an explicit CIDToGIDMap, and
// for a subset a CIDSet listing the CIDs present. cairo numbers a subset's
// glyphs densely from 0 with the identity map, so the set is 0..max CID.
void CompleteCidFonts(QPDF& pdf) {
  for (QPDFObjectHandle obj : pdf.getAllObjects()) {
    if (!obj.isDictionary() || !obj.getKey("/Type").isNameAndEquals("/Font") ||
        !obj.getKey("/Subtype").isNameAndEquals("/CIDFontType2")) {
      continue;
    }
    if (!obj.hasKey("/CIDToGIDMap")) obj.replaceKey("/CIDToGIDMap", QPDFObjectHandle::newName("/Identity"));
    QPDFObjectHandle desc = obj.getKey("/FontDescriptor");
    if (!desc.isDictionary() || desc.hasKey("/CIDSet")) continue;
    const long max_cid = MaxCid(obj.getKey("/W"));
    if (max_cid < 0) continue;
    std::string bits(static_cast<size_t>(max_cid / 8 + 1), '\0');
    for (long cid = 0; cid <= max_cid; ++cid) bits[static_cast<size_t>(cid / 8)] |= static_cast<char>(0x80 >> (cid % 8));
    desc.replaceKey("/CIDSet", QPDFObjectHandle::newStream(&pdf, bits));
  }
}

}  // namespace

Result<std::string> ToPdfA1b(const std::string& input, const ArchiveMetadata& m) {
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.processMemoryFile("letter.pdf", input.data(), input.size());
    QPDFObjectHandle root = pdf.getRoot();

    QPDFObjectHandle meta = QPDFObjectHandle::newStream(&pdf, Xmp(m));
    meta.getDict().replaceKey("/Type", QPDFObjectHandle::newName("/Metadata"));
    meta.getDict().replaceKey("/Subtype", QPDFObjectHandle::newName("/XML"));
    root.replaceKey("/Metadata", meta);

    const std::string_view icc = EmbeddedIcc().front().second;
    QPDFObjectHandle profile = QPDFObjectHandle::newStream(&pdf, std::string(icc));
    profile.getDict().replaceKey("/N", QPDFObjectHandle::newInteger(3));
    QPDFObjectHandle intent = QPDFObjectHandle::parse(
        "<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) "
        "/RegistryName (http://www.color.org) /Info (sRGB IEC61966-2.1) >>");
    intent.replaceKey("/DestOutputProfile", profile);
    root.replaceKey("/OutputIntents", QPDFObjectHandle::newArray(std::vector<QPDFObjectHandle>{intent}));

    CompleteCidFonts(pdf);

    // cairo marks pages as transparency groups; PDF/A-1 forbids them.
    for (QPDFPageObjectHelper& page : QPDFPageDocumentHelper(pdf).getAllPages()) {
      page.getObjectHandle().removeKey("/Group");
    }

    const std::string date = PdfDate(m.created);
    QPDFObjectHandle info = QPDFObjectHandle::newDictionary();
    info.replaceKey("/Title", QPDFObjectHandle::newUnicodeString(m.title));
    info.replaceKey("/Author", QPDFObjectHandle::newUnicodeString(m.municipality));
    info.replaceKey("/Subject", QPDFObjectHandle::newUnicodeString(m.subject));
    info.replaceKey("/Creator", QPDFObjectHandle::newUnicodeString("enrol"));
    info.replaceKey("/Producer", QPDFObjectHandle::newUnicodeString("enrol (cairo, qpdf)"));
    info.replaceKey("/CreationDate", QPDFObjectHandle::newString(date));
    info.replaceKey("/ModDate", QPDFObjectHandle::newString(date));
    pdf.getTrailer().replaceKey("/Info", pdf.makeIndirectObject(info));

    QPDFWriter w(pdf);
    w.setOutputMemory();
    w.forcePDFVersion("1.4");
    w.setObjectStreamMode(qpdf_o_disable);
    w.setQDFMode(false);
    w.setNewlineBeforeEndstream(true);  // PDF/A: an EOL before every endstream
    w.write();
    auto buffer = w.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
  } catch (const std::exception& e) {
    return Internal(std::string("cannot make the PDF/A copy: ") + e.what());
  }
}

}  // namespace enrol::letters
