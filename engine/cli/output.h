#pragma once
// Printing helpers shared by the commands.

#include <iostream>
#include <string>

#include <boost/json/value.hpp>

#include "engine/core/result.h"

namespace enrol::cli {

// Prints the error to stderr and returns the exit code for it.
int ReportError(const Error& error);

// Exit code for an error: 2 for input the user can fix, 1 otherwise.
int ExitCodeFor(const Error& error);

void PrintJson(const boost::json::value& v);

// Left-aligns `s` in a column of `width` display characters (UTF-8 aware).
std::string Pad(const std::string& s, size_t width);

}  // namespace enrol::cli
