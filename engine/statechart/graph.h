#pragma once
// Graphviz DOT for a chart: compound and parallel states as clusters (a
// parallel one dashed), atomic and final states as nodes, transitions as
// edges labelled "event [cond]".

#include <string>

#include "engine/statechart/model.h"

namespace enrol::sc {

std::string ToDot(const Chart& chart);

}  // namespace enrol::sc
