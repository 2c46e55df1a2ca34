"""`python -m bench.profile [fetch|baseline|refresh]`: where a request's time goes, under load.

What `make profile` runs: a small SQLite database (the quick scale's 5,000 people), `pds serve`
with one worker, wrk at full speed, and py-spy sampling that worker meanwhile. Prints the
functions holding the most samples, inclusive (with everything they call) and exclusive (their
own code), and writes py-spy's raw stacks (flamegraph.pl input) next to the data. How the bench
results' "what profiling found" was found; see README "Performance".
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench import scenarios
from bench.config import QUICK
from bench.dataset import PeopleLoader, load_people
from bench.run import HERE
from bench.server import Server
from bench.workspace import Workspace, consent, prepare_keys
from bench.wrk import run_wrk

PY_SPY = Path(sys.executable).with_name("py-spy")


def frame_name(frame: str) -> str:
    """`function (path/to/file.py:12)` as `function (file.py)`: samples add up per function."""
    function, _, where = frame.partition(" (")
    path = where.removesuffix(")").split(":")[0]
    return f"{function} ({path.rsplit('/', 1)[-1]})" if where else function


def top_frames(raw: Path, count: int) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """(total samples, top inclusive, top exclusive) from py-spy's raw output."""
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        n = int(samples)
        total += n
        frames = [frame_name(frame) for frame in stack.split(";")]
        for name in set(frames):
            inclusive[name] += n
        exclusive[frames[-1]] += n
    return total, inclusive.most_common(count), exclusive.most_common(count)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    modes = ["fetch", "baseline", "refresh"]
    parser.add_argument("mode", nargs="?", choices=modes, default="fetch")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--port", type=int, default=18091)
    parser.add_argument("--data", type=Path, default=HERE / ".data" / "profile")
    args = parser.parse_args(argv)

    root: Path = args.data
    material = prepare_keys(root)
    loader = PeopleLoader(material.keyring, material.index_key, QUICK.records_per_person)
    ws = Workspace("profile", root, f"sqlite:///{root / 'pds.db'}")
    try:
        loaded = load_people([ws.db], loader, count=QUICK.people, sample=QUICK.fetch_people + 60)
        consent(ws, loaded, fetch_people=QUICK.fetch_people, refresh_grants=50)
        with Server(ws.env, args.port, log=root / "server.log") as server:
            if args.mode == "refresh":
                inputs, basic = scenarios.refresh_input(ws, QUICK, root / "refresh.txt")
            else:
                inputs, basic = scenarios.fetch_input(ws, root / "fetch.txt"), ""
            if args.mode == "fetch":  # warm up: first touches of each grant write last_access_at
                run_wrk(server.base_url, "fetch", seconds=2, connections=4, input_file=inputs)
            raw = root / f"{args.mode}.pyspy.txt"
            spy = subprocess.Popen(
                [str(PY_SPY), "record", "-p", str(server.worker_pids()[0]), "-r", "200",
                 "-d", f"{args.seconds:g}", "-f", "raw", "-o", str(raw), "--nonblocking"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                time.sleep(0.5)  # py-spy attaches
                result = run_wrk(
                    server.base_url,
                    args.mode,
                    seconds=args.seconds,
                    connections=QUICK.connections,
                    input_file=inputs,
                    basic=basic,
                    pids=server.worker_pids(),
                )
            except BaseException:
                spy.kill()
                spy.wait()
                raise
            if spy.wait() != 0 or not raw.exists():
                print("py-spy failed (it needs ptrace: run as root or with CAP_SYS_PTRACE)")
                return 1
    finally:
        ws.close()
    print(f"{args.mode}: {result.rps:.0f} requests/s, {result.cpu_us or 0:.0f} µs CPU/request")
    total, inclusive, exclusive = top_frames(raw, args.top)
    for title, rows in (("inclusive", inclusive), ("exclusive", exclusive)):
        print(f"--- {title} (% of {total} samples)")
        for name, n in rows:
            print(f"{n / total * 100:5.1f}%  {name}")
    print(f"raw stacks: {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
