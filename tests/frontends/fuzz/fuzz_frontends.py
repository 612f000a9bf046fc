#!/usr/bin/python3
"""Robustness of the torch and ONNX front ends against mutated inputs.

Every input must give either a header that compiles (g++ -std=c++20 -fsyntax-only -I include) or
exactly one stderr line `qpipe_tools.torch: error: ...` / `qpipe_tools.onnx: error: ...` with exit status 1:
never a traceback, a hang, or a header that does not compile.

  fuzz_frontends.py ROOT WORK --generate N [--seed S] [--keep DIR]
      builds seed models (the ONNX tests' QDQ models: MLPs, CNNs, the DS-CNN stem, a ResNet block,
      merges, pools; a small torch CNN), mutates them N times
      (truncated / corrupted bytes, wrong dtypes, out-of-range indices, NaN / zero / negative /
      subnormal / huge scales, zero points out of range, shapes that disagree, huge dimensions,
      cycles), runs the tool on each and prints the outcome counts; with --keep, copies every
      case whose outcome is a contract violation, plus one of each distinct error, into DIR.
  fuzz_frontends.py ROOT WORK --replay CORPUS
      runs every case of the committed corpus (tests/frontends/fuzz/corpus/{onnx,torch}) and
      fails on any contract violation (meson test, suite 'frontends').

A torch case is a directory holding model.pt and calibration.npy; an ONNX case is one .onnx file.
Needs /usr/bin/python3 with numpy, onnx and torch (Debian's python3-onnx, python3-torch).
"""
import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile

TOOL_TIMEOUT = 120
COMPILE_TIMEOUT = 300


def run_tool(root, kind, case, work):
    """Runs a front end on one case; returns (outcome, detail). Outcomes: 'header', 'error',
    and the violations 'traceback', 'hang', 'bad-error', 'bad-header'."""
    case, work = os.path.abspath(case), os.path.abspath(work)
    out = os.path.join(work, "net.hpp")
    if os.path.exists(out):
        os.remove(out)
    if kind == "onnx":
        cmd = ["/usr/bin/python3", "-m", "qpipe_tools.onnx", case, "--out", out, "--namespace", "fz"]
        prog = "qpipe_tools.onnx"
    else:
        cmd = [
            "/usr/bin/python3",
            "-m",
            "qpipe_tools.torch",
            os.path.join(case, "model.pt"),
            "--calibration",
            os.path.join(case, "calibration.npy"),
            "--out",
            out,
            "--namespace",
            "fz",
            "--calibrate",
            "host",
        ]
        prog = "qpipe_tools.torch"
    try:
        p = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
            cwd=work,
            env=dict(os.environ, PYTHONPATH=os.path.join(root, "python")),
        )
    except subprocess.TimeoutExpired:
        return "hang", "no answer in %d s" % TOOL_TIMEOUT
    err = p.stderr.strip().splitlines()
    if p.returncode == 0:
        if not os.path.exists(out):
            return "bad-header", "exit 0 without a header"
        with open(os.path.join(work, "check.cpp"), "w") as f:
            f.write('#include "net.hpp"\nint main() { return 0; }\n')
        try:
            c = subprocess.run(
                [
                    "g++",
                    "-std=c++20",
                    "-fsyntax-only",
                    "-I",
                    os.path.join(root, "include"),
                    "-I",
                    work,
                    os.path.join(work, "check.cpp"),
                ],
                capture_output=True,
                text=True,
                timeout=COMPILE_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return "bad-header", "the header did not compile in %d s" % COMPILE_TIMEOUT
        if c.returncode != 0:
            first = [l for l in c.stderr.splitlines() if "error" in l][:1]
            return "bad-header", (first[0] if first else c.stderr[:300])
        return "header", ""
    if "Traceback" in p.stderr:
        return "traceback", err[-1] if err else ""
    if p.returncode == 1 and len(err) == 1 and err[0].startswith(prog + ": error: "):
        return "error", err[0]
    return "bad-error", "exit %d, stderr %r" % (p.returncode, p.stderr[:300])


# ---- seeds --------------------------------------------------------------------------------------


def onnx_seeds(root, work):
    """The ONNX front end's own test models (tests/frontends/onnx/make_models.py)."""
    d = os.path.join(work, "onnx_seeds")
    os.makedirs(d, exist_ok=True)
    subprocess.run(
        ["/usr/bin/python3", os.path.join(root, "tests", "frontends", "onnx", "make_models.py"), d],
        check=True,
        capture_output=True,
    )
    return [
        os.path.join(d, n)
        for n in (
            "mlp.onnx",
            "cnn.onnx",
            "head_logits.onnx",
            "mlp_per_channel.onnx",
            "ds_cnn.onnx",
            "resnet.onnx",
            "merges.onnx",
            "pools.onnx",
        )
    ]


def torch_seed(work):
    import numpy as np
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3, padding=1),
        torch.nn.BatchNorm2d(3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(3 * 2 * 2, 4),
        torch.nn.Softmax(dim=1),
    ).eval()
    calibration = np.random.default_rng(0).standard_normal((4, 2, 4, 4)).astype(np.float32)
    return model, calibration


