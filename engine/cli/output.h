#pragma once
// Printing helpers shared by the commands.

#include <iostream>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "engine/core/result.h"

namespace enrol::cli {

// Prints the error to stderr and returns the exit code for it.
int ReportError(const Error& error);

// Exit code for an error: 2 for input the user can fix, 1 otherwise.
int ExitCodeFor(const Error& error);

void PrintJson(const boost::json::value& v);

// `s` with control characters (C0, DEL, C1) shown as '?': text from the
// register or a person never moves the cursor or recolours a terminal.
std::string ForTerminal(std::string_view s, bool keep_newlines = false);

// Left-aligns `s` in a column of `width` display characters (UTF-8 aware),
// through ForTerminal.
std::string Pad(const std::string& s, size_t width);

// The audit actor of a person's command: "person:" and --as, else $USER.
std::string Actor(const std::string& as);

}  // namespace enrol::cli
