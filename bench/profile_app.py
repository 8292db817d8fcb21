"""Profile one framework on one scenario in process, with cProfile.

Usage::

    python bench/profile_app.py erlen plaintext            # top 30 functions by own time
    python bench/profile_app.py erlen lifecycle --count 20000 --sort cumulative --top 50
    python bench/profile_app.py erlen json --out json.prof # also save the stats (snakeviz, ...)

The request is verified first (same checks as the suite), then driven ``--count`` times
by the same in-process driver the suite uses. Profiling slows Python code down several
times, so use it to see *where* time goes; the suite says *how much*.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
from collections.abc import Sequence

from benchlib.frameworks import FRAMEWORKS, load_app
from benchlib.scenarios import BY_NAME, SCENARIO_NAMES
from benchlib.worker import Target


def main(argv: Sequence[str]) -> int:
    """Verify, warm up, then profile ``--count`` iterations and print the stats."""
    parser = argparse.ArgumentParser(prog="python bench/profile_app.py", description=__doc__)
    parser.add_argument("framework", choices=FRAMEWORKS)
    parser.add_argument("scenario", choices=SCENARIO_NAMES)
    parser.add_argument("--count", type=int, default=20_000, help="iterations (20000)")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime)")
    parser.add_argument("--top", type=int, default=30, help="rows to print (30)")
    parser.add_argument("--out", help="also dump the raw stats to this file")
    args = parser.parse_args(argv)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    target = Target(load_app(args.framework), BY_NAME[args.scenario])
    loop.run_until_complete(target.start())
    loop.run_until_complete(target.verify())
    loop.run_until_complete(target.run(min(args.count, 2_000)))  # warm caches

    profiler = cProfile.Profile()
    profiler.enable()
    elapsed_ns = loop.run_until_complete(target.run(args.count))
    profiler.disable()
    loop.run_until_complete(target.lifespan.shutdown())
    loop.close()

    print(f"{args.framework}/{args.scenario}: {elapsed_ns / args.count / 1000:.2f} µs/iteration")
    print("(under the profiler; run bench/run.py for real timings)\n")
    stats = pstats.Stats(profiler)
    stats.sort_stats(args.sort).print_stats(args.top)
    if args.out:
        stats.dump_stats(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
