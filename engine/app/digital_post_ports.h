#pragma once
// The digital-post port: sends a case's letter to each guardian as a
// forsendelse through the municipality's sending service, and reads where
// each one stands. The adapter (connectors/digital_post: KS Fiks SvarUt REST
// v2) speaks the protocol; the dispatch service (dispatch_service.h)
// gathers what to send and reads the statuses into the case.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/core/result.h"

namespace enrol::app {

struct PostRecipient {
  std::string eksternref;   // the forsendelse's own key: the same on every attempt
  std::string name;
  std::string national_id;  // the digital mailbox is found by it (the sending service needs it)
  std::vector<std::string> address_lines;
  std::string postnummer, poststed;
  int copy = 1;             // which copy of the letter (its household's)
};

struct PostShipment {
  std::string title;                 // "Vedtak om skoleplass": no name
  std::string sender;                // avgivendeSystem
  std::vector<PostRecipient> recipients;
  std::map<int, std::string> pdfs;   // by copy
  std::string file_name = "vedtak.pdf";
  bool only_digital = true;          // never printed by the service: the engine's print batch is the fallback
};

// Where a forsendelse stands, as the engine sees it.
enum class PostState { kPending, kDelivered, kFailed };

class DigitalPostPort {
 public:
  virtual ~DigitalPostPort() = default;
  // {"protocol", "forsendelser": [{"copy", "eksternref", "id"}]}: no name.
  // Unavailable when a retry may cure it. Never sends one eksternref twice.
  [[nodiscard]] virtual Result<boost::json::object> Send(const PostShipment& shipment, int64_t timeout_ms) = 0;
  // The service's status of each forsendelse id ("LEST", "IKKE_LEVERT", ...).
  [[nodiscard]] virtual Result<std::map<std::string, std::string>> Statuses(const std::vector<std::string>& ids,
                                                                          int64_t timeout_ms) = 0;
};

// SvarUt's statuses as the engine's: delivered (LEST, LEVERT_SDP,
// SENDT_DIGITALT, PRINTET, SENDT_PRINT, MANUELT_HANDTERT), failed (IKKE_LEVERT,
// AVVIST: the engine's print batch takes it), else pending.
[[nodiscard]] PostState PostStateOf(const std::string& status);

}  // namespace enrol::app
