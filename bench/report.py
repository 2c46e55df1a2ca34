"""Results as JSON and as the markdown table the README quotes."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.scenarios import Figure


def commit() -> str:
    """The commit measured (BENCH_COMMIT names it when running from an exported tree)."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    suffix = " (with uncommitted changes)" if dirty.stdout.strip() else ""
    return (completed.stdout.strip() or "unknown") + suffix


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def _value(figure: Figure) -> str:
    cpu = figure.detail.get("cpu_ratio")
    busy = figure.detail.get("machine_busy")
    if figure.unit == "ratio" and busy and None not in busy.values():
        return (
            f"{figure.value:.3f} (machine CPU busy: 1 worker {busy['1w']:.0%}, "
            f"2 workers {busy['2w']:.0%})"
        )
    if figure.unit == "ratio" and cpu:
        return f"{figure.value:.3f} (CPU/request: {cpu:.3f})"
    if figure.unit == "ratio":
        return f"{figure.value:.3f}"
    if figure.unit == "s":
        return f"{figure.value:.2f} s"
    if figure.unit == "MB":
        return f"{figure.value:.0f} MB"
    return f"{figure.value:,.0f}"


def markdown(figures: list[Figure], meta: dict[str, Any]) -> str:
    lines = [
        f"Measured on commit `{meta['commit']}`, {meta['date']}, with `{meta['command']}` "
        f"({meta['scale']} scale: {meta['people']:,} people, {meta['records']:,} records, "
        f"{meta['audit_entries']:,} audit entries).",
        f"Server: {meta['server']}; load: wrk on loopback; machine: {meta['machine']}"
        + (f", load average {meta['load_average']}." if meta.get("load_average") else "."),
        f"Each ratio compares medians of {meta['rounds']} alternating runs of "
        f"{meta['seconds']:g} s measured in the same run; in brackets, the same ratio from the "
        "server's CPU time per request (what an otherwise idle machine would show).",
        "",
        "| scenario | result | target | met |",
        "|---|---|---|---|",
    ]
    for figure in figures:
        mark = "yes" if figure.met else "**no**"
        lines.append(f"| {figure.scenario} | {_value(figure)} | {figure.target} | {mark} |")
    notes = meta.get("notes", [])
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def write(figures: list[Figure], meta: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"bench-{meta['scale']}"
    document = {"meta": meta, "figures": [asdict(figure) for figure in figures]}
    (out_dir / f"{stem}.json").write_text(json.dumps(document, indent=2) + "\n")
    table = out_dir / f"{stem}.md"
    table.write_text(markdown(figures, meta))
    return table


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def render(path: Path) -> str:
    """The markdown table again from a results JSON (`python -m bench.report FILE`)."""
    document = json.loads(path.read_text())
    figures = [Figure(**figure) for figure in document["figures"]]
    return markdown(figures, document["meta"])


if __name__ == "__main__":
    import sys

    print(render(Path(sys.argv[1])), end="")
