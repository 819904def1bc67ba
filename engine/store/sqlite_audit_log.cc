// The AuditLog port on SQLite: the hash chain (SHA-256, or HMAC-SHA-256
// under the audit key), appended inside the unit of work, and its check.
#include "engine/store/sqlite_case_store.h"

#include <boost/json.hpp>

#include "engine/core/sha256.h"

#include "engine/store/sqlite_case_store_parts.h"

namespace enrol::store {
namespace json = boost::json;
using namespace detail;

std::string AuditHash(const std::string& prev, int64_t seq, const std::string& at,
                      const app::AuditEntry& e, const std::string& key) {
  // Fields are length-prefixed so that no two rows serialise alike.
  std::string buf;
  for (const std::string& f : {prev, std::to_string(seq), at, std::to_string(e.case_id), e.actor,
                               e.kind, e.detail}) {
    buf += std::to_string(f.size()) + ":" + f + ";";
  }
  // Keyed rows say so, so that a chain rewritten without the key (plain
  // SHA-256) cannot pass for a keyed one.
  return key.empty() ? core::Sha256Hex(buf) : kKeyedPrefix + core::HmacSha256Hex(key, buf);
}

Status SqliteCaseStore::AppendAudit(const app::AuditEntry& e, const std::string& at) {
  if (!tx_) return FailedPrecondition("audit rows are written inside a transaction");
  if (audit_key_.empty() && audit_hash_.rfind(kKeyedPrefix, 0) == 0) {
    return FailedPrecondition("the audit log is chained with a key and this process has none: set ENROL_AUDIT_KEY_FILE "
                              "(or ENROL_AUDIT_KEY) as for the other processes on this database; nothing was written");
  }
  const int64_t seq = audit_seq_ + 1;
  const std::string hash = AuditHash(audit_hash_, seq, at, e, audit_key_);
  ENROL_RETURN_IF_ERROR(insert_audit_->Bind(1, seq).Bind(2, at).Bind(3, e.case_id).Bind(4, e.actor)
                            .Bind(5, e.kind).Bind(6, e.detail).Bind(7, audit_hash_).Bind(8, hash).Run());
  audit_seq_ = seq;
  audit_hash_ = hash;
  return {};
}

Result<std::vector<std::pair<std::string, app::AuditEntry>>> SqliteCaseStore::AuditOf(int64_t case_id) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT at, case_id, actor, kind, detail FROM audit WHERE case_id=? ORDER BY seq"));
  q.Bind(1, case_id);
  return sql::CollectRows<std::pair<std::string, app::AuditEntry>>(q, [](sql::Statement& r) {
    return std::make_pair(r.ColumnText(0),
                          app::AuditEntry{r.ColumnInt(1), r.ColumnText(2), r.ColumnText(3), r.ColumnText(4)});
  });
}

Result<std::vector<app::AuditRow>> SqliteCaseStore::RecentAudit(int64_t before_seq, int limit) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT a.seq, a.at, coalesce(c.case_key, ''), a.case_id, a.actor, a.kind, a.detail FROM audit a "
      "LEFT JOIN cases c ON c.id = a.case_id WHERE (?1 = 0 OR a.seq < ?1) ORDER BY a.seq DESC LIMIT ?2"));
  q.Bind(1, before_seq).Bind(2, std::clamp(limit, 1, 500));
  return sql::CollectRows<AuditRow>(q, [](sql::Statement& r) {
    return AuditRow{r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2),
                    app::AuditEntry{r.ColumnInt(3), r.ColumnText(4), r.ColumnText(5), r.ColumnText(6)}};
  });
}

Result<app::AuditVerification> SqliteCaseStore::VerifyAudit(std::optional<app::AuditHead> expected) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT seq, at, case_id, actor, kind, detail, prev_hash, hash FROM audit ORDER BY seq"));
  app::AuditVerification v;
  auto broken = [&](std::string problem) {
    v.ok = false;
    v.problem = std::move(problem);
    return v;
  };
  std::string prev(64, '0');
  int64_t expected_seq = 1;
  bool head_seen = false;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ++v.rows;
    const int64_t seq = q.ColumnInt(0);
    const app::AuditEntry e{q.ColumnInt(2), q.ColumnText(3), q.ColumnText(4), q.ColumnText(5)};
    if (seq != expected_seq) {
      return broken("row " + std::to_string(expected_seq) + " is missing (next row is " + std::to_string(seq) + ")");
    }
    if (q.ColumnText(6) != prev) return broken("row " + std::to_string(seq) + " does not link to the row before it");
    const std::string stored = q.ColumnText(7);
    const bool keyed = stored.rfind(kKeyedPrefix, 0) == 0;
    if (keyed && audit_key_.empty()) {
      return broken("row " + std::to_string(seq) +
                    " is chained with a key, and no key is set: set ENROL_AUDIT_KEY or ENROL_AUDIT_KEY_FILE");
    }
    if (!keyed && !audit_key_.empty() && v.keyed_rows > 0) {
      return broken("row " + std::to_string(seq) + " is not chained with the key, though rows before it are: "
                    "the log was rewritten without the key");
    }
    const std::string hash = AuditHash(prev, seq, q.ColumnText(1), e, keyed ? audit_key_ : std::string());
    if (hash != stored) {
      return broken("row " + std::to_string(seq) + " was changed after it was written (" +
                    (keyed ? "HMAC mismatch: changed, or a different key" : "hash mismatch") + ")");
    }
    v.keyed_rows += keyed ? 1 : 0;
    if (expected && seq == expected->seq) {
      head_seen = true;
      if (hash != expected->hash) {
        return broken("row " + std::to_string(seq) + " differs from the checkpointed head: the log was rewritten");
      }
    }
    prev = hash;
    ++expected_seq;
  }
  v.head_seq = expected_seq - 1;
  v.head_hash = v.rows ? prev : "";
  if (!audit_key_.empty() && v.rows > 0 && v.keyed_rows == 0) {
    return broken("no row is chained with the configured key: the log was written or rewritten without it");
  }
  if (expected && expected->seq > 0 && !head_seen) {
    return broken("the log ends at row " + std::to_string(v.head_seq) + " but the checkpoint holds row " +
                  std::to_string(expected->seq) + ": rows were removed from the end");
  }
  return v;
}

}  // namespace enrol::store
