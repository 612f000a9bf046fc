"""qpipe_tools: the front ends that write a qpipe C++ header from a trained model.

    python3 -m qpipe_tools.torch   a torch.nn module and a calibration batch (floats; qpipe calibrates)
    python3 -m qpipe_tools.onnx    an ONNX QDQ model (its int8 weights and grids carried over)
    python3 -m qpipe_tools.tflite  an int8 TFLite flatbuffer (likewise)

The submodules are imported on demand: importing the package pulls in neither torch nor onnx.
"""
