#include "engine/core/cohort.h"

#include <algorithm>

namespace enrol::core {

std::string_view ManualReasonCode(ManualReason r) {
  switch (r) {
    case ManualReason::kProtectedAddress: return "protected_address";
    case ManualReason::kGuardianProtected: return "guardian_protected_address";
    case ManualReason::kDNumberOnly: return "d_number_only";
    case ManualReason::kUnknownResidence: return "unknown_residence";
    case ManualReason::kStatusNeedsReview: return "status_needs_review";
    case ManualReason::kNoGuardian: return "no_guardian";
    case ManualReason::kGuardianUnreachable: return "no_guardian_document";
    case ManualReason::kGuardianDocumentMissing: return "guardian_document_missing";
    case ManualReason::kUnplaced: return "unplaced";
  }
  return "?";
}

std::string_view ManualReasonText(ManualReason r) {
  switch (r) {
    case ManualReason::kProtectedAddress: return "Barnet har adressebeskyttelse";
    case ManualReason::kGuardianProtected: return "En foresatt har adressebeskyttelse";
    case ManualReason::kDNumberOnly: return "Barnet har bare D-nummer";
    case ManualReason::kUnknownResidence: return "Ukjent bosted i Folkeregisteret";
    case ManualReason::kStatusNeedsReview: return "Personstatus er ikke bosatt";
    case ManualReason::kNoGuardian: return "Ingen foresatt med foreldreansvar";
    case ManualReason::kGuardianUnreachable:
      return "Ingen foresatt med foreldreansvar finnes i uttrekket";
    case ManualReason::kGuardianDocumentMissing:
      return "En foresatt med foreldreansvar finnes ikke i uttrekket og ville ikke fått vedtaket";
    case ManualReason::kUnplaced: return "Ingen skole funnet for adressen";
  }
  return "?";
}

std::string_view ExclusionCode(Exclusion e) {
  switch (e) {
    case Exclusion::kNone: return "";
    case Exclusion::kDied: return "died";
    case Exclusion::kEmigrated: return "emigrated";
    case Exclusion::kOtherMunicipality: return "other_municipality";
    case Exclusion::kNotResident: return "not_resident";
  }
  return "?";
}

std::string_view OutcomeCode(Outcome o) {
  switch (o) {
    case Outcome::kLetter: return "letter";
    case Outcome::kNoLetter: return "no_letter";
    case Outcome::kManual: return "manual";
    case Outcome::kExcluded: return "excluded";
  }
  return "?";
}

namespace {

void Add(std::vector<ManualReason>& reasons, ManualReason r) {
  if (std::find(reasons.begin(), reasons.end(), r) == reasons.end()) reasons.push_back(r);
}

Exclusion ExclusionFor(const Person& child, std::string_view municipality) {
  switch (child.status) {
    case PersonStatus::kDoed: return Exclusion::kDied;
    case PersonStatus::kUtflyttet: return Exclusion::kEmigrated;
    case PersonStatus::kOpphoert:
    case PersonStatus::kInaktiv:
    case PersonStatus::kIkkeBosatt: return Exclusion::kNotResident;
    default: break;
  }
  const std::string where = ResidenceMunicipality(child);
  const bool unknown_here = child.home && child.home->kind == AddressKind::kUkjentBosted &&
                            child.home->kommunenummer.empty();
  if (where != municipality && !unknown_here) return Exclusion::kOtherMunicipality;
  return Exclusion::kNone;
}

}  // namespace

CohortEntry EvaluateChild(const Person& child, int school_year, int grade,
                          const Municipality& m, const PersonLookup& lookup) {
  (void)school_year;
  CohortEntry e;
  e.child = &child;
  e.grade = grade;
  e.exclusion = ExclusionFor(child, m.number);
  if (e.exclusion != Exclusion::kNone) {
    e.outcome = Outcome::kExcluded;
    return e;
  }

  if (IsProtected(child.EffectiveProtection())) Add(e.reasons, ManualReason::kProtectedAddress);
  if (child.id_kind == NationalIdKind::kDNummer) Add(e.reasons, ManualReason::kDNumberOnly);
  if (child.status != PersonStatus::kBosatt && child.id_kind != NationalIdKind::kDNummer) {
    Add(e.reasons, ManualReason::kStatusNeedsReview);
  }
  const bool unknown_home = !child.home || child.home->kind == AddressKind::kUkjentBosted;
  if (unknown_home && child.id_kind != NationalIdKind::kDNummer &&
      !IsProtected(child.EffectiveProtection())) {
    Add(e.reasons, ManualReason::kUnknownResidence);
  }

  // Guardians: those with parental responsibility, alive.
  bool any_document = false;
  for (const Responsibility& r : child.responsibility) {
    if (r.ansvar == Ansvar::kUkjent) continue;
    Guardian g;
    g.responsibility = r;
    if (!r.guardian_id.empty()) g.person = lookup(r.guardian_id);
    if (g.person && g.person->status == PersonStatus::kDoed) continue;
    g.document_missing = g.person == nullptr;
    g.protected_address = g.person && IsProtected(g.person->EffectiveProtection());
    if (g.protected_address) Add(e.reasons, ManualReason::kGuardianProtected);
    any_document = any_document || g.person != nullptr;
    e.guardians.push_back(std::move(g));
  }
  const bool any_missing = std::any_of(e.guardians.begin(), e.guardians.end(),
                                       [](const Guardian& g) { return g.document_missing; });
  if (e.guardians.empty()) {
    Add(e.reasons, ManualReason::kNoGuardian);
  } else if (!any_document) {
    Add(e.reasons, ManualReason::kGuardianUnreachable);
  } else if (any_missing && !m.guardians.send_to_known_when_one_is_missing) {
    // Both have parental responsibility; one would never get the decision.
    Add(e.reasons, ManualReason::kGuardianDocumentMissing);
  }

  // A protected address is not used even inside the engine's placement: a
  // school derived from it would reveal where the child lives.
  const bool may_place = !IsProtected(child.EffectiveProtection()) && !unknown_home;
  if (may_place) {
    e.placement = PlaceAt(*child.home, grade, m);
    if (e.placement->rule == PlacementRule::kManual) Add(e.reasons, ManualReason::kUnplaced);
    if (grade > 1) e.previous = PlaceAt(*child.home, grade - 1, m);
  }

  if (!e.reasons.empty()) {
    e.outcome = Outcome::kManual;
    return e;
  }
  bool due = true;
  if (grade == 5 || grade == 8) {
    const bool always = grade == 5 ? m.transitions.always_grade5 : m.transitions.always_grade8;
    due = always || !e.previous || e.previous->school_id != e.placement->school_id;
  }
  e.outcome = due ? Outcome::kLetter : Outcome::kNoLetter;
  return e;
}

}  // namespace enrol::core
