#!/usr/bin/env python3
"""Make the examples' PNGs: int8 vs float logits and per-element error for the two CNN examples,
and the XOR decision surface with its 0.5 contour. Runs the host report programs (which print the
same numbers as text) with --csv, then plots with Debian's python3-matplotlib.

usage: plot_examples.py BUILD_DIR SOURCE_DIR
Writes SOURCE_DIR/dsl_examples/{resnet18_block,mobilenetv2}/parity.png and
SOURCE_DIR/dsl_examples/xor/decision_surface.png. Run through `meson compile -C build plots`.
"""
import csv
import os
import subprocess
import sys
import tempfile


def run_report(program, csv_path):
    done = subprocess.run([program, "--csv", csv_path], stdout=subprocess.PIPE, text=True)
    sys.stdout.write(done.stdout)
    if done.returncode != 0:
        raise SystemExit("plot_examples.py: %s exited %d" % (program, done.returncode))
    with open(csv_path) as f:
        return list(csv.DictReader(f))


def plot_parity(plt, name, rows, out_png):
    labels = ["s%s/l%s" % (r["sample"], r["logit"]) for r in rows]
    floats = [float(r["float"]) for r in rows]
    ints = [float(r["dequantized"]) for r in rows]
    errors = [abs(a - b) for a, b in zip(floats, ints)]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    xs = range(len(rows))
    left.plot(xs, floats, "o-", label="float reference")
    left.plot(xs, ints, "x--", label="int8, dequantized")
    left.set_xticks(list(xs), labels, rotation=90, fontsize=7)
    left.set_ylabel("logit")
    left.set_title("%s: logits of the test images" % name)
    left.legend()
    right.bar(xs, errors)
    right.set_xticks(list(xs), labels, rotation=90, fontsize=7)
    right.set_ylabel("|int8 - float|")
    right.set_title("per-element error (max %.4f)" % max(errors))
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    print("wrote %s" % out_png)


def plot_surface(plt, rows, out_png):
    xs = sorted({float(r["x"]) for r in rows})
    n = len(xs)
    index = {x: i for i, x in enumerate(xs)}
    p_int8 = [[0.0] * n for _ in range(n)]
    p_float = [[0.0] * n for _ in range(n)]
    for r in rows:
        i, j = index[float(r["y"])], index[float(r["x"])]
        p_int8[i][j] = float(r["p_int8"])
        p_float[i][j] = float(r["p_float"])
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    image = ax.imshow(p_int8, origin="lower", extent=(0, 1, 0, 1), cmap="viridis", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label="p (int8)")
    ax.contour(xs, xs, p_int8, levels=[0.5], colors="white", linewidths=2)
    ax.contour(xs, xs, p_float, levels=[0.5], colors="red", linewidths=1, linestyles="dashed")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title("XOR decision surface: int8 (white) and float (red) 0.5 contours", fontsize=9)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)
    print("wrote %s" % out_png)


def main(argv):
    if len(argv) != 2:
        print("usage: plot_examples.py BUILD_DIR SOURCE_DIR", file=sys.stderr)
        return 2
    build, source = argv
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_examples.py: matplotlib is missing (apt-get install python3-matplotlib)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        for name in ["resnet18_block", "mobilenetv2"]:
            rows = run_report(os.path.join(build, "dsl_examples", name + "_parity"), os.path.join(tmp, name + ".csv"))
            plot_parity(plt, name, rows, os.path.join(source, "dsl_examples", name, "parity.png"))
        rows = run_report(os.path.join(build, "dsl_examples", "xor", "xor_surface"), os.path.join(tmp, "xor.csv"))
        plot_surface(plt, rows, os.path.join(source, "dsl_examples", "xor", "decision_surface.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
