"""What nodes sharing a store with Rust nodes compute (FORMAT.md §13), checked
against tests/vectors/store/store.json: a decoded ticket's replay and
principal ids, a principal's ids, single-logout records opened for their
session alone, records sealed here, a store's field split into its records as a Rust node
splits it, and tickets opened long after their expiry; then the rejections and arguments of each."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cas_ticket_codec import (
    AuthenticationFailed,
    Codec,
    InvalidClaims,
    Kind,
    LogoutRecord,
    MalformedTicket,
    TicketExpired,
    UnknownKey,
    split_records,
)

from conftest import NOW, SERVICE, VECTORS
from test_vectors import key_file

STORE = json.loads((VECTORS / "store" / "store.json").read_text())
CASES: list[dict[str, Any]] = STORE["cases"]
RECORDS = [c for c in CASES if "record" in c]
SESSION = "5e551000cafef00d"


def other_session(session_id: str) -> str:
    """The id with its last hex digit changed."""
    return session_id[:15] + ("1" if session_id.endswith("0") else "0")


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def store_codec(tmp_path_factory: pytest.TempPathFactory) -> Codec:
    return Codec.load(key_file(tmp_path_factory.mktemp("store"), STORE["keyring"]))


def test_every_kind_of_case() -> None:
    assert len(CASES) >= 3
    assert len(RECORDS) >= 2 and len(RECORDS) < len(CASES)
    assert any(c["service_url"] is not None for c in RECORDS)


@pytest.mark.parametrize("case", CASES, ids=[c["comment"] for c in CASES])
def test_ids(store_codec: Codec, case: dict[str, Any]) -> None:
    ticket = store_codec.decode(
        case["ticket"], now=instant(case["now"]), leeway=case["leeway_seconds"]
    )
    assert store_codec.replay_id(ticket).hex() == case["replay_id"]
    assert store_codec.principal_id(ticket).hex() == case["principal_id"]
    assert ticket.principal == case["principal"]
    ids = store_codec.principal_ids(case["principal"])
    assert len(ids) == len(STORE["keyring"]["keys"])
    assert bytes.fromhex(case["principal_id"]) in ids
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=[c["comment"] for c in CASES])
def test_open_expired(store_codec: Codec, case: dict[str, Any]) -> None:
    now, leeway = instant(case["now"]), case["leeway_seconds"]
    decoded = store_codec.decode(case["ticket"], now=now, leeway=leeway)
    later = now + timedelta(days=400)
    with pytest.raises(TicketExpired):
        store_codec.decode(case["ticket"], now=later, leeway=leeway)
    opened = store_codec.open_expired(case["ticket"])
    assert opened == decoded
    assert (opened.key_id, opened.alg) == (decoded.key_id, decoded.alg)
    assert opened.service == decoded.service and opened.session_id == decoded.session_id
    assert opened.expires_at < later
    # Its store ids are the validated ticket's alone.
    with pytest.raises(ValueError, match="open_expired"):
        store_codec.replay_id(opened)
    with pytest.raises(ValueError, match="open_expired"):
        store_codec.principal_id(opened)


@pytest.mark.parametrize("case", RECORDS, ids=[c["comment"] for c in RECORDS])
def test_vector_record(store_codec: Codec, case: dict[str, Any]) -> None:
    session, record = case["session_id"], bytes.fromhex(case["record"])
    opened = store_codec.open_record(session, record)
    assert opened == LogoutRecord(case["ticket"], case["service_url"])
    assert (opened.ticket, opened.service) == (case["ticket"], case["service_url"])
    with pytest.raises(AuthenticationFailed) as e:
        store_codec.open_record(other_session(session), record)
    assert e.value.code == 4
    # Any byte after the length and the key id flipped: it does not open.
    for i in range(4, len(record)):
        flipped = bytearray(record)
        flipped[i] ^= 0x01
        with pytest.raises(AuthenticationFailed):
            store_codec.open_record(session, bytes(flipped))
    with pytest.raises(MalformedTicket) as m:
        store_codec.open_record(session, record[:-1])
    assert m.value.detail == "truncated"


@pytest.mark.parametrize("case", RECORDS, ids=[c["comment"] for c in RECORDS])
def test_sealed_record_round_trip(store_codec: Codec, case: dict[str, Any]) -> None:
    session, record = case["session_id"], bytes.fromhex(case["record"])
    sealed = store_codec.seal_record(session, case["ticket"], case["service_url"])
    assert len(sealed) == len(record) and sealed != record  # a fresh nonce
    assert store_codec.open_record(session, sealed) == (case["ticket"], case["service_url"])
    with pytest.raises(AuthenticationFailed):
        store_codec.open_record(other_session(session), sealed)


def test_store_rejections(codec: Codec, key_files: tuple[Path, Path]) -> None:
    other = Codec.load(key_files[1])
    st = codec.encode(Kind.ST, "jdoe@example.edu", service=SERVICE, issued_at=NOW)
    # A session id that is not 16 hex digits, as in encode.
    with pytest.raises(InvalidClaims) as e:
        codec.seal_record("5e551000cafef00", st)
    assert e.value.reason == "session"
    with pytest.raises(InvalidClaims):
        codec.open_record("xyz", bytes(40))
    # Only an ST or PT is recorded, with a URL of at most 4096 bytes.
    tgt = codec.encode(Kind.TGT, "jdoe@example.edu")
    for text in (tgt, "ST-abc", "ST-\0"):
        with pytest.raises(MalformedTicket) as m:
            codec.seal_record(SESSION, text)
        assert m.value.detail == "payload"
    with pytest.raises(MalformedTicket):
        codec.seal_record(SESSION, st, "https://a.example/" + "x" * 4096)
    with pytest.raises(MalformedTicket):
        codec.open_record(SESSION, b"\x00\x01\x02")
    # A record and a ticket of another keyring.
    foreign = other.seal_record(SESSION, st)
    with pytest.raises(UnknownKey) as u:
        codec.open_record(SESSION, foreign)
    assert u.value.key_id == other.decode(other.encode(Kind.TGT, "x")).key_id
    ticket = codec.decode(st, SERVICE, now=NOW, kind=Kind.ST)
    with pytest.raises(UnknownKey):
        other.replay_id(ticket)
    with pytest.raises(UnknownKey):
        other.principal_id(ticket)
    with pytest.raises(UnknownKey):
        other.open_expired(st)
    # open_expired checks everything but the expiry.
    with pytest.raises(MalformedTicket):
        codec.open_expired("ST-abc_def")
    tampered = st[:-1] + ("0" if st[-1] != "0" else "1")
    with pytest.raises((AuthenticationFailed, MalformedTicket)):
        codec.open_expired(tampered)


def test_store_arguments(codec: Codec) -> None:
    st = codec.encode(Kind.ST, "jdoe@example.edu", service=SERVICE, issued_at=NOW)
    with pytest.raises(TypeError):
        codec.open_record(SESSION, "not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        codec.replay_id(st)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        codec.seal_record(SESSION, st, 42)  # type: ignore[arg-type]
    ticket = codec.decode(st, SERVICE, now=NOW)
    replay, principal = codec.replay_id(ticket), codec.principal_id(ticket)
    assert isinstance(replay, bytes) and len(replay) == 16
    assert isinstance(principal, bytes) and len(principal) == 16 and principal != replay
    assert codec.principal_ids("jdoe@example.edu") == [principal]
    assert codec.principal_ids("JDOE@example.edu") != [principal]  # no case folding
    sealed = codec.seal_record(SESSION, st, service=None)
    assert isinstance(sealed, bytes)
    record = codec.open_record(SESSION, sealed)
    assert isinstance(record, LogoutRecord) and record.service is None


# --- split_records: a store's field as a Rust node reads it -------------------

A = bytes.fromhex(RECORDS[0]["record"])
B = bytes.fromhex(RECORDS[1]["record"])


def test_split_records_both_in_order() -> None:
    assert len(RECORDS) == 2
    assert split_records(A + B) == [A, B]
    assert split_records(B + A) == [B, A]


def test_split_records_skips_repeats() -> None:
    assert split_records(A * 100) == [A]


def test_split_records_drops_a_cut_record() -> None:
    assert split_records((A + B)[: len(A) + len(B) // 2]) == [A]


def test_split_records_stops_at_a_bad_length() -> None:
    assert split_records(b"\x00\x03" + B) == []
    assert split_records(b"") == []


def test_split_records_keeps_at_most_64(store_codec: Codec) -> None:
    case = RECORDS[0]
    sealed = [
        store_codec.seal_record(case["session_id"], case["ticket"], case["service_url"])
        for _ in range(70)
    ]
    assert len(set(sealed)) == 70
    got = split_records(b"".join(sealed))
    assert got == sealed[:64]
    assert store_codec.open_record(case["session_id"], got[63]) == LogoutRecord(
        case["ticket"], case["service_url"]
    )


def test_split_records_arguments() -> None:
    with pytest.raises(TypeError):
        split_records(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        split_records("text")  # type: ignore[arg-type]
