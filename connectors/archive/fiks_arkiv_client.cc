#include "connectors/archive/fiks_arkiv_client.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/files/durable_file.h"
#include "engine/net/multipart.h"
#include "engine/app/kill_point.h"

namespace enrol::archive {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr const char* kMessageFile = "arkivmelding.xml";

// The answer's failure in a sentence: the refused kvittering's own message
// when the body is one, else the status.
Error Refused(const http::Response& r) {
  const std::string status = "the Fiks Arkiv endpoint answered HTTP " + std::to_string(r.status);
  if (r.status == 429 || r.status >= 500) {
    Error e = Unavailable(status).value();
    e.retry_after_ms = http::RetryAfterMs(r);
    return e;
  }
  auto k = ReadKvittering(r.body);
  if (!k && k.error().code == ErrorCode::kFailedPrecondition) return FailedPrecondition(status + ": " + k.error().message).value();
  return FailedPrecondition(status).value();
}

// A key is a file name here: letters, digits, '-', '_' and '.', not first.
bool SafeKey(const std::string& key) {
  if (key.empty() || key.size() > 100 || key[0] == '.') return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

using files::SyncDir;
using files::WriteSynced;

Result<std::string> ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Unavailable("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

http::Request FiksArkivHttpClient::Message(const app::ArchiveFiling& f) const {
  std::vector<http::Part> parts{{"arkivmelding", kMessageFile, "application/xml", BuildArkivmelding(f, settings_)},
                                {"fil", f.file_name, f.mime_type, f.file}};
  const std::string boundary = http::MultipartBoundary(parts, f.letter_key);
  http::Request req;
  req.method = "POST";
  req.url = url_;
  req.headers["content-type"] = http::MultipartContentType(boundary);
  req.headers["accept"] = "application/xml";
  // Fiks IO's message id: the letter's key, the same on every attempt.
  req.headers["x-fiks-melding-id"] = f.letter_key;
  if (!settings_.bearer_token.empty()) req.headers["authorization"] = "Bearer " + settings_.bearer_token;
  req.body = http::BuildMultipart(parts, boundary);
  return req;
}

Result<json::object> FiksArkivHttpClient::File(const app::ArchiveFiling& f, int64_t timeout_ms) {
  ENROL_RETURN_IF_ERROR(ScreeningFor(f, settings_.screening, settings_.protected_screening));
  http::Request req = Message(f);
  req.timeout_ms = timeout_ms;
  ENROL_ASSIGN_OR_RETURN(http::Response res, transport_.Send(req));
  app::KillPoint("archive_request");
  if (res.status != 200 && res.status != 201) return tl::unexpected(Refused(res));
  ENROL_ASSIGN_OR_RETURN(json::object receipt, ReadKvittering(res.body));
  receipt["requests"] = 1;
  return receipt;
}

Result<json::object> FiksArkivFolderClient::File(const app::ArchiveFiling& f, int64_t /*timeout_ms*/) {
  if (!SafeKey(f.letter_key)) return InvalidArgument("the letter's key cannot name a file in the drop folder");
  ENROL_RETURN_IF_ERROR(ScreeningFor(f, settings_.screening, settings_.protected_screening));
  const fs::path root(folder_.folder);
  const fs::path ut = root / "ut", inn = root / "inn", sendt = root / "sendt";
  const fs::path kvittering = inn / (f.letter_key + ".xml"), mark = sendt / f.letter_key;
  std::error_code ec;
  if (fs::exists(kvittering, ec)) {
    ENROL_ASSIGN_OR_RETURN(std::string xml, ReadAll(kvittering));
    auto receipt = ReadKvittering(xml);
    if (!receipt && receipt.error().code == ErrorCode::kFailedPrecondition) {
      // Refused: the next attempt (after the education office has seen the
      // incident) sends the message afresh.
      fs::remove(kvittering, ec);
      fs::remove(mark, ec);
    }
    if (receipt) (*receipt)["requests"] = 0;
    return receipt;
  }
  if (fs::exists(mark, ec)) {
    const auto age = fs::file_time_type::clock::now() - fs::last_write_time(mark, ec);
    const int64_t age_ms = std::chrono::duration_cast<std::chrono::milliseconds>(age).count();
    if (!ec && age_ms >= folder_.kvittering_timeout_ms) {
      fs::remove(mark, ec);  // the next attempt sends it again
      return Unavailable("no kvittering in " + inn.string() + " " + std::to_string(age_ms / 60000) +
                         " min after the message was written; it is sent again");
    }
    Error e = Unavailable("waiting for the archive's kvittering").value();
    e.pending = true;
    e.retry_after_ms = folder_.poll_ms;
    return tl::unexpected(e);
  }
  for (const fs::path& d : {ut, inn, sendt}) {
    fs::create_directories(d, ec);
    if (ec) return Unavailable("cannot make " + d.string() + ": " + ec.message());
  }
  const fs::path message = ut / f.letter_key;
  if (!fs::exists(message, ec)) {
    const fs::path tmp = ut / ("." + f.letter_key + ".tmp");
    fs::remove_all(tmp, ec);
    fs::create_directory(tmp, ec);
    if (ec) return Unavailable("cannot make " + tmp.string() + ": " + ec.message());
    ENROL_RETURN_IF_ERROR(WriteSynced(tmp / kMessageFile, BuildArkivmelding(f, settings_)));
    ENROL_RETURN_IF_ERROR(WriteSynced(tmp / f.file_name, f.file));
    SyncDir(tmp);
    fs::rename(tmp, message, ec);
    if (ec) return Unavailable("cannot move the message into " + ut.string() + ": " + ec.message());
    SyncDir(ut);
  }
  app::KillPoint("archive_request");
  ENROL_RETURN_IF_ERROR(WriteSynced(mark, f.letter_key + "\n"));
  SyncDir(sendt);
  Error e = Unavailable("sent; waiting for the archive's kvittering").value();
  e.pending = true;
  e.retry_after_ms = folder_.poll_ms;
  return tl::unexpected(e);
}

}  // namespace enrol::archive
