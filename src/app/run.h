// The program: command line to exit code.
#pragma once

namespace voxterm {

// Everything main() does; returns the process exit code (util/exit_code.h).
int Main(int argc, char** argv);

}  // namespace voxterm
