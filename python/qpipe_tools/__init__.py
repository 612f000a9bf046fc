"""qpipe_tools: the front ends that write a qpipe C++ header from a trained model.

    python3 -m qpipe_tools.torch  MODEL.pt --calibration BATCH.npy --out net.hpp --namespace net
    python3 -m qpipe_tools.onnx   MODEL.onnx --out net.hpp --namespace net
    python3 -m qpipe_tools.tflite MODEL.tflite --out net.hpp --namespace net

torch: a torch.nn module and a calibration batch (float parameters; the grids calibrated by qpipe's
arithmetic). onnx: an ONNX QDQ model, tflite: an int8 TFLite flatbuffer (their int8 weights and grids
carried over as they are). Submodules load on demand: importing the package imports neither torch nor
onnx.
"""


class FrontEndError(Exception):
    """Input a front end cannot turn into a qpipe header; the message is one line for the user.
    Each front end raises its own subclass (torch.ExportError, onnx.QdqError, tflite.TfliteError)."""
