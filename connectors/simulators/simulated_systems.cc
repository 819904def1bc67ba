#include "connectors/simulators/simulated_systems.h"

#include <unordered_map>

#include <boost/json.hpp>

#include "engine/core/sha256.h"
#include "engine/sql/sqlite.h"

namespace enrol::sim {
namespace json = boost::json;

struct SimulatedSystems::Impl {
  SimulatorOptions options;
  std::unique_ptr<sql::Database> db;  // null: kept in memory only
  // In memory, per (system, key): the calls, the first request's hash, and
  // the effect (a receipt, once applied).
  struct Key {
    std::string system, key;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<std::string>()(k.key) ^ (std::hash<std::string>()(k.system) << 1);
    }
  };
  struct Entry {
    int64_t calls = 0;
    std::string request_sha;
    json::value receipt;  // null until applied
    std::string case_ref;
  };
  std::unordered_map<Key, Entry, KeyHash> keys;
  int64_t serial = 0;
};

namespace {

class SystemConnector final : public app::Connector {
 public:
  SystemConnector(SimulatedSystems* owner, std::string type) : owner_(owner), type_(std::move(type)) {}
  app::JobOutcome Execute(const app::JobRequest& r) override { return owner_->Execute(type_, r); }
  // Answers at once, from this process (in memory or its SQLite file).
  bool InProcess() const override { return true; }

 private:
  SimulatedSystems* owner_;
  std::string type_;
};

uint64_t Fnv(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return h;
}

json::object Receipt(const std::string& type, const app::JobRequest& r, int64_t serial) {
  char id[32];
  std::snprintf(id, sizeof id, "%012llx", static_cast<unsigned long long>(Fnv(r.idempotency_key) & 0xffffffffffffULL));
  json::object o{{"system", type}, {"simulated", true}, {"serial", serial}};
  if (type == "letters") {
    o["letter_id"] = std::string("L-") + id;
    o["template"] = "simulated";
  } else if (type == "dispatch") {
    o["shipment_id"] = std::string("S-") + id;
    o["channel"] = "paper";
  } else if (type == "post_status") {  // the generic dispatch sends on paper: settled at once
    o["done"] = true;
    o["print"] = false;
  } else if (type == "student_system") {
    o["pupil_id"] = std::string("E-") + id;
  } else if (type == "archive") {
    o["journalpost_id"] = std::string("J-") + id;
    o["saksnr"] = "2027/" + std::to_string(serial);
  }
  return o;
}

}  // namespace

Result<std::unique_ptr<SimulatedSystems>> SimulatedSystems::Open(const SimulatorOptions& options) {
  std::unique_ptr<SimulatedSystems> s(new SimulatedSystems());
  s->impl_ = std::make_unique<Impl>();
  s->impl_->options = options;
  for (const char* type : {"letters", "dispatch", "post_status", "student_system", "archive"}) {
    s->connectors_[type] = std::make_unique<SystemConnector>(s.get(), type);
  }
  if (options.db_path.empty()) {  // in memory: instant, nothing survives the process
    s->impl_->keys.reserve(1 << 17);  // a school year's calls without rehashing
    return s;
  }
  ENROL_ASSIGN_OR_RETURN(s->impl_->db, sql::Database::Open(options.db_path));
  // Not in exclusive locking mode: a worker and an approval (two processes)
  // both use the simulators at once.
  ENROL_RETURN_IF_ERROR(s->impl_->db->Exec(
      "CREATE TABLE IF NOT EXISTS effects(system TEXT NOT NULL, key TEXT NOT NULL, serial INTEGER "
      "PRIMARY KEY, receipt TEXT NOT NULL, applied INTEGER NOT NULL DEFAULT 1, case_ref TEXT NOT NULL DEFAULT '', "
      "UNIQUE(system, key));"
      "CREATE TABLE IF NOT EXISTS calls(system TEXT NOT NULL, key TEXT NOT NULL, attempts INTEGER NOT NULL, "
      "request_sha TEXT NOT NULL DEFAULT '', PRIMARY KEY(system, key)) WITHOUT ROWID;"));
  return s;
}

SimulatedSystems::~SimulatedSystems() = default;

app::Connector* SimulatedSystems::Get(const std::string& type) {
  auto it = connectors_.find(type);
  return it == connectors_.end() ? nullptr : it->second.get();
}

std::map<std::string, app::Connector*> SimulatedSystems::All() {
  std::map<std::string, app::Connector*> out;
  for (auto& [k, v] : connectors_) out[k] = v.get();
  return out;
}

