#pragma once
// Helpers shared by the tests: temporary directories, files, running the
// enrol binary, and the location of ../shared (which may be absent).

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace enrol::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("enrol-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Runs a shell command and captures its output (stderr merged).
inline CommandResult Run(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string SourceDir() { return ENROL_SOURCE_DIR; }
inline std::string SharedDir() { return ENROL_SHARED_DIR; }
// A reference file (an official schema, test vectors): the copy in
// tests/reference/ (see its README), else ../shared/reference/.
inline std::string Reference(const std::string& rel) {
  const std::string ours = SourceDir() + "/tests/reference/" + rel;
  return std::filesystem::exists(ours) ? ours : SharedDir() + "/reference/" + rel;
}
inline bool HaveReference(const std::string& rel) { return std::filesystem::exists(Reference(rel)); }
inline std::string DemoConfig() { return SourceDir() + "/config/demo/municipality.json"; }
inline std::string EnrolBinary() { return ENROL_BINARY; }

}  // namespace enrol::testing
