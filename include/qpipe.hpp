// qpipe: an int8 neural network as a C++ type. Include this for everything, or the fine-grained
// headers under qpipe/ for less.
#pragma once

#include "qpipe/layer.hpp"
#include "qpipe/layers/dense.hpp"
#include "qpipe/layers/relu.hpp"
#include "qpipe/layers/sigmoid.hpp"
#include "qpipe/layers/tanh.hpp"
#include "qpipe/numerics.hpp"
#include "qpipe/pipe.hpp"
#include "qpipe/shape.hpp"
