#pragma once
// Files that must survive a power cut once written: the drop folders of the
// file-based connectors (Fiks Arkiv, PIFU-IMS). Write under a temporary name,
// fsync, rename into place, fsync the folder.

#include <filesystem>
#include <string>

#include "engine/core/result.h"

namespace enrol::files {

// Writes `content` to `path` (created or truncated) and fsyncs it.
[[nodiscard]] Status WriteSynced(const std::filesystem::path& path, const std::string& content);
// Fsyncs a folder, so that a rename or a new file in it is durable (best effort).
void SyncDir(const std::filesystem::path& dir);

}  // namespace enrol::files
