"""Save-to-browser latency of `digestif serve`: how long from writing a note to an open page in
headless Chromium showing the change, with no reload by this script.

    python bench/serve_latency.py SITE_DIR [--rounds 5] [--engine commonmark] [--edit body]
        [--stages]

``--edit title`` (the default) gives the note a new title; ``--edit body`` appends a sentence
to its body, the edit the dev server updates the model in place for. ``--stages`` runs the
server with ``--debug`` and prints the median of each build stage over the rebuilds. Each
edit's time is split into: save -> the server's "rebuilt" line (the watcher's wait and the
rebuild, which the server times itself), and that line -> the page showing the change (the
reload message, the browser's fetch and paint).

Needs Debian's chromium and chromium-driver and selenium (pip install -e '.[test]'). Run by
hand, like the rest of bench/; it restores the note it edits, and site.toml when --engine
set ``[markdown] engine`` in it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import site_toml
from selenium import webdriver

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
GIVE_UP_SECONDS = 60
ANNOUNCED: list[float] = []
"""When each "rebuilt" line was read from the server."""
ANNOUNCED_AT: list[float] = []
"""The same, as wall-clock time (for the browser's navigation timing)."""
NAVIGATIONS: list[dict] = []
"""The browser's timing of each reload (ms since the reload started), and when it started."""
SAVED: list[tuple[float, float]] = []
"""(saved, shown) of each edit."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--engine", help="Markdown engine, set as [markdown] engine in the "
                        "site's site.toml for the run (default: whatever site.toml says)")
    parser.add_argument("--edit", choices=("title", "body"), default="title",
                        help="what each round changes in the note (default: its title)")
    parser.add_argument("--stages", action="store_true",
                        help="log the rebuilds' stages (serve --debug) and print their medians")
    args = parser.parse_args()
    config = args.site / "site.toml"
    config_bytes = config.read_bytes()
    if args.engine:
        config.write_text(site_toml.set_key(config_bytes.decode("utf-8"), "markdown", "engine",
                                            args.engine), encoding="utf-8")
    try:
        latencies, rebuilds, stages = measure_site(args.site, args.rounds, args.edit,
                                                   args.stages)
    finally:
        config.write_bytes(config_bytes)
    report(args.site, latencies, rebuilds, args.engine, args.edit)
    report_stages(stages)


def measure_site(site: Path, rounds: int, edit: str = "title", stages: bool = False,
                 ) -> tuple[list[float], list[float], list[dict[str, float]]]:
    note = sorted((site / "content").rglob("*.md"))[-1]
    original = note.read_text(encoding="utf-8")
    server, url, rebuilds, stage_log = start_server(site, stages)
    profile = tempfile.mkdtemp()
    try:
        driver = start_browser(profile)
        try:
            driver.get(f"{url}papers/{note.stem}/")
            latencies = [edit_and_wait(driver, note, original, i, edit) for i in range(rounds)]
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(profile, ignore_errors=True)
        note.write_text(original, encoding="utf-8")
    return latencies, rebuilds, stage_log[1:]  # the first entry is the first, full build


def start_server(site: Path, stages: bool = False,
                 ) -> tuple[subprocess.Popen, str, list[float], list[dict[str, float]]]:
    command = [sys.executable, "-m", "digestif", "serve", str(site), "--port", "0"]
    server = subprocess.Popen(command + ["--debug"] * stages, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    stage_log: list[dict[str, float]] = [{}]
    said: list[str] = []
    while not (found := re.search(r"serving (http://\S+)", line := server.stdout.readline())):
        said.append(line)
        _log_stage(line, stage_log)
        if server.poll() is not None:
            sys.exit("digestif serve did not start:\n" + "".join(said[-20:]))
    rebuilds: list[float] = []

    def read_rebuild_lines() -> None:
        for line in server.stdout:
            if seconds := re.search(r"rebuilt .* in ([0-9.]+) s", line):
                rebuilds.append(float(seconds.group(1)))
                ANNOUNCED.append(time.perf_counter())
                ANNOUNCED_AT.append(time.time())
            _log_stage(line, stage_log)

    threading.Thread(target=read_rebuild_lines, daemon=True).start()
    return server, found.group(1), rebuilds, stage_log


def _log_stage(line: str, stage_log: list[dict[str, float]]) -> None:
    """``stage model: 0.012 s`` lines (serve --debug), one dict per build; a new build starts
    at its read stage."""
    if found := re.search(r"stage (\w+): ([0-9.]+) s", line):
        name, seconds = found.group(1), float(found.group(2))
        if name == "read" and stage_log[-1]:
            stage_log.append({})
        stage_log[-1][name] = stage_log[-1].get(name, 0.0) + seconds


def start_browser(profile: str) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(driver_path))


def edit_and_wait(driver: webdriver.Chrome, note: Path, original: str, round_: int,
                  edit: str = "title") -> float:
    """Give the note a new title (or a new last sentence); seconds until the open page shows
    it."""
    marker = f"Measured edit {round_} {time.time_ns()}"
    time.sleep(0.5)  # let the previous reload settle
    if edit == "title":
        text = re.sub(r"(?m)^title:.*$", f'title: "{marker}"', original, count=1)
        shown = "return document.querySelector('h1')?.textContent"
    else:
        text = original.rstrip("\n") + f"\n\n{marker}.\n"
        shown = "return document.querySelector('main')?.textContent"
    note.write_text(text, encoding="utf-8")
    saved = time.perf_counter()
    while marker not in (driver.execute_script(shown) or ""):
        if time.perf_counter() - saved > GIVE_UP_SECONDS:
            sys.exit(f"the page did not show the edit within {GIVE_UP_SECONDS} s")
        time.sleep(0.005)
    latency = time.perf_counter() - saved
    SAVED.append((saved, saved + latency))
    NAVIGATIONS.append(driver.execute_script(
        "const n = performance.getEntriesByType('navigation')[0]; return {origin: "
        "performance.timeOrigin, response: n.responseEnd, ready: n.domContentLoadedEventEnd, "
        "load: n.loadEventEnd};"))
    print(f"round {round_}: {latency * 1000:.0f} ms", flush=True)
    return latency


def report(site: Path, latencies: list[float], rebuilds: list[float], engine: str | None,
           edit: str = "title") -> None:
    median = statistics.median(latencies)
    name = f"{site.name} ({engine})" if engine else site.name
    print(f"{name}, {edit} edits: save to screen median {median:.2f} s (min {min(latencies):.2f}, "
          f"max {max(latencies):.2f}) over {len(latencies)} edits; rebuilds took "
          f"{', '.join(f'{s:.2f}' for s in rebuilds)} s")
    if len(ANNOUNCED) >= len(SAVED) == len(rebuilds):
        said = ANNOUNCED[-len(SAVED):]
        waits = [a - saved - r for a, (saved, _), r in zip(said, SAVED, rebuilds, strict=True)]
        shows = [shown - a for a, (_, shown) in zip(said, SAVED, strict=True)]
        print(f"  beyond the rebuild (medians): save -> rebuild starts "
              f"{statistics.median(waits) * 1000:.0f} ms (watcher), rebuilt -> page shows "
              f"{statistics.median(shows) * 1000:.0f} ms (reload message, fetch, paint)")
    if len(ANNOUNCED_AT) >= len(NAVIGATIONS) and NAVIGATIONS:
        said = ANNOUNCED_AT[-len(NAVIGATIONS):]
        # The page swaps its body in place: a navigation that began before the build was
        # announced is the first load, not a reload.
        reloads = [(n, n["origin"] / 1000 - a) for n, a in zip(NAVIGATIONS, said, strict=True)
                   if n["origin"] / 1000 > a - 0.5]
        print(f"  {len(reloads)} of {len(NAVIGATIONS)} edits reloaded the page", end="")
        if reloads:
            def median_ms(values) -> str:
                return f"{statistics.median(values):.0f} ms"
            print(f"; rebuilt -> reload starts {median_ms([s * 1000 for _, s in reloads])}, "
                  f"page received {median_ms([n['response'] for n, _ in reloads])}, DOM ready "
                  f"{median_ms([n['ready'] for n, _ in reloads])}, loaded "
                  f"{median_ms([n['load'] for n, _ in reloads])}", end="")
        print()


def report_stages(stages: list[dict[str, float]]) -> None:
    names = list(dict.fromkeys(name for build in stages for name in build))
    if names:
        print("rebuild stages (median s): " + ", ".join(
            f"{name} {statistics.median([b.get(name, 0.0) for b in stages]):.3f}"
            for name in names))


if __name__ == "__main__":
    main()
