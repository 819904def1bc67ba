#include "engine/letters/pdf_writer.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <cmath>

namespace enrol::letters {
namespace {

constexpr double kMm = 72.0 / 25.4;
constexpr double kPageW = 210 * kMm;
constexpr double kPageH = 297 * kMm;
constexpr double kLeft = 25 * kMm;
constexpr double kRight = 20 * kMm;
constexpr double kTextW = kPageW - kLeft - kRight;
constexpr double kBodyTopFirst = 98 * kMm;
constexpr double kBodyTopNext = 25 * kMm;
constexpr double kBodyBottom = 270 * kMm;
constexpr const char* kFont = "Noto Sans";

cairo_status_t Collect(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// A layout with the house settings: width, no hyphens, words broken only when
// they do not fit a line.
PangoLayout* NewLayout(cairo_t* cr, const std::string& markup, double size, bool bold, double width) {
  PangoLayout* layout = pango_cairo_create_layout(cr);
  PangoFontDescription* fd = pango_font_description_from_string(kFont);
  pango_font_description_set_size(fd, static_cast<int>(size * PANGO_SCALE));
  if (bold) pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description(layout, fd);
  pango_font_description_free(fd);
  pango_layout_set_width(layout, static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_markup(layout, markup.c_str(), -1);
  PangoAttrList* attrs = pango_layout_get_attributes(layout);
  attrs = attrs ? pango_attr_list_copy(attrs) : pango_attr_list_new();
  pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
  pango_layout_set_attributes(layout, attrs);
  pango_attr_list_unref(attrs);
  return layout;
}

double HeightOf(PangoLayout* layout) {
  int w = 0, h = 0;
  pango_layout_get_size(layout, &w, &h);
  return static_cast<double>(h) / PANGO_SCALE;
}

void Show(cairo_t* cr, PangoLayout* layout, double x, double y) {
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, layout);
}

// Checks markup before Pango sees it, so a bad template gives an error, not
// a blank letter.
Status CheckMarkup(const std::string& markup) {
  GError* error = nullptr;
  if (!pango_parse_markup(markup.c_str(), -1, 0, nullptr, nullptr, nullptr, &error)) {
    std::string msg = error ? error->message : "invalid markup";
    if (error) g_error_free(error);
    return InvalidArgument("letter text is not valid markup: " + msg);
  }
  return {};
}

}  // namespace

struct PdfWriter::Impl {
  std::string bytes;
  cairo_surface_t* surface = nullptr;
  cairo_t* cr = nullptr;
  bool pdfa_ready = false;
  bool page_open = false;
};

Result<std::unique_ptr<PdfWriter>> PdfWriter::Create(const DocumentInfo& info) {
  std::unique_ptr<PdfWriter> w(new PdfWriter());
  w->impl_ = std::make_unique<Impl>();
  Impl& i = *w->impl_;
  i.pdfa_ready = info.pdfa_ready;
  i.surface = cairo_pdf_surface_create_for_stream(Collect, &i.bytes, kPageW, kPageH);
  if (cairo_surface_status(i.surface) != CAIRO_STATUS_SUCCESS) {
    return Internal(std::string("cannot create a PDF: ") + cairo_status_to_string(cairo_surface_status(i.surface)));
  }
  cairo_pdf_surface_restrict_to_version(i.surface, CAIRO_PDF_VERSION_1_4);
  cairo_pdf_surface_set_metadata(i.surface, CAIRO_PDF_METADATA_TITLE, info.title.c_str());
  cairo_pdf_surface_set_metadata(i.surface, CAIRO_PDF_METADATA_AUTHOR, info.author.c_str());
  cairo_pdf_surface_set_metadata(i.surface, CAIRO_PDF_METADATA_SUBJECT, info.subject.c_str());
  cairo_pdf_surface_set_metadata(i.surface, CAIRO_PDF_METADATA_CREATOR, "enrol");
  i.cr = cairo_create(i.surface);
  return w;
}

PdfWriter::~PdfWriter() {
  if (impl_) {
    if (impl_->cr) cairo_destroy(impl_->cr);
    if (impl_->surface) cairo_surface_destroy(impl_->surface);
  }
}

Status PdfWriter::AddCoverSheet(const std::string& title, const std::vector<std::string>& lines) {
  cairo_t* cr = impl_->cr;
  PangoLayout* t = NewLayout(cr, EscapeMarkup(title), 16, true, kTextW);
  Show(cr, t, kLeft, 30 * kMm);
  double y = 30 * kMm + HeightOf(t) + 8 * kMm;
  g_object_unref(t);
  for (const std::string& line : lines) {
    PangoLayout* l = NewLayout(cr, EscapeMarkup(line), 10, false, kTextW);
    const double h = HeightOf(l);
    if (y + h > kBodyBottom) {
      cairo_show_page(cr);
      ++pages_;
      y = kBodyTopNext;
    }
    Show(cr, l, kLeft, y);
    y += h + 1.5 * kMm;
    g_object_unref(l);
  }
  cairo_show_page(cr);
  ++pages_;
  return {};
}

Status PdfWriter::AddLetter(const LetterPageData& d) {
  for (const Block& b : d.text.blocks) ENROL_RETURN_IF_ERROR(CheckMarkup(b.markup));
  cairo_t* cr = impl_->cr;
  cairo_set_source_rgb(cr, 0, 0, 0);

  // Lay out the body first (positions per page), so the page count is known
  // before anything is drawn. An item is a whole layout drawn from its top,
  // or one line of a layout drawn at its baseline (paragraphs split across
  // pages line by line).
  struct Placed {
    PangoLayout* layout = nullptr;
    PangoLayoutLine* line = nullptr;
    int page = 0;
    double x = 0, y = 0;
  };
  std::vector<Placed> placed;
  std::vector<PangoLayout*> owned;
  int page = 0;
  double y = kBodyTopFirst;
  PangoLayout* title = NewLayout(cr, EscapeMarkup(d.text.title), 14, true, kTextW);
  owned.push_back(title);
  placed.push_back({title, nullptr, 0, kLeft, y});
  y += HeightOf(title) + 5 * kMm;
  for (const Block& b : d.text.blocks) {
    const bool heading = b.kind == Block::kHeading;
    const bool bullet = b.kind == Block::kBullet;
    const double indent = bullet ? 5 * kMm : 0;
    PangoLayout* layout = NewLayout(cr, b.markup, heading ? 11 : 10.5, heading, kTextW - indent);
    owned.push_back(layout);
    if (heading) y += 2 * kMm;
    // A heading keeps company with the first lines of what follows it.
    if (heading && y + HeightOf(layout) + 12 * kMm > kBodyBottom) {
      ++page;
      y = kBodyTopNext;
    }
    double block_top = y;
    bool first = true;
    PangoLayoutIter* it = pango_layout_get_iter(layout);
    do {
      PangoRectangle logical;
      pango_layout_iter_get_line_extents(it, nullptr, &logical);
      const double line_top = static_cast<double>(logical.y) / PANGO_SCALE;
      const double line_h = static_cast<double>(logical.height) / PANGO_SCALE;
      if (block_top + line_top + line_h > kBodyBottom) {
        ++page;
        block_top = kBodyTopNext - line_top;
      }
      const double baseline = block_top + static_cast<double>(pango_layout_iter_get_baseline(it)) / PANGO_SCALE;
      placed.push_back({nullptr, pango_layout_iter_get_line_readonly(it), page, kLeft + indent, baseline});
      if (bullet && first) {
        PangoLayout* dash = NewLayout(cr, "–", 10.5, false, 5 * kMm);
        owned.push_back(dash);
        placed.push_back({nullptr, pango_layout_get_line_readonly(dash, 0), page, kLeft, baseline});
      }
      first = false;
      y = block_top + line_top + line_h;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    y += (heading ? 1 : 3) * kMm;
  }
  const int page_count = page + 1;
  // A decision letter is a page or two; a letter far longer is a broken
  // template or data, not something to print.
  constexpr int kMaxLetterPages = 10;
  if (page_count > kMaxLetterPages) {
    for (PangoLayout* l : owned) g_object_unref(l);
    return FailedPrecondition("the letter would be " + std::to_string(page_count) + " pages (at most " +
                              std::to_string(kMaxLetterPages) + ")");
  }

  // Draw page by page.
  for (int p = 0; p < page_count; ++p) {
    if (p == 0) {
      // Letterhead.
      double hy = 14 * kMm;
      if (!d.head.logo_png.empty()) {
        cairo_surface_t* logo = cairo_image_surface_create_from_png(d.head.logo_png.c_str());
        if (cairo_surface_status(logo) == CAIRO_STATUS_SUCCESS) {
          const double h = 18 * kMm;
          const double scale = h / cairo_image_surface_get_height(logo);
          cairo_save(cr);
          cairo_translate(cr, kPageW - kRight - cairo_image_surface_get_width(logo) * scale, 10 * kMm);
          cairo_scale(cr, scale, scale);
          if (impl_->pdfa_ready) {
            // PDF/A-1 allows no transparency: flatten the logo onto white.
            cairo_surface_t* flat = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cairo_image_surface_get_width(logo),
                                                               cairo_image_surface_get_height(logo));
            cairo_t* fc = cairo_create(flat);
            cairo_set_source_rgb(fc, 1, 1, 1);
            cairo_paint(fc);
            cairo_set_source_surface(fc, logo, 0, 0);
            cairo_paint(fc);
            cairo_destroy(fc);
            cairo_set_source_surface(cr, flat, 0, 0);
            cairo_paint(cr);
            cairo_surface_destroy(flat);
          } else {
            cairo_set_source_surface(cr, logo, 0, 0);
            cairo_paint(cr);
          }
          cairo_restore(cr);
          cairo_set_source_rgb(cr, 0, 0, 0);
        }
        cairo_surface_destroy(logo);
      }
      PangoLayout* name = NewLayout(cr, EscapeMarkup(d.head.name), 16, true, 120 * kMm);
      Show(cr, name, kLeft, hy);
      hy += HeightOf(name);
      g_object_unref(name);
      PangoLayout* unit = NewLayout(cr, EscapeMarkup(d.head.unit), 11, false, 120 * kMm);
      Show(cr, unit, kLeft, hy);
      g_object_unref(unit);

      // The window: return address, then the recipient.
      PangoLayout* ret = NewLayout(cr, EscapeMarkup(d.return_address), 6, false, 85 * kMm);
      pango_layout_set_ellipsize(ret, PANGO_ELLIPSIZE_END);
      Show(cr, ret, 20 * kMm, 45 * kMm + 1 * kMm);
      g_object_unref(ret);
      cairo_set_line_width(cr, 0.3);
      cairo_move_to(cr, 20 * kMm, 45 * kMm + 4.5 * kMm);
      cairo_line_to(cr, 105 * kMm, 45 * kMm + 4.5 * kMm);
      cairo_stroke(cr);
      std::string rec;
      for (const std::string& l : d.recipient) rec += (rec.empty() ? "" : "\n") + EscapeMarkup(l);
      PangoLayout* recipient = NewLayout(cr, rec, 10, false, 80 * kMm);
      Show(cr, recipient, 20 * kMm + 2 * kMm, 45 * kMm + 7 * kMm);
      g_object_unref(recipient);

      // The reference block.
      double iy = 50 * kMm;
      for (const auto& [label, value] : d.info) {
        PangoLayout* l = NewLayout(cr, EscapeMarkup(label), 8.5, false, 30 * kMm);
        PangoLayout* v = NewLayout(cr, EscapeMarkup(value), 8.5, false, kPageW - kRight - 154 * kMm);
        Show(cr, l, 122 * kMm, iy);
        Show(cr, v, 154 * kMm, iy);
        iy += std::max(HeightOf(l), HeightOf(v)) + 0.8 * kMm;
        g_object_unref(l);
        g_object_unref(v);
      }
    }
    if (p > 0) {
      // Continuation pages say whose letter they belong to.
      std::string ref = d.head.name;
      for (const auto& [label, value] : d.info) {
        if (label == "Vår ref.") ref += " · " + label + " " + value;
      }
      PangoLayout* h = NewLayout(cr, EscapeMarkup(ref), 8, false, kTextW);
      Show(cr, h, kLeft, 12 * kMm);
      g_object_unref(h);
    }
    // Body.
    for (const Placed& pl : placed) {
      if (pl.page != p) continue;
      if (pl.layout) {
        Show(cr, pl.layout, pl.x, pl.y);
      } else {
        cairo_move_to(cr, pl.x, pl.y);
        pango_cairo_show_layout_line(cr, pl.line);
      }
    }
    // Footer.
    const std::string footer = d.head.name + " · " + d.head.address + " · " + d.head.postal + "   Org.nr. " +
                               d.head.org_number + "   Tlf. " + d.head.phone + "   " + d.head.email;
    PangoLayout* f = NewLayout(cr, EscapeMarkup(footer), 7, false, kTextW - 25 * kMm);
    Show(cr, f, kLeft, 283 * kMm);
    g_object_unref(f);
    if (page_count > 1) {
      const std::string label = "Side " + std::to_string(p + 1) + " av " + std::to_string(page_count);
      PangoLayout* n = NewLayout(cr, EscapeMarkup(label), 8, false, 25 * kMm);
      pango_layout_set_alignment(n, PANGO_ALIGN_RIGHT);
      Show(cr, n, kPageW - kRight - 25 * kMm, 283 * kMm);
      g_object_unref(n);
    }
    cairo_show_page(cr);
    ++pages_;
  }
  for (PangoLayout* l : owned) g_object_unref(l);
  return {};
}

Result<std::string> PdfWriter::Finish() {
  cairo_destroy(impl_->cr);
  impl_->cr = nullptr;
  cairo_surface_finish(impl_->surface);
  const cairo_status_t st = cairo_surface_status(impl_->surface);
  cairo_surface_destroy(impl_->surface);
  impl_->surface = nullptr;
  if (st != CAIRO_STATUS_SUCCESS) return Internal(std::string("writing the PDF failed: ") + cairo_status_to_string(st));
  return std::move(impl_->bytes);
}

}  // namespace enrol::letters
