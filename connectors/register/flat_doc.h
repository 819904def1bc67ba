#pragma once
// A small read-only document tree for one register record: nodes in one
// vector, all text in one arena, so building it costs no allocation per value
// once the buffers have grown. JSON (through Boost.JSON's tokenizer) and XML
// (through libxml2's reader) both land in it, and one mapper reads it.
//
// It is bounded: at most kMaxNodes nodes and kMaxDepth levels, text values
// checked by CheckText. The first problem found (with the path of the field)
// is kept, and the mapper reports it as the record's error; nodes past a
// bound are not stored, so memory stays bounded whatever the input.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enrol::freg {

// The schema's Tekst type: at most 4,000 characters.
inline constexpr size_t kMaxTextChars = 4000;
// A UTF-8 character is at most four bytes.
inline constexpr size_t kMaxTextBytes = 4 * kMaxTextChars;

// Why a value may not be stored as text: invalid UTF-8, a control character
// (C0, DEL, C1), or more than kMaxTextChars characters. Empty when it may.
std::string_view CheckText(std::string_view s);

class FlatDoc {
 public:
  enum class Kind : uint8_t { kObject, kArray, kString, kNumber, kBool, kNull };
  static constexpr int kNone = -1;
  static constexpr int kMaxNodes = 10000;
  static constexpr int kMaxDepth = 32;
  static constexpr int kMaxMembers = 512;  // of one object

  // `json`: keys must be unique within an object (in XML an element may
  // repeat: the versions of a historised element).
  void Clear(bool json) {
    nodes_.clear();
    arena_.clear();
    open_.clear();
    json_ = json;
    problem_field_.clear();
    problem_.clear();
  }
  [[nodiscard]] bool Empty() const { return nodes_.empty(); }
  [[nodiscard]] int Root() const { return nodes_.empty() ? kNone : 0; }
  [[nodiscard]] bool FromJson() const { return json_; }

  [[nodiscard]] Kind KindOf(int n) const { return nodes_[n].kind; }
  [[nodiscard]] std::string_view Key(int n) const { return View(nodes_[n].key_off, nodes_[n].key_len); }
  // The text of a string, number ("12") or bool ("true") node.
  [[nodiscard]] std::string_view Text(int n) const { return View(nodes_[n].val_off, nodes_[n].val_len); }
  [[nodiscard]] int FirstChild(int n) const { return nodes_[n].first_child; }
  [[nodiscard]] int NextSibling(int n) const { return nodes_[n].next_sibling; }
  // The first child of object `n` named `key`, or kNone.
  [[nodiscard]] int Find(int n, std::string_view key) const {
    if (n == kNone) return kNone;
    for (int c = nodes_[n].first_child; c != kNone; c = nodes_[c].next_sibling) {
      if (Key(c) == key) return c;
    }
    return kNone;
  }

