"""`digestif build ARGS...` with digestif's stage timings on stderr, for run.py.

    python bench/digestif_build.py SITE_DIR -q

`digestif build --debug` would log the stage times too, but it turns on debug logging for
every library (Python-Markdown logs each extension it loads, for every note), which slows
the build being timed. This logs only the two lines run.py reads: `bench-stage NAME: S s`
from build._stage, and `bench-search ...` from the search module's summary.
"""

from __future__ import annotations

import logging
import sys


class _Prefix(logging.Filter):
    """Keeps only the stage and search summaries, marked so run.py can find them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(("stage ", "search: ")):
            record.bench_line = "bench-" + message
            return True
        return False


def _log_stages() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Prefix())
    handler.setFormatter(logging.Formatter("%(bench_line)s"))
    # The whole package, so the stage lines are found wherever build._stage moves to.
    logger = logging.getLogger("digestif")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)


# Guarded: a process pool started with "spawn" imports this module again in each worker.
if __name__ == "__main__":
    _log_stages()
    from digestif.cli import main

    raise SystemExit(main(["build", *sys.argv[1:]]))
