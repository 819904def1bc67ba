#pragma once
// The `dispatch` invoke and the `post_status` invoke.
//
// dispatch: sends the approved letter to each guardian through the digital
// post port, the copy of their household (letter_service.h) to each, with an
// eksternref derived from the job's key, so a retry never sends twice. Its
// receipt lists the forsendelse ids (no names).
//
// post_status: reads the statuses of a dispatch's forsendelser; its receipt
// says whether all are settled ("done"), whether any could not be delivered
// digitally ("print": the engine's print batch takes those), and each status.
// The workflow polls it on a durable timer until done.
//
// A case under a protected address is never sent automatically.

#include "engine/app/case_ports.h"
#include "engine/app/digital_post_ports.h"
#include "engine/app/letter_ports.h"
#include "engine/app/ports.h"
#include "engine/app/settings.h"

namespace enrol::app {

class DispatchService final : public Connector {
 public:
  DispatchService(PersonStore& persons, Cases& cases, LetterStore& letters, DigitalPostPort& post,
                  const Settings& settings, int in_flight = 1)
      : persons_(persons), cases_(cases), letters_(letters), post_(post), settings_(settings), in_flight_(in_flight) {}

  JobOutcome Execute(const JobRequest& request) override;
  [[nodiscard]] int MaxInFlight() const override { return in_flight_; }
  [[nodiscard]] Call Begin(const JobRequest& request) override;

  [[nodiscard]] Result<PostShipment> Prepare(const JobRequest& request);

 private:
  PersonStore& persons_;
  Cases& cases_;
  LetterStore& letters_;
  DigitalPostPort& post_;
  const Settings& settings_;
  int in_flight_;
};

class PostStatusService final : public Connector {
 public:
  explicit PostStatusService(DigitalPostPort& post, int in_flight = 1) : post_(post), in_flight_(in_flight) {}
  JobOutcome Execute(const JobRequest& request) override;
  [[nodiscard]] int MaxInFlight() const override { return in_flight_; }
  [[nodiscard]] Call Begin(const JobRequest& request) override;

 private:
  DigitalPostPort& post_;
  int in_flight_;
};

}  // namespace enrol::app
