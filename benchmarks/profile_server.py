"""Profile one contender's server during one scenario: where does its time go?

``python benchmarks/profile_server.py CONTENDER SCENARIO [--quick] [--top N]``

The server runs under cProfile (deterministic, so absolute times are inflated, but the
split between functions is what matters); prints the functions with the most own time and the
most cumulative time.
"""

from __future__ import annotations

import argparse
import os
import pstats
import sys
import tempfile
from pathlib import Path

import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("contender", choices=run.CONTENDERS)
    parser.add_argument("scenario")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    [scenario] = [s for s in run.scenarios(args.quick) if s.name == args.scenario]
    stats_file = Path(tempfile.gettempdir()) / f"bench-{args.contender}-{args.scenario}.prof"
    stats_file.unlink(missing_ok=True)
    os.environ["BENCH_PROFILE"] = str(stats_file)
    print(run.measure(scenario, args.contender))
    stats = pstats.Stats(str(stats_file), stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    print(f"stats kept in {stats_file} (e.g. python -m pstats {stats_file})")


if __name__ == "__main__":
    main()
