"""An operator's view of a node (issue 21): Prometheus metrics on a
listener of their own, JSON logs that a shipper can read and that never hold
a ticket or a password, and /health for the load balancer."""

import json
import re
import socket
from urllib.parse import urljoin

import requests

from conftest import APP, PASSWORD, USER
from test_pool import TIMEOUT, hidden_fields, login, raw, tamper

TICKET = re.compile(r"\b(?:ST|TGT|PT|PGT|PGTIOU)-[0-9A-Za-z]{20,}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric(text, name, **labels):
    """The value of one sample of the exposition `text`, or 0."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            sample, value = line.rsplit(" ", 1)
            found = dict(re.findall(r'(\w+)="([^"]*)"', sample))
            if sample.split("{")[0] == name and found == {k: str(v) for k, v in labels.items()}:
                return float(value)
    return 0.0


def test_metrics_count_logins_and_validations_and_logs_are_json(own_pool, redis_server):
    port = free_port()
    pool = own_pool(size=1, extra_args=["--metrics-listen", f"127.0.0.1:{port}",
                                        "--log-format", "json", "--store", redis_server.url])
    (node,) = pool.nodes
    assert requests.get(node.url.replace("/cas/", "/health"), timeout=TIMEOUT).status_code == 200
    _, st = login(node, APP)
    assert raw(node, "p3/serviceValidate", ticket=st, service=APP).find(
        "{http://www.yale.edu/tp/cas}authenticationSuccess") is not None
    raw(node, "serviceValidate", ticket=tamper(st), service=APP)
    session = requests.Session()
    form = session.get(urljoin(node.url, "login"), params={"service": APP}, timeout=TIMEOUT)
    wrong = session.post(urljoin(node.url, "login"), timeout=TIMEOUT, allow_redirects=False,
                         data={**hidden_fields(form.text), "username": USER, "password": "wrong"})
    assert wrong.status_code == 401

    # Metrics are on their own port, not on the CAS one.
    assert requests.get(node.url.replace("/cas/", "/metrics"), timeout=TIMEOUT).status_code == 404
    exposed = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=TIMEOUT)
    assert exposed.status_code == 200 and exposed.headers["Content-Type"].startswith("text/plain")
    text = exposed.text
    assert metric(text, "cas_logins_total", outcome="success") == 1, text
    assert metric(text, "cas_logins_total", outcome="invalid_credentials") == 1, text
    assert metric(text, "cas_validations_total", endpoint="p3/serviceValidate",
                  outcome="success") == 1, text
    assert metric(text, "cas_validations_total", endpoint="serviceValidate",
                  outcome="INVALID_TICKET") == 1, text
    assert metric(text, "cas_keys", key_id=pool.key_id, primary="true") == 1, text
    assert metric(text, "cas_store_seconds_count", operation="spend") == 1, text
    # Two password checks, each two round trips (the user from this address
    # and the address, then the user's own count).
    assert metric(text, "cas_store_seconds_count", operation="count_attempts") == 4, text
    assert USER not in text and not TICKET.search(text)

    records = [json.loads(line) for line in node.log().splitlines() if line.strip()]
    assert records, "no log lines"
    for record in records:
        assert {"timestamp", "level", "message"} <= record.keys(), record
    messages = [r["message"] for r in records]
    assert any(m.startswith("keyring loaded: keys ") for m in messages), messages
    failed = [r for r in records if r["message"].startswith("login failed: user ")]
    assert failed and failed[0]["level"] == "WARN", records
    assert PASSWORD not in node.log() and "wrong" not in "".join(messages)
    assert not TICKET.search(node.log()), "a ticket in the log"
