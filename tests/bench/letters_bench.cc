// Letters benchmark: renders N letters (default 5,000) on one core and prints
// letters/s for the dispatch PDF (template + layout + PDF) and for the PDF/A
// archive copy (made from it), and the peak RSS.
// Usage: build/tests/letters_bench [N]
#include <sys/resource.h>

#include <chrono>
#include <iostream>
#include <string>

#include <boost/json.hpp>

#include "engine/letters/letter_template.h"
#include "engine/letters/pdf_writer.h"
#include "engine/letters/pdfa.h"
#include "tests/support/test_support.h"

using namespace enrol;
using namespace enrol::letters;
namespace json = boost::json;

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::stoi(argv[1]) : 5000;
  const char* kNames[] = {"Áilu Ánddeš Ŋuolja", "Emma Hansen", "Maria José García Márquez", "Minh Đức Nguyễn",
                          "Ingrid Sæther-Øien", "Łukasz Kowalski", "Máret Biret Somby", "Noah Olsen"};
  std::vector<LetterTemplate> templates;
  for (const char* name : {"grade1.nb", "grade8.nn", "grade5.nb"}) {
    templates.push_back(*LetterTemplate::Parse(name, testing::ReadFile(testing::SourceDir() + "/workflows/letters/" + name + ".mustache")));
  }
  std::vector<std::string> pdfs;
  pdfs.reserve(static_cast<size_t>(n));
  const auto t0 = std::chrono::steady_clock::now();
  int64_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    const std::string child = kNames[i % 8];
    json::object data = {
        {"municipality", json::object{{"name", "Fjordvik kommune"}}},
        {"school", json::object{{"name", "Sentrum skole"}, {"address", "Skolegata 3"}, {"postnummer", "7010"}, {"poststed", "Fjordvik"}, {"phone", "72 54 10 00"}, {"email", "sentrum@fjordvik.no"}}},
        {"child", json::object{{"name", child}, {"first_name", child.substr(0, child.find(' '))}, {"birth_date", "14.03.2021"}}},
        {"grade", "1"}, {"school_year", "2027/2028"}, {"start_year", "2027"}, {"start_date", "16. august 2027"},
        {"reply_by", "7. desember 2026"}, {"legal_basis", "opplæringslova § 2-6"}, {"signature", "rektor"},
        {"copy_to", i % 5 == 0 ? "Ola Nordmann" : ""}};
    auto markup = templates[static_cast<size_t>(i) % templates.size()].Render(data);
    if (!markup) {
      std::cerr << markup.error().message << "\n";
      return 1;
    }
    LetterPageData page;
    page.head = {"Fjordvik kommune", "Sentrum skole", "Rådhusplassen 1", "7000 Fjordvik", "964100099", "72 54 00 00",
                 "oppvekst@fjordvik.kommune.no", ""};
    page.return_address = "Sentrum skole, Rådhusplassen 1, 7000 Fjordvik";
    page.recipient = {kNames[(i + 3) % 8], "Storgata " + std::to_string(i % 90 + 1), "7010 FJORDVIK"};
    page.info = {{"Dato", "23.11.2026"}, {"Vår ref.", "2027/1/P" + std::to_string(i)}};
    page.text = ParseLetterMarkup(*markup);
    auto w = PdfWriter::Create({page.text.title, "Fjordvik kommune", "", true});
    if (!w || !(*w)->AddLetter(page)) return 1;
    auto pdf = (*w)->Finish();
    if (!pdf) return 1;
    bytes += static_cast<int64_t>(pdf->size());
    pdfs.push_back(std::move(*pdf));
  }
  const auto t1 = std::chrono::steady_clock::now();
  int64_t pdfa_bytes = 0;
  for (int i = 0; i < n; ++i) {
    auto a = ToPdfA1b(pdfs[static_cast<size_t>(i)], {"Vedtak om skoleplass", "Fjordvik kommune", "Vedtak", "2027/1/P" + std::to_string(i),
                                                     "nb", "2026-11-23T07:30:00+00:00"});
    if (!a) {
      std::cerr << a.error().message << "\n";
      return 1;
    }
    pdfa_bytes += static_cast<int64_t>(a->size());
  }
  const auto t2 = std::chrono::steady_clock::now();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double s1 = std::chrono::duration<double>(t1 - t0).count();
  const double s2 = std::chrono::duration<double>(t2 - t1).count();
  std::printf("letters bench: %d letters\n", n);
  std::printf("  dispatch PDF: %.2f s, %.0f letters/s, %.1f KB each\n", s1, n / s1, bytes / 1024.0 / n);
  std::printf("  PDF/A-1b copy (from the PDF): %.2f s, %.0f letters/s, %.1f KB each\n", s2, n / s2, pdfa_bytes / 1024.0 / n);
  std::printf("  both: %.0f letters/s; peak RSS %.1f MB (the %d dispatch PDFs are kept in memory)\n", n / (s1 + s2),
              ru.ru_maxrss / 1024.0, n);
  return 0;
}
