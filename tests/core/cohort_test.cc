#include "engine/core/cohort.h"

#include <map>

#include <gtest/gtest.h>

namespace enrol::core {
namespace {

Municipality TestMunicipality() {
  Municipality m;
  m.number = "5099";
  m.schools = {{"A", "A skole", "", "", "", "", "", "", {1, 7}},
               {"B", "B skole", "", "", "", "", "", "", {1, 10}},
               {"LOW", "Småskolen", "", "", "", "", "", "", {1, 4}},
               {"MID", "Mellomtrinnet", "", "", "", "", "", "", {5, 10}},
               {"U", "Ungdomsskolen", "", "", "", "", "", "", {8, 10}}};
  auto row = [](int n, std::string street, GradeSpan g, std::string school) {
    AddressRule r;
    r.row = n;
    r.street_name = std::move(street);
    r.grades = g;
    r.school_id = std::move(school);
    return r;
  };
  m.address_rules = {row(1, "Avegen", {1, 7}, "A"),     row(2, "Avegen", {8, 10}, "U"),
                     row(3, "Bvegen", {1, 10}, "B"),    row(4, "Lavvegen", {1, 4}, "LOW"),
                     row(5, "Lavvegen", {5, 10}, "MID")};
  return m;
}

Person Child(std::string street, std::vector<std::string> guardians = {"G1", "G2"}) {
  Person p;
  p.id = "C";
  p.name = {"Kari", "", "Nordmann"};
  p.birth_year = 2021;
  p.birth_date = Date{2021, 5, 1};
  p.status = PersonStatus::kBosatt;
  Address a;
  a.kind = AddressKind::kVegadresse;
  a.kommunenummer = "5099";
  a.adressenavn = std::move(street);
  a.husnummer = 1;
  p.home = a;
  for (const auto& g : guardians) p.responsibility.push_back({Ansvar::kFelles, g, {}});
  return p;
}

Person Adult(std::string id) {
  Person p;
  p.id = std::move(id);
  p.name = {"Ola", "", "Nordmann"};
  p.birth_year = 1990;
  p.status = PersonStatus::kBosatt;
  return p;
}

class CohortTest : public ::testing::Test {
 protected:
  CohortTest() {
    people_["G1"] = Adult("G1");
    people_["G2"] = Adult("G2");
  }
  CohortEntry Evaluate(const Person& child, int grade) {
    return EvaluateChild(child, 2027, grade, m_, [this](std::string_view id) -> const Person* {
      auto it = people_.find(std::string(id));
      return it == people_.end() ? nullptr : &it->second;
    });
  }
  static bool Has(const CohortEntry& e, ManualReason r) {
    for (ManualReason x : e.reasons) {
      if (x == r) return true;
    }
    return false;
  }
  Municipality m_ = TestMunicipality();
  std::map<std::string, Person> people_;
};

TEST(CohortYearsTest, BirthYearPerGrade) {
  EXPECT_EQ(BirthYearForGrade(2027, 1), 2021);
  EXPECT_EQ(BirthYearForGrade(2027, 5), 2017);
  EXPECT_EQ(BirthYearForGrade(2027, 8), 2014);
  EXPECT_EQ(GradeForBirthYear(2027, 2021), 1);
  EXPECT_EQ(GradeForBirthYear(2027, 2014), 8);
}

TEST_F(CohortTest, ResidentChildWithGuardiansGetsALetter) {
  const CohortEntry e = Evaluate(Child("Avegen"), 1);
  EXPECT_EQ(e.outcome, Outcome::kLetter);
  ASSERT_TRUE(e.placement);
  EXPECT_EQ(e.placement->school_id, "A");
  EXPECT_EQ(e.guardians.size(), 2u);
  EXPECT_TRUE(e.reasons.empty());
}

TEST_F(CohortTest, ProtectedAddressIsManualAndNotPlaced) {
  for (Gradering g : {Gradering::kFortrolig, Gradering::kStrengtFortrolig}) {
    Person c = Child("Avegen");
    c.protection = g;
    const CohortEntry e = Evaluate(c, 1);
    EXPECT_EQ(e.outcome, Outcome::kManual);
    EXPECT_TRUE(Has(e, ManualReason::kProtectedAddress));
    EXPECT_FALSE(e.placement) << "no school may be derived from a protected address";
  }
}

TEST_F(CohortTest, GradedAddressCountsAsProtected) {
  Person c = Child("Avegen");
  c.home->gradering = Gradering::kFortrolig;
  const CohortEntry e = Evaluate(c, 1);
  EXPECT_TRUE(Has(e, ManualReason::kProtectedAddress));
  EXPECT_FALSE(e.placement);
}

TEST_F(CohortTest, KlientadresseIsNotManualByItself) {
  Person c = Child("Avegen");
  c.home->gradering = Gradering::kKlientadresse;
  EXPECT_EQ(Evaluate(c, 1).outcome, Outcome::kLetter);
}

TEST_F(CohortTest, GuardianWithProtectedAddressMakesTheCaseManual) {
  people_["G2"].protection = Gradering::kStrengtFortrolig;
  const CohortEntry e = Evaluate(Child("Avegen"), 1);
  EXPECT_EQ(e.outcome, Outcome::kManual);
  EXPECT_TRUE(Has(e, ManualReason::kGuardianProtected));
}

TEST_F(CohortTest, DNumberOnlyIsManual) {
  Person c = Child("Avegen");
  c.id_kind = NationalIdKind::kDNummer;
  c.status = PersonStatus::kMidlertidig;
  c.stay = c.home;
  c.home.reset();
  const CohortEntry e = Evaluate(c, 1);
  EXPECT_EQ(e.outcome, Outcome::kManual);
  EXPECT_TRUE(Has(e, ManualReason::kDNumberOnly));
  EXPECT_FALSE(Has(e, ManualReason::kStatusNeedsReview));
}

TEST_F(CohortTest, UnknownResidenceIsManual) {
  Person c = Child("Avegen");
  c.home->kind = AddressKind::kUkjentBosted;
  const CohortEntry e = Evaluate(c, 1);
  EXPECT_TRUE(Has(e, ManualReason::kUnknownResidence));
  EXPECT_EQ(e.outcome, Outcome::kManual);
}

TEST_F(CohortTest, UnknownResidenceWithoutMunicipalityStaysInTheCohort) {
  Person c = Child("Avegen");
  c.home->kind = AddressKind::kUkjentBosted;
  c.home->kommunenummer.clear();
  EXPECT_EQ(Evaluate(c, 1).outcome, Outcome::kManual);
}

TEST_F(CohortTest, NoGuardianIsManual) {
  const CohortEntry e = Evaluate(Child("Avegen", {}), 1);
  EXPECT_TRUE(Has(e, ManualReason::kNoGuardian));
}

TEST_F(CohortTest, UnknownResponsibilityDoesNotCountAsGuardian) {
  Person c = Child("Avegen", {});
  c.responsibility.push_back({Ansvar::kUkjent, "G1", {}});
  EXPECT_TRUE(Has(Evaluate(c, 1), ManualReason::kNoGuardian));
}

TEST_F(CohortTest, DeadGuardianIsNotARecipient) {
  people_["G1"].status = PersonStatus::kDoed;
  const CohortEntry e = Evaluate(Child("Avegen"), 1);
  EXPECT_EQ(e.guardians.size(), 1u);
  EXPECT_EQ(e.outcome, Outcome::kLetter);
}

// Joint parental responsibility, one guardian's document not in the
// extract: that guardian would never get the decision, so the case waits
// for the office, with the reason.
TEST_F(CohortTest, AGuardianWithoutARegisterDocumentSendsTheCaseToManualHandling) {
  const CohortEntry e = Evaluate(Child("Avegen", {"G1", "NOT-IN-EXTRACT"}), 1);
  ASSERT_EQ(e.guardians.size(), 2u);
  EXPECT_TRUE(e.guardians[1].document_missing);
  EXPECT_EQ(e.guardians[1].responsibility.guardian_id, "NOT-IN-EXTRACT");
  EXPECT_EQ(e.outcome, Outcome::kManual);
  EXPECT_TRUE(Has(e, ManualReason::kGuardianDocumentMissing));
  EXPECT_EQ(ManualReasonCode(ManualReason::kGuardianDocumentMissing), "guardian_document_missing");
}

// Unless the office chose to send the decision to the guardians it has.
TEST_F(CohortTest, TheOfficeMayChooseToSendToTheGuardiansInTheExtract) {
  m_.guardians.send_to_known_when_one_is_missing = true;
  const CohortEntry e = Evaluate(Child("Avegen", {"G1", "NOT-IN-EXTRACT"}), 1);
  EXPECT_TRUE(e.guardians[1].document_missing);
  EXPECT_EQ(e.outcome, Outcome::kLetter);
}

TEST_F(CohortTest, NoGuardianDocumentAtAllIsManual) {
  const CohortEntry e = Evaluate(Child("Avegen", {"X1", "X2"}), 1);
  EXPECT_TRUE(Has(e, ManualReason::kGuardianUnreachable));
}

TEST_F(CohortTest, UnplacedAddressIsManual) {
  const CohortEntry e = Evaluate(Child("Ukjentvegen"), 1);
  EXPECT_TRUE(Has(e, ManualReason::kUnplaced));
  ASSERT_TRUE(e.placement);
  EXPECT_EQ(e.placement->rule, PlacementRule::kManual);
}

TEST_F(CohortTest, StatusOtherThanBosattNeedsReview) {
  Person c = Child("Avegen");
  c.status = PersonStatus::kFoedselsregistrert;
  EXPECT_TRUE(Has(Evaluate(c, 1), ManualReason::kStatusNeedsReview));
}

TEST_F(CohortTest, ExclusionsAreNotManual) {
  Person dead = Child("Avegen");
  dead.status = PersonStatus::kDoed;
  EXPECT_EQ(Evaluate(dead, 1).exclusion, Exclusion::kDied);
  Person abroad = Child("Avegen");
  abroad.status = PersonStatus::kUtflyttet;
  EXPECT_EQ(Evaluate(abroad, 1).exclusion, Exclusion::kEmigrated);
  Person elsewhere = Child("Avegen");
  elsewhere.home->kommunenummer = "5001";
  const CohortEntry e = Evaluate(elsewhere, 1);
  EXPECT_EQ(e.outcome, Outcome::kExcluded);
  EXPECT_EQ(e.exclusion, Exclusion::kOtherMunicipality);
}

TEST_F(CohortTest, Grade8LetterWhenTheSchoolChanges) {
  const CohortEntry e = Evaluate(Child("Avegen"), 8);
  EXPECT_EQ(e.outcome, Outcome::kLetter);
  EXPECT_EQ(e.placement->school_id, "U");
  EXPECT_EQ(e.previous->school_id, "A");
}

TEST_F(CohortTest, Grade8NoLetterAtACombinedSchool) {
  const CohortEntry e = Evaluate(Child("Bvegen"), 8);
  EXPECT_EQ(e.outcome, Outcome::kNoLetter);
  EXPECT_EQ(e.placement->school_id, "B");
}

TEST_F(CohortTest, Grade8LetterAlwaysWhenConfigured) {
  m_.transitions.always_grade8 = true;
  EXPECT_EQ(Evaluate(Child("Bvegen"), 8).outcome, Outcome::kLetter);
}

TEST_F(CohortTest, Grade5LetterOnlyWhereGrade4SchoolEnds) {
  EXPECT_EQ(Evaluate(Child("Lavvegen"), 5).outcome, Outcome::kLetter);
  EXPECT_EQ(Evaluate(Child("Avegen"), 5).outcome, Outcome::kNoLetter);
  m_.transitions.always_grade5 = true;
  EXPECT_EQ(Evaluate(Child("Avegen"), 5).outcome, Outcome::kLetter);
}

TEST_F(CohortTest, SeveralReasonsAreAllListed) {
  Person c = Child("Ukjentvegen", {});
  const CohortEntry e = Evaluate(c, 1);
  EXPECT_TRUE(Has(e, ManualReason::kNoGuardian));
  EXPECT_TRUE(Has(e, ManualReason::kUnplaced));
}

}  // namespace
}  // namespace enrol::core
