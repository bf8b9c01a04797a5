// voxterm: talk with an OpenAI Realtime model from a terminal. See README.md.
#include "app/run.h"

int main(int argc, char** argv) { return voxterm::Main(argc, argv); }
