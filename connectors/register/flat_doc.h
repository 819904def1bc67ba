#pragma once
// A small read-only document tree for one register record: nodes in one
// vector, all text in one arena, so building it costs no allocation per value
// once the buffers have grown. JSON (through Boost.JSON's tokenizer) and XML
// (through pugixml) both land in it, and one mapper reads it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace enrol::freg {

class FlatDoc {
 public:
  enum class Kind : uint8_t { kObject, kArray, kString, kNumber, kBool, kNull };
  static constexpr int kNone = -1;

  void Clear() {
    nodes_.clear();
    arena_.clear();
    open_.clear();
  }
  [[nodiscard]] bool Empty() const { return nodes_.empty(); }
  [[nodiscard]] int Root() const { return nodes_.empty() ? kNone : 0; }

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

  // Building, in document order. Keys and text are appended to the arena by
  // the caller first (AppendText), then referenced by offset.
  uint32_t ArenaSize() const { return static_cast<uint32_t>(arena_.size()); }
  void AppendText(std::string_view s) { arena_.append(s.data(), s.size()); }
  void Begin(Kind kind, uint32_t key_off, uint32_t key_len) {
    const int n = Add(kind, key_off, key_len, 0, 0);
    open_.push_back({n, kNone});
  }
  void End() { open_.pop_back(); }
  void Scalar(Kind kind, uint32_t key_off, uint32_t key_len, uint32_t val_off, uint32_t val_len) {
    Add(kind, key_off, key_len, val_off, val_len);
  }
  [[nodiscard]] int Depth() const { return static_cast<int>(open_.size()); }

 private:
  struct Node {
    Kind kind;
    uint32_t key_off, key_len, val_off, val_len;
    int first_child, next_sibling;
  };
  struct Open {
    int node;
    int last_child;
  };
  std::string_view View(uint32_t off, uint32_t len) const {
    return std::string_view(arena_.data() + off, len);
  }
  int Add(Kind kind, uint32_t ko, uint32_t kl, uint32_t vo, uint32_t vl) {
    const int n = static_cast<int>(nodes_.size());
    nodes_.push_back(Node{kind, ko, kl, vo, vl, kNone, kNone});
    if (!open_.empty()) {
      Open& parent = open_.back();
      if (parent.last_child == kNone) {
        nodes_[parent.node].first_child = n;
      } else {
        nodes_[parent.last_child].next_sibling = n;
      }
      parent.last_child = n;
    }
    return n;
  }

  std::vector<Node> nodes_;
  std::string arena_;
  std::vector<Open> open_;
};

}  // namespace enrol::freg
