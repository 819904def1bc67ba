#pragma once
// Sends letters through KS Fiks SvarUt REST v2 (../shared/reference/
// digital-post): one forsendelse per recipient, POST
// {base}/v2/kontoer/{kontoId}/forsendelser as multipart/form-data (the part
// "forsendelse", JSON, then the PDF in "filer"), with kunDigitalLevering so
// the service never prints it (the engine's print batch is the fallback).
// Exactly once: before it sends, it looks the recipient's eksternReferanse
// up (GET .../forsendelser?eksternRef=...); a forsendelse already there is
// the earlier attempt's. Statuses come from POST .../forsendelser/status-sok.
// Errors: Unavailable for what a retry may cure (no connection, 429, 5xx),
// another code with the service's message; never a name or an id number.

#include <string>

#include "engine/net/http_message.h"
#include "engine/app/digital_post_ports.h"

namespace enrol::post {

struct SvarUtSettings {
  std::string base_url;      // "https://svarut.ks.no/api"
  std::string konto_id;      // the sending account (a UUID)
  std::string bearer_token;  // "" when the transport authenticates
};

class SvarUtClient final : public app::DigitalPostPort {
 public:
  SvarUtClient(SvarUtSettings settings, http::Transport& transport);
  [[nodiscard]] Result<boost::json::object> Send(const app::PostShipment& shipment, int64_t timeout_ms) override;
  [[nodiscard]] Result<std::map<std::string, std::string>> Statuses(const std::vector<std::string>& ids,
                                                                  int64_t timeout_ms) override;

  // The forsendelse JSON of one recipient (for tests).
  [[nodiscard]] static boost::json::object Forsendelse(const app::PostShipment& s, const app::PostRecipient& r);

 private:
  [[nodiscard]] Result<http::Response> Call(http::Request req, const std::string& what, int64_t timeout_ms);
  SvarUtSettings settings_;
  http::Transport& transport_;
};

}  // namespace enrol::post
