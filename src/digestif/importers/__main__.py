"""``python -m digestif.importers KIND SOURCE``: the import command on its own."""

import argparse
import sys

from . import configure_parser, run_import

parser = argparse.ArgumentParser(prog="digestif import")
configure_parser(parser)
sys.exit(run_import(parser.parse_args()))