# ---- mutations ----------------------------------------------------------------------------------

BAD_SCALES = [float("nan"), 0.0, -0.05, 1e-45, 5e-324, float("inf"), 3e38, 1e-30]
BAD_ZERO_POINTS = [300, -200, 128, -129, 2**31 - 1]
HUGE = [0, -1, 10**9, 2**31, 2**40]


def mutate_bytes(data, rng):
    how = rng.choice(["truncate", "flip", "zero-run", "random"])
    b = bytearray(data)
    if how == "truncate":
        return bytes(b[: rng.randrange(0, len(b))]), how
    if how == "flip":
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
        return bytes(b), how
    if how == "zero-run":
        i = rng.randrange(len(b))
        n = rng.randint(1, 64)
        b[i : i + n] = bytes(len(b[i : i + n]))
        return bytes(b), how
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 2048))), how


def mutate_onnx(model, rng):
    """One semantic mutation of an ONNX model (a copy); returns (model, description)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    inits = list(g.initializer)
    how = rng.choice(
        [
            "scale",
            "zero_point",
            "dtype",
            "dims",
            "input_dims",
            "dangling",
            "cycle",
            "attribute",
            "drop_node",
            "duplicate_output",
            "weights_value",
            "opset",
        ]
    )
    if how in ("scale", "zero_point", "dtype", "dims", "weights_value") and inits:
        scales = [t for t in inits if "scale" in t.name]
        zps = [t for t in inits if "zero_point" in t.name or t.name.endswith("_zp")]
        if how == "scale" and scales:
            t = rng.choice(scales)
            a = numpy_helper.to_array(t).astype(np.float32).copy()
            a.flat[rng.randrange(a.size)] = rng.choice(BAD_SCALES)
            t.CopyFrom(numpy_helper.from_array(a.astype(np.float32), t.name))
            return m, "scale %s" % t.name
        if how == "zero_point" and zps:
            t = rng.choice(zps)
            a = numpy_helper.to_array(t).astype(np.int64).copy()
            a.flat[rng.randrange(a.size)] = rng.choice(BAD_ZERO_POINTS)
            t.CopyFrom(numpy_helper.from_array(a.astype(rng.choice([np.int32, np.int64, np.int16])), t.name))
            return m, "zero point %s" % t.name
        t = rng.choice(inits)
        a = numpy_helper.to_array(t)
        if how == "dtype":
            dt = rng.choice([np.float32, np.float64, np.int16, np.uint8, np.int64, np.float16, np.bool_])
            t.CopyFrom(numpy_helper.from_array(a.astype(dt), t.name))
            return m, "dtype %s -> %s" % (t.name, np.dtype(dt).name)
        if how == "weights_value":
            b = a.astype(np.float64).copy()
            if b.size:
                b.flat[rng.randrange(b.size)] = rng.choice([float("nan"), float("inf"), 1e30, -128, 2**40])
            try:
                t.CopyFrom(
                    numpy_helper.from_array(b.astype(a.dtype) if a.dtype.kind == "f" else b.astype(np.float32), t.name)
                )
            except Exception:
                return m, "weights_value (none)"
            return m, "value %s" % t.name
        # dims: reshape or drop a dimension
        flat = a.reshape(-1)
        choices = [flat, flat[: max(0, flat.size - 1)], np.concatenate([flat, flat[:1]])]
        if a.ndim >= 2:
            choices.append(a.reshape(a.shape[0], -1))
            choices.append(np.swapaxes(a, 0, 1).copy())
        t.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(rng.choice(choices)), t.name))
        return m, "dims %s" % t.name
    if how == "input_dims" and g.input:
        i = rng.choice(list(g.input))
        dims = i.type.tensor_type.shape.dim
        if dims:
            d = rng.choice(list(dims))
            d.Clear()
            if rng.random() < 0.2:
                d.dim_param = "batch_or_n"
            else:
                d.dim_value = rng.choice(HUGE + [1, 2, 3, 7])
        return m, "input dims"
    nodes = list(g.node)
    if not nodes:
        return m, "no nodes"
    if how == "dangling":
        n = rng.choice(nodes)
        if n.input:
            n.input[rng.randrange(len(n.input))] = rng.choice(["", "no_such_tensor", "input_of_nowhere"])
        return m, "dangling input of %s" % n.op_type
    if how == "cycle":
        k = rng.randrange(len(nodes))
        later = nodes[rng.randrange(k, len(nodes))]
        if nodes[k].input and later.output:
            nodes[k].input[0] = later.output[0]
        return m, "cycle at node %d" % k
    if how == "attribute":
        cand = [n for n in nodes if n.attribute]
        if cand:
            n = rng.choice(cand)
            a = rng.choice(list(n.attribute))
            if a.ints:
                for j in range(len(a.ints)):
                    a.ints[j] = rng.choice([0, -1, 2**31 - 1, 1000, 2])
            elif a.type == onnx.AttributeProto.INT:
                a.i = rng.choice([0, -1, 2**31 - 1, 1000, 7])
            elif a.type == onnx.AttributeProto.FLOAT:
                a.f = rng.choice(BAD_SCALES)
            return m, "attribute %s.%s" % (n.op_type, a.name)
        return m, "attribute (none)"
    if how == "drop_node":
        g.node.remove(rng.choice(nodes))
        return m, "drop node"
    if how == "duplicate_output":
        n = rng.choice(nodes)
        other = rng.choice(nodes)
        if n.output and other.output:
            n.output[0] = other.output[0]
        return m, "duplicate output"
    m.opset_import[0].version = rng.choice([1, 7, 99, 0])
    return m, "opset"


def mutate_torch(model, calibration, rng):
    """One mutation of a torch seed: the model's parameters or structure, or the calibration
    array; returns (model, calibration, description)."""
    import copy
    import numpy as np
    import torch

    m = copy.deepcopy(model)
    c = calibration.copy()
    how = rng.choice(
        [
            "weight",
            "bn",
            "calibration_value",
            "calibration_shape",
            "calibration_dtype",
            "linear_in",
            "conv_kernel",
            "empty_batch",
            "structure",
        ]
    )
    with torch.no_grad():
        if how == "weight":
            p = rng.choice([p for p in m.parameters()])
            p.view(-1)[rng.randrange(p.numel())] = rng.choice([float("nan"), float("inf"), 1e30, 0.0, -1e-45])
            if rng.random() < 0.3:
                p.zero_()
            return m, c, "weight value"
        if how == "bn":
            bn = m[1]
            bn.running_var.fill_(rng.choice([0.0, -1.0, float("nan"), 1e-45]))
            bn.eps = rng.choice([0.0, 1e-5])
            return m, c, "batch norm variance"
    if how == "calibration_value":
        c.flat[rng.randrange(c.size)] = rng.choice([np.nan, np.inf, -np.inf, 1e30])
        if rng.random() < 0.3:
            c[...] = 0.0
        return m, c, "calibration value"
    if how == "calibration_shape":
        shapes = [(4, 2, 4), (4, 3, 4, 4), (4, 2, 5, 5), (0, 2, 4, 4), (4, 32), (2, 2, 4, 4, 1), (), (1, 2, 2, 2)]
        return m, np.zeros(rng.choice(shapes), np.float32) + 0.5, "calibration shape"
    if how == "calibration_dtype":
        dt = rng.choice([np.int8, np.int64, np.complex64, np.bool_, np.float16, object, "U3"])
        try:
            return m, c.astype(dt), "calibration dtype %s" % dt
        except Exception:
            return m, np.array([["a", "b"]]), "calibration dtype str"
    if how == "linear_in":
        m[5] = torch.nn.Linear(rng.choice([1, 11, 13, 2**20 // 1024]), 4)
        return m, c, "linear in_features"
    if how == "conv_kernel":
        m[0] = torch.nn.Conv2d(2, 3, rng.choice([5, 7, 9]), padding=0)
        return m, c, "conv kernel larger than the image"
    if how == "empty_batch":
        return m, c[:0], "empty batch"
    layers = list(m)
    k = rng.randrange(len(layers))
    choice = rng.choice(["drop", "swap", "odd"])
    if choice == "drop":
        del layers[k]
    elif choice == "swap" and len(layers) > 1:
        j = rng.randrange(len(layers))
        layers[k], layers[j] = layers[j], layers[k]
    else:
        layers.insert(
            k,
            rng.choice(
                [
                    torch.nn.GELU(),
                    torch.nn.Conv2d(2, 3, 3, stride=(1, 2)),
                    torch.nn.LSTM(4, 4),
                    torch.nn.Softmax(dim=0),
                    torch.nn.AvgPool2d(3),
                    torch.nn.Linear(4, 0),
                ]
            ),
        )
    return torch.nn.Sequential(*layers).eval(), c, "structure %s at %d" % (choice, k)


def save_torch_case(d, model, calibration):
    import numpy as np
    import torch

    os.makedirs(d, exist_ok=True)
    torch.save(model, os.path.join(d, "model.pt"))
    np.save(
        os.path.join(d, "calibration.npy"), calibration, allow_pickle=False
    ) if calibration.dtype != object else np.save(os.path.join(d, "calibration.npy"), calibration, allow_pickle=True)


# ---- drivers ------------------------------------------------------------------------------------


def generate(root, work, count, seed, keep):
    import onnx

    rng = random.Random(seed)
    os.makedirs(work, exist_ok=True)
    cases = []  # (kind, path, description)
    seeds = onnx_seeds(root, work)
    models = [onnx.load(s) for s in seeds]
    tmodel, tcal = torch_seed(work)
    for n in range(count):
        d = os.path.join(work, "case%05d" % n)
        if n % 3 != 2:  # two ONNX cases for one torch case (torch's import is the slow part)
            k = rng.randrange(len(seeds))
            path = d + ".onnx"
            if rng.random() < 0.3:
                data, how = mutate_bytes(open(seeds[k], "rb").read(), rng)
                open(path, "wb").write(data)
            else:
                m, how = mutate_onnx(models[k], rng)
                if rng.random() < 0.3:
                    m, how2 = mutate_onnx(m, rng)
                    how += " + " + how2
                open(path, "wb").write(m.SerializeToString())
            cases.append(("onnx", path, "%s: %s" % (os.path.basename(seeds[k]), how)))
        else:
            if rng.random() < 0.25:
                save_torch_case(d, tmodel, tcal)
                which = rng.choice(["model.pt", "calibration.npy"])
                data, how = mutate_bytes(open(os.path.join(d, which), "rb").read(), rng)
                open(os.path.join(d, which), "wb").write(data)
                how = "%s bytes %s" % (which, how)
            else:
                m, c, how = mutate_torch(tmodel, tcal, rng)
                save_torch_case(d, m, c)
            cases.append(("torch", d, how))
    counts = {}
    seen_errors = set()
    for kind, path, how in cases:
        outcome, detail = run_tool(root, kind, path, work)
        counts[(kind, outcome)] = counts.get((kind, outcome), 0) + 1
        violation = outcome not in ("header", "error")
        if violation:
            print("VIOLATION %s %s (%s): %s" % (outcome, path, how, detail))
        if keep and (violation or (outcome == "error" and detail not in seen_errors)):
            seen_errors.add(detail)
            dest = os.path.join(
                keep, kind, hashlib.sha1((path + how).encode()).hexdigest()[:12] + (".onnx" if kind == "onnx" else "")
            )
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            (shutil.copy if kind == "onnx" else shutil.copytree)(path, dest)
    for (kind, outcome), n in sorted(counts.items()):
        print("%-5s %-10s %d" % (kind, outcome, n))
    return 1 if any(o not in ("header", "error") for (_, o) in counts) else 0


def replay(root, work, corpus):
    os.makedirs(work, exist_ok=True)
    failures = total = 0
    for kind in ("onnx", "torch"):
        d = os.path.join(corpus, kind)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            total += 1
            outcome, detail = run_tool(root, kind, os.path.join(d, name), work)
            ok = outcome in ("header", "error")
            failures += not ok
            print("%s %s/%s: %s %s" % ("ok  " if ok else "FAIL", kind, name, outcome, detail))
    print("%d cases replayed, %d violations" % (total, failures))
    return 1 if failures or total == 0 else 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("root")
    p.add_argument("work")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--generate", type=int, metavar="N")
    g.add_argument("--replay", metavar="CORPUS")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", metavar="DIR")
    a = p.parse_args(argv)
    if a.replay:
        return replay(a.root, a.work, a.replay)
    return generate(a.root, a.work, a.generate, a.seed, a.keep)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