  // The path of node `n`, e.g. "navn[1].fornavn" (in XML, the versions of
  // an element are counted among its namesakes).
  [[nodiscard]] std::string PathOf(int n) const {
    std::vector<std::string> parts;  // leaf first
    for (; n != kNone && nodes_[n].parent != kNone; n = nodes_[n].parent) {
      const int p = nodes_[n].parent;
      if (nodes_[p].kind == Kind::kArray) {
        parts.push_back("[" + std::to_string(IndexAmong(p, n, false)) + "]");
      } else {
        std::string part(Key(n).substr(0, 64));
        if (!json_ && nodes_[p].parent == kNone) part += "[" + std::to_string(IndexAmong(p, n, true)) + "]";
        parts.push_back(std::move(part));
      }
    }
    std::string path;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      if (!path.empty() && (*it)[0] != '[') path += ".";
      path += *it;
    }
    return path;
  }

  // The first problem met while building, if any: the field's path (e.g.
  // "navn[1].fornavn") and what is wrong with it.
  [[nodiscard]] bool HasProblem() const { return !problem_.empty(); }
  [[nodiscard]] const std::string& ProblemField() const { return problem_field_; }
  [[nodiscard]] const std::string& Problem() const { return problem_; }

  // Building, in document order. Keys and text are appended to the arena by
  // the caller first (AppendText), then referenced by offset.
  uint32_t ArenaSize() const { return static_cast<uint32_t>(arena_.size()); }
  // Text in the arena; empty past its end (a dropped value's key is gone).
  [[nodiscard]] std::string_view ArenaText(uint32_t off, uint32_t len) const {
    if (off > arena_.size()) return {};
    return View(off, std::min<uint32_t>(len, static_cast<uint32_t>(arena_.size()) - off));
  }
  void AppendText(std::string_view s) { arena_.append(s.data(), s.size()); }
  void TruncateArena(uint32_t size) { arena_.resize(size); }
  void Begin(Kind kind, uint32_t key_off, uint32_t key_len) {
    const int n = Add(kind, key_off, key_len, 0, 0);
    open_.push_back({n, kNone, 0, kind == Kind::kArray});
  }
  void End() { open_.pop_back(); }
  void Scalar(Kind kind, uint32_t key_off, uint32_t key_len, uint32_t val_off, uint32_t val_len) {
    Add(kind, key_off, key_len, val_off, val_len);
  }
  [[nodiscard]] int Depth() const { return static_cast<int>(open_.size()); }
  // Records a problem with the value being added under `key` (in the open
  // object; empty in an array), unless one is known already.
  void SetProblem(std::string_view key, std::string_view what) {
    if (!problem_.empty()) return;
    problem_field_ = PathHere(key);
    problem_ = std::string(what);
  }

 private:
  struct Node {
    Kind kind;
    uint32_t key_off, key_len, val_off, val_len;
    int first_child, next_sibling, parent;
  };
  struct Open {
    int node;  // kNone when not stored (past a bound)
    int last_child;
    int count;  // children so far
    bool array;
  };
  int IndexAmong(int parent, int n, bool same_key) const {
    int i = 0;
    for (int c = nodes_[parent].first_child; c != kNone && c != n; c = nodes_[c].next_sibling) {
      if (!same_key || Key(c) == Key(n)) ++i;
    }
    return i;
  }
  std::string_view View(uint32_t off, uint32_t len) const {
    return std::string_view(arena_.data() + off, len);
  }
  std::string PathHere(std::string_view key) const {
    std::string path;
    for (size_t i = 1; i < open_.size(); ++i) {
      const Open& parent = open_[i - 1];
      if (parent.array) {
        path += "[" + std::to_string(parent.count - 1) + "]";
      } else if (open_[i].node != kNone) {
        if (!path.empty()) path += ".";
        path += Key(open_[i].node);
      }
    }
    if (!open_.empty() && open_.back().array) {
      path += "[" + std::to_string(open_.back().count) + "]";
    } else if (!key.empty()) {
      if (!path.empty()) path += ".";
      path += key.substr(0, 64);
    }
    return path;
  }
  // A value that is not stored gives its key and text back to the arena
  // (they are the last appended), so memory stays bounded by what is kept.
  int Drop(uint32_t ko, uint32_t kl, uint32_t vo, uint32_t vl) {
    if (kl > 0 && ko <= arena_.size()) {
      arena_.resize(ko);
    } else if (vl > 0 && vo <= arena_.size()) {
      arena_.resize(vo);
    }
    if (!open_.empty()) ++open_.back().count;
    return kNone;
  }
  int Add(Kind kind, uint32_t ko, uint32_t kl, uint32_t vo, uint32_t vl) {
    const std::string_view key = View(ko, kl);
    if (!open_.empty()) {
      Open& parent = open_.back();
      if (parent.node == kNone) return Drop(ko, kl, vo, vl);  // inside a value that was not stored
      if (static_cast<int>(open_.size()) >= kMaxDepth) {
        SetProblem(key, "nested more than " + std::to_string(kMaxDepth) + " levels deep");
        return Drop(ko, kl, vo, vl);
      }
      if (!parent.array && parent.count >= kMaxMembers) {
        SetProblem(key, "more than " + std::to_string(kMaxMembers) + " elements inside one element");
        return Drop(ko, kl, vo, vl);
      }
      if (json_ && !parent.array) {
        for (int c = nodes_[parent.node].first_child; c != kNone; c = nodes_[c].next_sibling) {
          if (Key(c) == key) {
            SetProblem(key, "appears twice in one object");
            break;
          }
        }
      }
    }
    if (static_cast<int>(nodes_.size()) >= kMaxNodes) {
      SetProblem(key, "the record has more than " + std::to_string(kMaxNodes) + " elements");
      return Drop(ko, kl, vo, vl);
    }
    const int n = static_cast<int>(nodes_.size());
    nodes_.push_back(Node{kind, ko, kl, vo, vl, kNone, kNone, open_.empty() ? kNone : open_.back().node});
    if (!open_.empty()) {
      Open& parent = open_.back();
      if (parent.last_child == kNone) {
        nodes_[parent.node].first_child = n;
      } else {
        nodes_[parent.last_child].next_sibling = n;
      }
      parent.last_child = n;
      ++parent.count;
    }
    return n;
  }

  std::vector<Node> nodes_;
  std::string arena_;
  std::vector<Open> open_;
  bool json_ = true;
  std::string problem_field_, problem_;
};

}  // namespace enrol::freg