app::JobOutcome SimulatedSystems::Execute(const std::string& type, const app::JobRequest& r) {
  std::lock_guard<std::mutex> lock(mu_);
  auto fail = [](std::string e, bool retryable = true) { return app::JobOutcome{false, nullptr, std::move(e), retryable}; };
  const SimulatorOptions& opts = impl_->options;
  int fail_first_n = opts.fail_first_attempts;
  if (auto it = opts.fail_first_by_type.find(type); it != opts.fail_first_by_type.end()) fail_first_n = it->second;
  const std::string sha = core::Sha256Hex(json::serialize(r.params));
  std::string case_ref;
  if (const auto* c = r.params.if_contains("case_ref"); c && c->is_string()) case_ref = std::string(c->get_string());
  auto changed = [&] {
    return type + " (simulated): the request for key " + r.idempotency_key +
           " differs from its first attempt (HTTP 422)";
  };
  if (!impl_->db) {
    Impl::Entry& e = impl_->keys[Impl::Key{type, r.idempotency_key}];
    const int64_t n = ++e.calls;
    if (e.request_sha.empty()) e.request_sha = sha;
    if (e.request_sha != sha) return fail(changed(), false);
    if (opts.fail_always || n <= fail_first_n) return fail(type + " (simulated) is unavailable (HTTP 503)");
    if (e.receipt.is_null()) {
      e.receipt = Receipt(type, r, ++impl_->serial);
      e.case_ref = case_ref;
    }
    return app::JobOutcome{true, e.receipt, "", true};
  }
  sql::Database& db = *impl_->db;
  auto tx = sql::Transaction::Begin(db);
  if (!tx) return fail("simulator store: " + tx.error().message);
  auto calls = db.Prepare(
      "INSERT INTO calls(system, key, attempts, request_sha) VALUES(?,?,1,?) "
      "ON CONFLICT(system, key) DO UPDATE SET attempts=attempts+1 RETURNING attempts, request_sha");
  if (!calls) return fail(calls.error().message);
  calls->Bind(1, type).Bind(2, r.idempotency_key).Bind(3, sha);
  auto row = calls->Step();
  if (!row || !*row) return fail("simulator store: cannot count calls");
  const int64_t attempts = calls->ColumnInt(0);
  const std::string first_sha = calls->ColumnText(1);
  calls->Reset();
  if (first_sha != sha) {
    (void)tx->Commit();
    return fail(changed(), false);
  }
  if (opts.fail_always || attempts <= fail_first_n) {
    (void)tx->Commit();
    return fail(type + " (simulated) is unavailable (HTTP 503)");
  }
  auto existing = db.Prepare("SELECT receipt FROM effects WHERE system=? AND key=?");
  if (!existing) return fail(existing.error().message);
  existing->Bind(1, type).Bind(2, r.idempotency_key);
  auto found = existing->Step();
  if (!found) return fail(found.error().message);
  if (*found) {
    // Already applied: the same receipt again, no second effect.
    json::value receipt = json::parse(existing->ColumnView(0));
    existing->Reset();
    (void)tx->Commit();
    return app::JobOutcome{true, receipt, "", true};
  }
  existing->Reset();
  auto serial_q = db.Prepare("SELECT COALESCE(MAX(serial), 0) + 1 FROM effects");
  if (!serial_q || !*serial_q->Step()) return fail("simulator store: cannot number the effect");
  const int64_t serial = serial_q->ColumnInt(0);
  serial_q->Reset();
  const json::object receipt = Receipt(type, r, serial);
  auto ins = db.Prepare("INSERT INTO effects(system, key, serial, receipt, case_ref) VALUES(?,?,?,?,?)");
  if (!ins) return fail(ins.error().message);
  auto st = ins->Bind(1, type).Bind(2, r.idempotency_key).Bind(3, serial).Bind(4, json::serialize(receipt))
                .Bind(5, case_ref).Run();
  if (!st) return fail(st.error().message);
  auto committed = tx->Commit();
  if (!committed) return fail(committed.error().message);
  return app::JobOutcome{true, receipt, "", true};
}

Result<int64_t> SimulatedSystems::EffectCount(const std::string& type) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!impl_->db) {
    int64_t n = 0;
    for (const auto& [k, e] : impl_->keys) n += k.system == type && !e.receipt.is_null();
    return n;
  }
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, impl_->db->Prepare("SELECT COUNT(*) FROM effects WHERE system=?"));
  q.Bind(1, type);
  ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.ColumnInt(0) : 0;
}

Result<std::map<std::string, int>> SimulatedSystems::EffectsPerCase(const std::string& type) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, int> out;
  if (!impl_->db) {
    for (const auto& [k, e] : impl_->keys) {
      if (k.system == type && !e.receipt.is_null()) ++out[e.case_ref];
    }
    return out;
  }
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, impl_->db->Prepare("SELECT case_ref FROM effects WHERE system=?"));
  q.Bind(1, type);
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ++out[q.ColumnText(0)];
  }
  return out;
}

Result<std::map<std::string, int64_t>> SimulatedSystems::CallsPerKey(const std::string& type) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, int64_t> out;
  if (!impl_->db) {
    for (const auto& [k, e] : impl_->keys) {
      if (k.system == type) out[k.key] = e.calls;
    }
    return out;
  }
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, impl_->db->Prepare("SELECT key, attempts FROM calls WHERE system=?"));
  q.Bind(1, type);
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out[q.ColumnText(0)] = q.ColumnInt(1);
  }
  return out;
}

}  // namespace enrol::sim
