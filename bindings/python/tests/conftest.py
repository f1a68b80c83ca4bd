"""Fixtures: two key files made by ``ticketctl keygen`` (mode 0600, different key
ids), the ``ticketctl`` binary and the repository's known-answer vectors.

``bindings/test`` sets ``CTC_TICKETCTL``; ``CTC_VECTORS`` defaults to the
repository's tests/vectors.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from cas_ticket_codec import Codec

REPO = Path(__file__).resolve().parents[3]
VECTORS = Path(os.environ.get("CTC_VECTORS", REPO / "tests" / "vectors"))
NOW = datetime(2026, 11, 22, 10, 0, 0, tzinfo=timezone.utc)
SERVICE = "https://app.example.edu/login?target=%2Fhome"


@pytest.fixture(scope="session")
def ticketctl() -> str:
    path = os.environ.get("CTC_TICKETCTL", str(REPO / "bindings" / "target" / "release" / "ticketctl"))
    if not Path(path).is_file():
        pytest.fail(f"ticketctl not found at {path}: set CTC_TICKETCTL (bindings/test builds it)")
    return path


def _keygen(ticketctl: str, path: Path) -> str:
    out = subprocess.run(
        [ticketctl, "keygen", "--out", str(path)], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


@pytest.fixture(scope="session")
def key_files(ticketctl: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("keys")
    first = _keygen(ticketctl, d / "keys.json")
    n = 0
    while True:  # a different key id (1 in 65,536 would collide)
        n += 1
        if _keygen(ticketctl, d / f"other{n}.json") != first:
            return d / "keys.json", d / f"other{n}.json"


@pytest.fixture(scope="session")
def keys(key_files: tuple[Path, Path]) -> Path:
    return key_files[0]


@pytest.fixture(scope="session")
def codec(keys: Path) -> Codec:
    return Codec.load(keys)
