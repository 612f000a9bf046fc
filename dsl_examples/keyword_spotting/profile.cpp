// M0 only: the keyword-spotting network in perf/profile_network.hpp's profile program (one
// inference on a seeded input, the stack it uses measured), for the micro:bit fit test
// (tests/tools/ram_fit.py) beside main.cpp's image.
#include "kws_net.hpp"
#include "profile_network.hpp"

const qpipe_profile::Network qpipe_profile::profiled = qpipe_profile::describe<kws::network, kws::spec>();
