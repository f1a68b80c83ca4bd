"""The store under faults (issue 22): a logout the store cannot take is
told to the user and applied later, single logout included; a validation
the store did not answer in time says the ticket may have been spent; and an
administrator ends every session of a user on every node at once."""

import json
import os
import signal
import time
import xml.etree.ElementTree as ElementTree
from urllib.parse import urljoin

import pytest

from conftest import APP, BACKEND, USER, RedisServer, ticketctl
from test_pool import (
    TIMEOUT, browser, client, failure, login, sso, ticket_from, with_logout_services,
)

SESSION_INDEX = "{urn:oasis:names:tc:SAML:2.0:protocol}SessionIndex"


def used_memory(server):
    info = server.cli("INFO", "memory")
    return int(next(line for line in info.splitlines() if line.startswith("used_memory:")).split(":")[1])


class Fault:
    """Redis killed (and back with what it had written), paused, or full."""

    def __init__(self, kind, server):
        self.kind = kind
        self.server = server

    def start(self):
        if self.kind == "killed":
            self.server.stop()
        elif self.kind == "paused":
            os.kill(self.server.process.pid, signal.SIGSTOP)
        else:
            # Under noeviction, a Redis using more than maxmemory refuses
            # every write.
            self.server.cli("SET", "ballast", "x" * 65536)
            limit = used_memory(self.server) - 32768
            assert self.server.cli("CONFIG", "SET", "maxmemory", str(limit)) == "OK"

    def end(self):
        if self.kind == "killed":
            self.server.start()
        elif self.kind == "paused":
            os.kill(self.server.process.pid, signal.SIGCONT)
        else:
            self.server.cli("DEL", "ballast")
            assert self.server.cli("CONFIG", "SET", "maxmemory", "0") == "OK"


@pytest.fixture
def durable_redis(tmp_path):
    """A Redis that writes every command to its append-only file, so that
    one killed and started again has what it had."""
    server = RedisServer(tmp_path, extra=["--appendonly", "yes", "--appendfsync", "always"])
    yield server
    if server.process and server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


@pytest.mark.parametrize("kind", ["killed", "paused", "full"])
def test_a_logout_the_store_cannot_take_is_told_then_applied(own_pool, durable_redis, logout_listener,
                                                            callbacks, kind):
    pool = own_pool(size=2, extra_args=["--store", durable_redis.url],
                    services=with_logout_services(callbacks.base, logout_listener.url))
    node1, node2 = pool.nodes
    app = logout_listener.url
    session, st = login(node1, app)
    assert client(2, node2, app).verify_ticket(st)[0] == USER
    copy = session.cookies["CASTGC"]
    waiting = ticket_from(sso(node1, APP, session), APP)

    fault = Fault(kind, durable_redis)
    fault.start()
    try:
        page = session.get(urljoin(node2.url, "logout"), params={"service": APP}, timeout=TIMEOUT)
        # The truth, not a redirect as if all were done; the cookie goes.
        assert page.status_code == 503, page.text
        assert "not yet logged out everywhere" in page.text
        assert "keeps trying" in page.text
        assert "CASTGC" not in session.cookies
        assert f'href="{APP}"' in page.text
        assert logout_listener.requests == []
    finally:
        fault.end()

    # Applied once the store is back: the session's other tickets and a copy
    # of its cookie open nothing, and the service is told, once.
    deadline = time.monotonic() + 3 * TIMEOUT
    while not logout_listener.requests:
        assert time.monotonic() < deadline, node2.log()
        time.sleep(0.1)
    [request] = logout_listener.requests
    assert ElementTree.fromstring(request).findtext(SESSION_INDEX) == st
    assert "a logout the ticket store could not take before is taken now" in node2.log()
    code, message = failure(node1, "serviceValidate", ticket=waiting, service=APP)
    assert code == "INVALID_TICKET" and "session has ended" in message
    thief = browser()
    thief.cookies.set("CASTGC", copy)
    assert sso(node1, APP, thief).status_code == 200, "the form, not single sign-on"
    time.sleep(1)
    assert len(logout_listener.requests) == 1


