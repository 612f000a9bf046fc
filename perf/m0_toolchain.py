"""Building Cortex-M0 programs outside meson, with the flags of the project's cross file.

perf/m0_profile.py --header and perf/opt_levels.py compile programs of their own (a network
header with the profile harness; the examples at another optimisation level). They take every
flag from cross/cortex-m0.ini ([constants], [binaries], [built-in options]) and the larger part's
sizes from meson.build (m0_large_link_args, m0_large_run_args), so that a program built here is
built as meson builds the M0 suite: the same compiler, the same code generation flags (meson's
own -Wall, -Wextra, -D_FILE_OFFSET_BITS=64 and colour flags do not change code; -DNDEBUG of its
release build type is added here too) and the same link.
"""
import ast
import atexit
import configparser
import os
import re
import shutil
import subprocess
import tempfile


def _evaluate(text, constants):
    """A meson cross-file value: string and list literals, constant names and '+'."""

    def value(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bool, int)):
            return node.value
        if isinstance(node, ast.List):
            return [value(e) for e in node.elts]
        if isinstance(node, ast.Name):
            if node.id not in constants:
                raise SystemExit("m0_toolchain.py: unknown constant %r in the cross file" % node.id)
            return constants[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return value(node.left) + value(node.right)
        raise SystemExit("m0_toolchain.py: cannot read %r in the cross file" % text)

    return value(ast.parse(text.strip(), mode="eval").body)


def _meson_list(meson_build, name):
    """The literal list assigned to `name` in meson.build (m0_large_link_args, m0_large_run_args)."""
    text = open(meson_build).read()
    m = re.search(r"^\s*%s\s*=\s*(\[[^\]]*\])" % re.escape(name), text, re.M)
    if not m:
        raise SystemExit("m0_toolchain.py: %s not found in %s" % (name, meson_build))
    return ast.literal_eval(m.group(1))


class Toolchain:
    """The M0 compiler, its flags and the qemu command, from SOURCE_ROOT's cross file."""

    def __init__(self, source_root, large=False, boost_include_dir="/usr/include"):
        self.source_root = os.path.abspath(source_root)
        cross = configparser.ConfigParser()
        cross.optionxform = str
        cross.read(os.path.join(self.source_root, "cross", "cortex-m0.ini"))
        constants = {}
        for key, text in cross["constants"].items():
            constants[key] = _evaluate(text, constants)
        binaries = {k: _evaluate(v, constants) for k, v in cross["binaries"].items()}
        options = {k: _evaluate(v, constants) for k, v in cross["built-in options"].items()}
        self.cpp = binaries["cpp"]
        self.cc = binaries["c"]
        self.nm, self.size, self.objdump = binaries["nm"], binaries["size"], binaries["objdump"]
        self.addr2line = self.objdump.replace("objdump", "addr2line")
        self.cpp_args = options["cpp_args"]
        self.link_args = options["c_link_args"]  # meson links the M0 programs as C (link_language : 'c')
        # tools/run-m0 (the cross file's exe_wrapper as a script) takes qemu options, then the ELF.
        self.run = [os.path.join(self.source_root, "tools", "run-m0")]
        meson_build = os.path.join(self.source_root, "meson.build")
        if large:
            self.link_args = self.link_args + _meson_list(meson_build, "m0_large_link_args")
            self.run = self.run + _meson_list(meson_build, "m0_large_run_args")
        # As meson.build does for the cross compiler: a folder that holds only a link to Boost.
        self._boost = tempfile.mkdtemp(prefix="qpipe-boost-")
        atexit.register(shutil.rmtree, self._boost, True)
        os.symlink(os.path.join(boost_include_dir, "boost"), os.path.join(self._boost, "boost"))

    def compile(self, source, obj, opt="O3", includes=(), flags=(), network=False):
        """Compiles SOURCE to OBJ. network: also -g (line tables for the profiler, no effect on the
        code) and the stack-usage files (OBJ without .o + .su / .ci), as meson builds the examples'
        network objects."""
        cmd = (
            [self.cpp, "-std=c++20", "-" + opt, "-DNDEBUG"]
            + self.cpp_args
            + ["-isystem", self._boost, "-I" + os.path.join(self.source_root, "include")]
            + ["-I" + i for i in includes]
            + list(flags)
        )
        if network:
            cmd += ["-g", "-fstack-usage", "-fcallgraph-info=su"]
        cmd += ["-c", source, "-o", obj]
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise SystemExit(
                "m0_toolchain.py: %s did not compile:\n%s\n%s" % (source, " ".join(cmd), done.stderr[-6000:])
            )
        return obj

    def link(self, objects, elf):
        cmd = [self.cc] + self.link_args + list(objects) + ["-o", elf]
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise SystemExit("m0_toolchain.py: %s did not link:\n%s\n%s" % (elf, " ".join(cmd), done.stderr[-4000:]))
        return elf
