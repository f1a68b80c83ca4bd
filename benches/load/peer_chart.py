#!/usr/bin/env python3
"""Draws docs/peer-load.svg from the TSV of benches/load/peer, with no
dependency (plain python3 writing SVG by hand).

Two panels, one bar a row (server and test): throughput in requests a
second as wrk counts them (a login + validation pair is two requests; the
label says pairs/s too), and p99 latency in milliseconds. Linear scales:
the bars are to be compared with each other.

    PEER_TSV=/tmp/peer.tsv bash benches/load/peer 30
    python3 benches/load/peer_chart.py /tmp/peer.tsv [docs/peer-load.svg]
"""

import sys
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
COLORS = {"cas-node": "#1f6feb", "django-cas-server": "#2e7d32", "floor": "#8c8c8c"}
TESTS = {
    "pair": "SSO login + validation pairs",
    "validate": "validations alone",
    "floor": "fixed 200 (HTTP floor)",
}
ORDER = {"pair": 0, "validate": 1, "floor": 2}


def read(path):
    meta, rows, header = {}, [], None
    for line in Path(path).read_text().splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            key, _, value = line[1:].strip().partition("\t")
            meta[key] = value
            continue
        fields = line.split("\t")
        if header is None:
            header = fields
            continue
        row = dict(zip(header, fields))
        for key in ("req_per_s", "ok_per_s", "p50_ms", "p99_ms"):
            row[key] = float(row[key])
        rows.append(row)
    rows.sort(key=lambda r: (ORDER.get(r["test"], 9), r["server"] != "cas-node"))
    return meta, rows


def thousands(x):
    return f"{x:,.0f}"


def svg(meta, rows):
    label_w, panel_w, gap, row_h, top = 330, 340, 40, 34, 70
    width = label_w + 2 * panel_w + gap + 20
    height = top + row_h * len(rows) + 50
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    title = "cas-node, django-cas-server (gunicorn) and a bare hyper server, same machine, same load"
    sub = "; ".join(
        part
        for part in (
            f"CPU: {meta['cpu']} ({meta['cores']} cores)" if "cpu" in meta else "",
            f"wrk {meta['wrk']}" if "wrk" in meta else "",
            f"gunicorn {meta['gunicorn']}" if "gunicorn" in meta else "",
        )
        if part
    )
    out.append(f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(title)}</text>')
    out.append(f'<text x="10" y="42" fill="#555">{escape(sub)}</text>')
    panels = [
        ("requests/s (higher is better)", "req_per_s", label_w),
        ("p99 latency, ms (lower is better)", "p99_ms", label_w + panel_w + gap),
    ]
    for heading, key, x0 in panels:
        out.append(f'<text x="{x0}" y="{top - 8}" font-weight="bold">{escape(heading)}</text>')
        top_value = max((r[key] for r in rows), default=1) or 1
        scale = (panel_w - 130) / top_value
        for i, r in enumerate(rows):
            y = top + i * row_h
            w = max(1.0, r[key] * scale)
            color = COLORS.get(r["server"], "#b07aa1")
            out.append(
                f'<rect x="{x0}" y="{y + 6}" width="{w:.1f}" height="{row_h - 12}" fill="{color}"/>'
            )
            if key == "req_per_s":
                text = f"{thousands(r[key])} req/s"
                if r["unit"] == "pairs":
                    text += f" ({thousands(r['ok_per_s'])} pairs/s)"
            else:
                text = f"{r[key]:.2f} ms (p50 {r['p50_ms']:.2f})"
            out.append(f'<text x="{x0 + w + 5:.1f}" y="{y + row_h / 2 + 4}">{escape(text)}</text>')
        out.append(
            f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{top + row_h * len(rows)}" stroke="#333"/>'
        )
    for i, r in enumerate(rows):
        y = top + i * row_h + row_h / 2 + 4
        label = f"{r['server']}: {TESTS.get(r['test'], r['test'])}"
        out.append(f'<text x="{label_w - 8}" y="{y}" text-anchor="end">{escape(label)}</text>')
    note = (
        "A pair is GET /cas/login with the SSO cookie (302 with an ST) then GET /cas/serviceValidate "
        "of that ST: two requests. Every validation counted succeeded."
    )
    out.append(f'<text x="10" y="{height - 18}" fill="#555">{escape(note)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    meta, rows = read(sys.argv[1])
    target = Path(sys.argv[2]) if len(sys.argv) == 3 else ROOT / "docs" / "peer-load.svg"
    target.write_text(svg(meta, rows))
    print(target)


if __name__ == "__main__":
    main()
