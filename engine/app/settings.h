#pragma once
// The configuration the use cases run with (loaded by engine/config).

#include <map>

#include <boost/json/value.hpp>
#include <string>

#include "engine/core/municipality.h"
#include "engine/core/national_id.h"

namespace enrol::app {

// The "web" section: the web app's session lengths, TLS, and the figures
// behind "what the engine saved".
struct WebSettings {
  int64_t idle_minutes = 30;        // a session ends after this long without a request
  int64_t absolute_hours = 10;      // and after this long in any case
  double hourly_cost = 650;         // NOK per secretary hour
  double manual_minutes = 88;       // per enrolment, by the manual routine
  std::string tls_certificate;      // PEM files (resolved against the config's folder); empty: plain HTTP
  std::string tls_key;
};

struct Settings {
  core::Municipality municipality;
  core::NationalIdOptions national_ids;  // synthetic ids only in test set-ups
  std::string source;                    // the file it was read from
  // Shares of special cases for `gen-extract` (name -> fraction of children),
  // from the config's "extract_generator.shares"; empty means the defaults.
  std::map<std::string, double> extract_shares;
  // The "workflow" section of the config, given to workflows as `config`
  // (e.g. config.reminder_after); an object, or null when absent.
  boost::json::value workflow_config;
  // The workflow definition new cases start with (workflow.definition,
  // resolved against the config file's folder).
  std::string workflow_file;
  // The "letters" section (first_school_day, reply_days, legal_basis,
  // signature, logo) and the template folder, resolved against the config.
  boost::json::value letters_config;
  std::string letter_templates;
  // The "connectors" section: which adapter serves each invoke type.
  boost::json::value connectors_config;
  WebSettings web;
};

}  // namespace enrol::app
