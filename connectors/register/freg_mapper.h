#pragma once
// Maps a FREG person document ("Folkeregisterperson", JSON shape of the
// offentlig-med-hjemmel API) to a core::Person, validating as it goes. XML
// documents are first converted to the same JSON shape (XmlToFregJson).
//
// From each historised element the current entry (erGjeldende) is used.
// Required: identifikasjonsnummer (a valid fødselsnummer or D-nummer),
// status, foedsel (foedselsdato or foedselsaar) and navn (fornavn, etternavn).
// Unknown code values are errors, so a new register code is noticed rather
// than misread.

#include <string>

#include <boost/json/object.hpp>
#include <pugixml.hpp>
#include <tl/expected.hpp>

#include "engine/core/national_id.h"
#include "engine/core/person.h"

namespace enrol::freg {

struct MapError {
  std::string field;    // e.g. "bostedsadresse[0].vegadresse.kommunenummer"
  std::string message;  // without personal data
};

tl::expected<core::Person, MapError> MapFregPerson(const boost::json::object& doc,
                                                   const core::NationalIdOptions& ids);

// Converts a <folkeregisterperson> element to the JSON shape: each child of
// the person becomes an array (as in JSON), nested elements become objects,
// repeated nested elements arrays, and leaves strings. Namespace prefixes are
// dropped.
boost::json::object XmlToFregJson(const pugi::xml_node& person);

}  // namespace enrol::freg
