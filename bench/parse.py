"""Parse speed against a bare read-decode-split loop, in one process.

    python bench/parse.py [--count 20000] [--repeat 3]

Generates a corpus (cached under /tmp by count and seed), then times, on the
same files, (a) the baseline: read each file, decode it (UTF-8, UTF-16 by
BOM, else Windows-1256) and split it into lines; (b) `parse_files`, the code
path of `feedsvc check`, tag segmentation included. Prints files/s, MB/s
and the ratio of (b) to (a); the goal is at most 4x. Best of --repeat runs
of each, taken alternately.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import cached_corpus
from feedsvc.parse import Lexicon, ParseRules, parse_files, walk
from feedsvc.settings import LEXICON


def bare(paths: list[str]) -> int:
    lines = 0
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1256")
        lines += len(text.splitlines())
    return lines


def timed(run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = cached_corpus(args.count)
    files = list(walk(folder, "*.txt"))
    paths = [f.full_path for f in files]
    megabytes = sum(f.size for f in files) / 1e6
    rules = ParseRules(2 * 1024 * 1024, Lexicon.load(LEXICON))
    # measured alternately, so that a slow stretch of this noisy machine
    # falls on both sides, not on one
    bases, parses = [], []
    for _ in range(args.repeat):
        bases.append(timed(lambda: bare(paths)))
        parses.append(timed(lambda: parse_files(files, rules)))
    base, parse = min(bases), min(parses)
    print(f"corpus: {len(files)} files, {megabytes:.1f} MB")
    print(f"baseline (read+decode+split): {len(files) / base:9.0f} files/s {megabytes / base:7.1f} MB/s")
    print(f"feedsvc parse (check path):   {len(files) / parse:9.0f} files/s {megabytes / parse:7.1f} MB/s")
    print(f"ratio parse/baseline: {parse / base:.2f}x (goal <= 4x)")


if __name__ == "__main__":
    main()
