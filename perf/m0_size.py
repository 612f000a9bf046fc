#!/usr/bin/env python3
"""Print arm-none-eabi-size (Berkeley format) of network objects and whole M0 images.

usage: m0_size.py --size SIZE FILE...
"""
import argparse
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    for path in args.files:
        out = subprocess.run([args.size, "-t", path], check=True, stdout=subprocess.PIPE, text=True).stdout
        total = out.strip().splitlines()[-1].split()
        print("%-60s text %6s  data %5s  bss %5s" % (path.split("/")[-1], total[0], total[1], total[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
