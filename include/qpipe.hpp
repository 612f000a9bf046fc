// qpipe: an int8 neural network as a C++ type. Include this for everything, or the fine-grained
// headers under qpipe/ for less.
#pragma once

#include "qpipe/calibrate.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/layers/avg_pool.hpp"
#include "qpipe/layers/conv2d.hpp"
#include "qpipe/layers/dense.hpp"
#include "qpipe/layers/dense_per_channel.hpp"
#include "qpipe/layers/depthwise_conv2d.hpp"
#include "qpipe/layers/global_avg_pool.hpp"
#include "qpipe/layers/max_pool.hpp"
#include "qpipe/layers/pad.hpp"
#include "qpipe/layers/pointwise_conv2d.hpp"
#include "qpipe/layers/relu.hpp"
#include "qpipe/layers/residual.hpp"
#include "qpipe/layers/sigmoid.hpp"
#include "qpipe/layers/softmax.hpp"
#include "qpipe/layers/tanh.hpp"
#include "qpipe/numerics.hpp"
#include "qpipe/pipe.hpp"
#include "qpipe/shape.hpp"
#include "qpipe/transforms.hpp"