def test_a_validation_the_store_did_not_answer_says_the_ticket_may_be_spent(own_pool, durable_redis):
    [node] = own_pool(size=1, extra_args=["--store", durable_redis.url]).nodes
    session, st = login(node, APP)
    os.kill(durable_redis.process.pid, signal.SIGSTOP)
    try:
        code, message = failure(node, "serviceValidate", ticket=st, service=APP)
    finally:
        os.kill(durable_redis.process.pid, signal.SIGCONT)
    assert code == "INTERNAL_ERROR"
    assert "did not answer in time; the ticket may have been spent" in message, message
    # It was: the call reached Redis, which ran it when it woke.
    code, message = failure(node, "serviceValidate", ticket=st, service=APP)
    assert code == "INVALID_TICKET" and "validated before" in message

    # A refused connection spent nothing: the ticket validates once Redis is back.
    other = ticket_from(sso(node, APP, session), APP)
    durable_redis.stop()
    code, message = failure(node, "serviceValidate", ticket=other, service=APP)
    assert code == "INTERNAL_ERROR"
    assert "unavailable; the ticket was not spent: try again" in message, message
    durable_redis.start()
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            assert client(2, node, APP).verify_ticket(other)[0] == USER
            break
        except AssertionError:
            assert time.monotonic() < deadline, node.log()
            time.sleep(0.1)

    # A full store refuses the write: nothing spent, and said so.
    third = ticket_from(sso(node, APP, session), APP)
    fault = Fault("full", durable_redis)
    fault.start()
    try:
        code, message = failure(node, "serviceValidate", ticket=third, service=APP)
    finally:
        fault.end()
    assert code == "INTERNAL_ERROR"
    assert "full; the ticket was not spent: try again" in message, message
    assert client(2, node, APP).verify_ticket(third)[0] == USER


def test_an_administrator_ends_every_session_of_a_user_on_every_node(own_pool, redis_server, callbacks):
    pool = own_pool(size=3, extra_args=["--store", redis_server.url])
    node1, node2, node3 = pool.nodes
    # Two sessions of the user, in two browsers, one with a PGT.
    office, office_st = login(node1, APP)
    home, _ = login(node2, APP, remember_me=True)
    pgt_url = callbacks.base + "ok"
    user, _, iou = client(2, node2, APP, proxy_callback=pgt_url).verify_ticket(office_st)
    assert user == USER and iou
    pgt = callbacks.pgts[iou]
    waiting = ticket_from(sso(node3, APP, home), APP)

    ended = json.loads(ticketctl("sessions", "end", "--keys", pool.keys, "--store", redis_server.url,
                                 "--principal", USER))
    assert ended["principal"] == USER and ended["keys"] == 1
    assert ended["lasting_seconds"] == 7 * 24 * 3600
    # One key, named without the user's name, holding the instant.
    [key] = [k for k in redis_server.cli("KEYS", "*").split() if k.endswith(":ended-principal")]
    assert USER not in key and USER.split("@")[0] not in key
    assert 7 * 24 * 3600 * 1000 - 60_000 < int(redis_server.cli("PTTL", key)) <= 7 * 24 * 3600 * 1000

    for browser_session in (office, home):
        for node in (node1, node2, node3):
            assert sso(node, APP, browser_session).status_code == 200, "the form, not single sign-on"
    code, message = failure(node1, "serviceValidate", ticket=waiting, service=APP)
    assert code == "INVALID_TICKET" and "an administrator ended every session of its user" in message
    code, message = failure(node3, "proxy", element="proxyFailure", pgt=pgt, targetService=BACKEND)
    assert code == "INVALID_TICKET" and "an administrator ended every session of its user" in message

    # Logging in again starts a session the end does not touch.
    time.sleep(1.1)
    fresh, fresh_st = login(node2, APP)
    assert client(2, node3, APP).verify_ticket(fresh_st)[0] == USER
    assert sso(node1, APP, fresh).status_code == 302


def test_sessions_end_refuses_what_it_cannot_do(own_pool, redis_server, tmp_path):
    pool = own_pool(size=1)
    with pytest.raises(AssertionError) as failed:
        ticketctl("sessions", "end", "--keys", pool.keys, "--store", "redis://127.0.0.1:1/",
                  "--principal", USER, "--timeout", "300ms")
    assert "store: " in str(failed.value)
    with pytest.raises(AssertionError) as failed:
        ticketctl("sessions", "end", "--keys", pool.keys, "--store", redis_server.url, "--principal", "")
    assert "--principal must not be empty" in str(failed.value)
