#!/usr/bin/env python3
"""Draws docs/bench.svg and docs/bench.png from the peers benchmark.

Reads the criterion medians of `cargo bench` in benches/peers
(target/criterion/<group>/<encode|decode>/new/estimates.json) and the token
lengths printed by `cargo run --release --bin sizes`, and prints the README
table. Needs matplotlib (`pip install matplotlib`).

    cd benches/peers && cargo bench && python3 chart.py
"""

import json
import re
import subprocess
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
CRITERION = HERE / "target" / "criterion"
DOCS = HERE.parent.parent / "docs"


def criterion_dir(name: str) -> str:
    # criterion replaces the group separator '/' (and path-hostile characters) with '_'.
    return re.sub(r'[/\\?"<>|*:]', "_", name)


def median_ns(group: str, function: str) -> float:
    path = CRITERION / criterion_dir(group) / function / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"]


def sizes() -> dict:
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "--bin", "sizes"],
        cwd=HERE, check=True, capture_output=True, text=True,
    ).stdout
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[1].isdigit():
            rows[cells[0]] = (int(cells[1]), int(cells[2]))
    return rows


def main() -> None:
    lengths = sizes()
    names = list(lengths)
    rows = []
    print("| format | ST encode ns | ST decode ns | ST chars | TGT encode ns | TGT decode ns | TGT chars |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        st_e, st_d = median_ns(f"st/{name}", "encode"), median_ns(f"st/{name}", "decode")
        tgt_e, tgt_d = median_ns(f"tgt/{name}", "encode"), median_ns(f"tgt/{name}", "decode")
        st_len, tgt_len = lengths[name]
        rows.append((name, st_e, st_d, st_len))
        print(f"| {name} | {st_e:,.0f} | {st_d:,.0f} | {st_len} | {tgt_e:,.0f} | {tgt_d:,.0f} | {tgt_len} |")

    fig, (ax_time, ax_len) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    y = list(range(len(rows)))[::-1]
    height = 0.38
    ax_time.barh([v + height / 2 for v in y], [r[1] / 1000 for r in rows], height, label="encode", color="#4C72B0")
    ax_time.barh([v - height / 2 for v in y], [r[2] / 1000 for r in rows], height, label="decode (full validation)", color="#DD8452")
    ax_time.set_yticks(y)
    ax_time.set_yticklabels([r[0] for r in rows])
    ax_time.set_xlabel("median µs per typical ST (lower is better)")
    ax_time.legend(loc="lower right")
    ax_time.grid(axis="x", alpha=0.3)
    for v, r in zip(y, rows):
        ax_time.text(r[1] / 1000, v + height / 2, f" {r[1] / 1000:.2f}", va="center", fontsize=8)
        ax_time.text(r[2] / 1000, v - height / 2, f" {r[2] / 1000:.2f}", va="center", fontsize=8)

    ax_len.barh(y, [r[3] for r in rows], 0.6, color="#55A868")
    ax_len.axvline(256, color="#C44E52", linestyle="--", linewidth=1)
    ax_len.set_ylim(-0.6, max(y) + 0.9)
    ax_len.text(256, max(y) + 0.5, " CAS cap 256", color="#C44E52", fontsize=8)
    ax_len.set_yticks(y)
    ax_len.set_yticklabels([])
    ax_len.set_xlabel("characters of the typical ST")
    ax_len.grid(axis="x", alpha=0.3)
    for v, r in zip(y, rows):
        ax_len.text(r[3], v, f" {r[3]}", va="center", fontsize=8)
    fig.suptitle("Typical CAS service ticket: cas-ticket-codec and peers, same claims, one run")
    fig.tight_layout()
    DOCS.mkdir(exist_ok=True)
    fig.savefig(DOCS / "bench.svg")
    fig.savefig(DOCS / "bench.png", dpi=110)
    print(f"wrote {DOCS / 'bench.svg'} and {DOCS / 'bench.png'}")


if __name__ == "__main__":
    main()
