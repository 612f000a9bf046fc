// The main program of perf/m0_profile.py --header (perf/profile_network.hpp): the network's own
// translation unit defines qpipe_profile::profiled, and this one runs it through its out-of-line
// forward(), so that the network's object holds the network's code alone (its flash figure).
// Cortex-M0 only.
#include "profile_network.hpp"

int main() {
  const qpipe_profile::Network& n = qpipe_profile::profiled;
  return qpipe_profile::profile_program(n, [&] { n.forward(); });
}
