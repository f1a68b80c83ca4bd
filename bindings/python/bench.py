"""The Python side of the overhead table (bindings/README.md): ``Codec.encode``
and ``Codec.decode`` on the typical ST (no session), timed as every binding's
bench times them: a warm-up, then the median of 101 samples of 2,000 calls each
(``time.perf_counter_ns`` around a plain loop, as ``timeit`` does).

usage: python bench.py KEYS.json  ->  python encode <ns> / python decode <ns>
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from cas_ticket_codec import Codec, Kind

SAMPLES, BATCH = 101, 2000
NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=timezone.utc)
AUTHENTICATED = NOW - timedelta(minutes=5)
SERVICE = "https://app.example.edu/login?target=%2Fhome"


def median_ns(call: Callable[[], object]) -> float:
    end = time.perf_counter() + 0.5
    while time.perf_counter() < end:
        call()
    samples = []
    for _ in range(SAMPLES):
        t0 = time.perf_counter_ns()
        for _ in range(BATCH):
            call()
        samples.append((time.perf_counter_ns() - t0) / BATCH)
    return statistics.median(samples)


def main() -> None:
    codec = Codec.load(sys.argv[1])
    methods = ["Password"]

    def encode() -> str:
        return codec.encode(
            Kind.ST, "jdoe@example.edu", service=SERVICE, methods=methods,
            authenticated_at=AUTHENTICATED, issued_at=NOW, lifetime=10,
        )

    ticket = encode()
    assert len(ticket) == 102
    print(f"python encode {median_ns(encode):.0f}")
    print(f"python decode {median_ns(lambda: codec.decode(ticket, now=NOW)):.0f}")


if __name__ == "__main__":
    main()
