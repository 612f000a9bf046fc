"""The command line the three front ends share.

    python3 -m qpipe_tools.FRONT_END MODEL --out HEADER --namespace NS [--debug] [options of the front end]

Bad input (a file, the model, an option) is one line `PROG: error: ...` on stderr and exit status 1;
--debug prints the traceback before that line. On success the summary block goes to stdout."""

import argparse
import sys
import traceback
import warnings

from . import FrontEndError


class ArgumentParser(argparse.ArgumentParser):
    """Command-line mistakes too get one line and exit status 1, like bad models."""

    def error(self, message):
        print("%s: error: %s" % (self.prog, message), file=sys.stderr)
        sys.exit(1)


def parser(prog, description, model_help):
    """The parser with the options every front end takes; the caller adds its own."""
    p = ArgumentParser(prog=prog, description=description)
    p.add_argument("model", metavar="MODEL", help=model_help)
    p.add_argument("--out", required=True, metavar="HEADER", help="the C++ header to write")
    p.add_argument("--namespace", required=True, metavar="NS", help="C++ namespace of the generated declarations")
    p.add_argument(
        "--debug", action="store_true", help="on an error, print the Python traceback before the one-line message"
    )
    return p


def one_line(exception, limit=300):
    """An exception's message on one line (its first line when it has several), at most `limit`
    characters (None: all): a foreign exception may quote a whole tensor."""
    text = str(exception).strip()
    text = text.splitlines()[0] if text else type(exception).__name__
    return text if limit is None else text[:limit]


def run(parser, argv, export):
    """Parses argv and calls export(args), which writes the header and returns a summary.Summary.
    Returns the exit status: 0 after printing the summary, 1 after one error line."""
    args = parser.parse_args(argv)
    prog = parser.prog
    with warnings.catch_warnings():
        # torch, onnx and protobuf warn on stderr (a saved class's changed source, a damaged file):
        # the contract is one error line or nothing, unless asked for the details.
        if not args.debug:
            warnings.simplefilter("ignore")
        try:
            summary = export(args)
        except FrontEndError as e:
            if args.debug:
                traceback.print_exc()
            print("%s: error: %s" % (prog, one_line(e, None)), file=sys.stderr)
            return 1
        except Exception as e:  # a bug or a case not foreseen: still one line unless --debug
            if args.debug:
                traceback.print_exc()
            print(
                "%s: error: internal error (%s): %s (--debug shows where)" % (prog, type(e).__name__, one_line(e)),
                file=sys.stderr,
            )
            return 1
    for line in summary.lines(prog, args.out):
        print(line)
    return 0
