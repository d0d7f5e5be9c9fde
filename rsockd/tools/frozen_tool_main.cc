// The main of the six frozen-file tools (frozen_tool.h). One source for all
// of them: each cc_binary in BUILD names its tool with the macro
// RSOCKD_FROZEN_TOOL (e.g. make_sockdfc), so a tool works the same under
// any installed file name.

#include <iostream>

#include "rsockd/tools/frozen_tool.h"

#ifndef RSOCKD_FROZEN_TOOL
#error "define RSOCKD_FROZEN_TOOL to the tool's name (see rsockd/BUILD)"
#endif

#define RSOCKD_STRINGIFY_INNER_(name) #name
#define RSOCKD_STRINGIFY_(name) RSOCKD_STRINGIFY_INNER_(name)

int main(int argc, char** argv) {
  return rsockd::RunFrozenTool(RSOCKD_STRINGIFY_(RSOCKD_FROZEN_TOOL), argc,
                               argv, std::cout, std::cerr);
}
