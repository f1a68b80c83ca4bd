"""cas-node in non-open mode (issue 20): what a hostile page, a guessing
client or a slow client gets from a pool with a service registry, and the
CAS 3.0 MUSTs that go with it.

Run by `tests/e2e/run`, with the rest of the suite.
"""

import re
import socket
import subprocess
import threading
import time
import xml.etree.ElementTree as ElementTree
from urllib.parse import urljoin, urlsplit

import requests

from conftest import (
    APP, BACKEND, CAS_NODE, OTHER_APP, PASSWORD, USER, default_services, service, ticketctl,
)
from test_pool import (
    NS, TIMEOUT, browser, client, failure, hidden_fields, login, raw, raw_get, sso, ticket_from,
)

ATTACKER = "https://attacker.example/collect"
TICKET = re.compile(r"\b(?:ST|TGT|PT|PGT|PGTIOU)-[0-9A-Za-z]{20,}")


def assert_refused_page(answer, label=""):
    """The "not authorized" page: 403, no redirect, no ticket anywhere."""
    assert answer.status_code == 403, (label, answer.status_code, answer.text[:300])
    assert "Application not authorized to use CAS" in answer.text, label
    assert "Location" not in answer.headers, label
    assert not TICKET.search(answer.text), label
    assert not any(TICKET.search(v) for v in answer.headers.values()), label


# --- a page outside the registry gets nothing -------------------------------------


def test_an_unregistered_page_gets_nothing_from_a_logged_in_browser(pool):
    """The outside review's theft: a page sends a logged-in browser to
    /login?service=<itself> (plain, gateway, renew, method=POST, warn) to
    receive an ST and read the user from its validation. No answer carries
    a ticket or a redirect."""
    node1, node2, _ = pool.nodes
    session, _ = login(node1, APP)
    for node in (node1, node2):
        for params in [{}, {"gateway": "true"}, {"renew": "true"}, {"method": "POST"}, {"warn": "true"},
                       {"gateway": "true", "method": "POST"}]:
            assert_refused_page(sso(node, ATTACKER, session, **params), params)
            assert_refused_page(sso(node, ATTACKER, browser(), **params), ("no session", params))
    # The login form posted with the victim's own credentials and the
    # page's service: refused before any password is checked.
    victim = browser()
    form = victim.get(urljoin(node1.url, "login"), params={"service": APP}, timeout=TIMEOUT)
    fields = {**hidden_fields(form.text), "username": USER, "password": PASSWORD, "service": ATTACKER}
    posted = victim.post(urljoin(node2.url, "login"), data=fields, allow_redirects=False, timeout=TIMEOUT)
    assert_refused_page(posted, "POST /login")
    assert "CASTGC" not in victim.cookies
    # An ST the page got some other way is refused for its URL.
    _, st = login(node1, APP)
    for endpoint in ("serviceValidate", "p3/serviceValidate", "proxyValidate"):
        code, message = failure(node2, endpoint, ticket=st, service=ATTACKER)
        assert code == "INVALID_SERVICE" and "not registered" in message, endpoint
    assert client(1, node2, ATTACKER).verify_ticket(st) == (None, None, None)


# Near misses of the registered https://app.example.edu/ and
# https://wiki.example.edu/: other ports, schemes, hosts that only contain
# the name, userinfo, backslashes, encoded dots. Each is refused (403 for a
# URL the codec accepts, 400 for one it does not), never redirected to.
NEAR_MISSES = [
    "https://app.example.edu:8443/login",
    "https://app.example.edu:444/",
    "http://app.example.edu/login",
    "https://app.example.edu.evil.test/",
    "https://evil-app.example.edu/",
    "https://xapp.example.edu/",
    "https://app-example.edu/",
    "https://example.edu/",
    "https://evil.test/app.example.edu/",
    "https://evil.test/?https://app.example.edu/",
    "https://evil.test#https://app.example.edu/",
    "https://app.example.edu@evil.test/",
    "https://evil.test\\@app.example.edu/",
    "https://evil.test\\.app.example.edu/",
    "https://wiki.example.edu.evil.test/",
    "https://wiki.example.edu:443@evil.test/",
]


def test_near_misses_of_registered_services_are_refused(pool):
    node1, node2, _ = pool.nodes
    session, _ = login(node1, APP)
    for url in NEAR_MISSES:
        for who in (session, browser()):
            answer = raw_get(node2, "login", who, service=url)
            assert answer.status_code in (400, 403), (url, answer.status_code)
            assert "Location" not in answer.headers and not TICKET.search(answer.text), url


def test_a_wildcard_entry_covers_one_label_and_nothing_around_it(own_pool):
    pool = own_pool(size=1, services=[service("Campus", "https://*.campus.example.edu/")])
    [node] = pool.nodes
    session = browser()
    form = session.get(urljoin(node.url, "login"), timeout=TIMEOUT)
    fields = {**hidden_fields(form.text), "username": USER, "password": PASSWORD}
    assert session.post(urljoin(node.url, "login"), data=fields, allow_redirects=False,
                        timeout=TIMEOUT).status_code == 200
    inside = "https://moodle.campus.example.edu/course"
    assert ticket_from(sso(node, inside, session), inside).startswith("ST-")
    for outside in ["https://campus.example.edu/", "https://a.b.campus.example.edu/",
                    "https://evil-campus.example.edu/", "https://moodle.campus.example.edu.evil.test/",
                    "http://moodle.campus.example.edu/"]:
        assert_refused_page(raw_get(node, "login", session, service=outside), outside)


def test_logout_redirects_only_to_registered_services_and_ignores_url(pool):
    node1, _, _ = pool.nodes
    for params in [{"service": ATTACKER}, {"url": ATTACKER}, {"url": APP},
                   {"url": APP, "service": ATTACKER}]:
        session, _ = login(node1, APP)
        out = session.get(urljoin(node1.url, "logout"), params=params, allow_redirects=False, timeout=TIMEOUT)
        assert out.status_code == 200 and "Location" not in out.headers, params
        assert "CASTGC" not in session.cookies, params
        if "service" in params:
            assert "not registered" in out.text, params
    registered = browser().get(urljoin(node1.url, "logout"), params={"service": APP, "url": ATTACKER},
                               allow_redirects=False, timeout=TIMEOUT)
    assert registered.status_code == 302 and registered.headers["Location"] == APP


# --- a failed validation spends the ticket (with a store) ---------------------------


def test_with_a_store_a_failed_validation_spends_the_ticket(own_pool, redis_server):
    """CAS 3.0 §2.5.3, §3.1.1, §3.2.1: whether or not validation succeeds,
    the ticket is invalidated. Each failure below is followed by the right
    validation, which must be refused."""
    pool = own_pool(size=2, extra_args=["--store", redis_server.url])
    node1, node2 = pool.nodes
    session, _ = login(node1, APP)

    def fresh_st():
        return ticket_from(sso(node1, APP, session), APP)

    for endpoint, wrong in [
        ("serviceValidate", {"service": OTHER_APP}),          # INVALID_SERVICE
        ("p3/serviceValidate", {"service": ATTACKER}),        # unregistered
        ("proxyValidate", {"service": OTHER_APP}),
        ("p3/serviceValidate", {"service": APP, "renew": "true"}),  # not from a fresh login
    ]:
        st = fresh_st()
        code, _ = failure(node1, endpoint, ticket=st, **wrong)
        assert code in ("INVALID_SERVICE", "INVALID_TICKET_SPEC"), (endpoint, wrong, code)
        code, message = failure(node2, "p3/serviceValidate", ticket=st, service=APP)
        assert code == "INVALID_TICKET" and "validated before" in message, (endpoint, wrong, message)
    # CAS 1.0 and SAML too.
    st = fresh_st()
    assert client(1, node1, OTHER_APP).verify_ticket(st) == (None, None, None)
    assert client(1, node2, APP).verify_ticket(st) == (None, None, None)
    # A PT presented at serviceValidate (INVALID_TICKET_SPEC) is spent too.
    pt = ticketctl("encode", "--keys", pool.keys, "--kind", "pt", "--principal", USER,
                   "--service", BACKEND, "--proxy", "https://proxy.example.edu/cb")
    code, _ = failure(node1, "serviceValidate", ticket=pt, service=BACKEND)
    assert code == "INVALID_TICKET_SPEC"
    code, message = failure(node2, "proxyValidate", ticket=pt, service=BACKEND)
    assert code == "INVALID_TICKET" and "validated before" in message


# --- proxying: https callbacks that answer 200, registered targets ---------------


class SilentListener:
    """An https-looking port that accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.held = []
        self.base = f"https://127.0.0.1:{self.sock.getsockname()[1]}/"
        threading.Thread(target=self._hold, daemon=True).start()

    def _hold(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def stop(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_a_callback_that_fails_fails_the_validation(own_pool, callbacks):
    """CAS 3.0 §2.5.4: a pgtUrl that does not answer 200 over trusted TLS
    gets no PGT, and the validation answers INVALID_PROXY_CALLBACK."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_base = f"https://127.0.0.1:{closed.getsockname()[1]}/"
    closed.close()
    silent = SilentListener()
    try:
        pool = own_pool(size=1, services=default_services([callbacks.base, closed_base, silent.base]))
        [node] = pool.nodes
        for url, why in [(callbacks.base + "refuse", "404"), (closed_base + "cb", "reached"),
                         (silent.base + "cb", "reached")]:
            _, st = login(node, APP)
            started = time.monotonic()
            code, message = failure(node, "serviceValidate", ticket=st, service=APP, pgtUrl=url)
            assert code == "INVALID_PROXY_CALLBACK" and why in message, (url, code, message)
            assert time.monotonic() - started < 8, "bounded by the callback timeout (5 s)"
        # http:// is never a proxy callback: the registry refuses to load it.
        pool.stop()
        bad = pool.workdir / "http-callback.toml"
        bad.write_text('[[service]]\nname = "App"\nurl = "https://app.example.edu/"\n'
                       'proxy_callbacks = ["http://127.0.0.1:9/cb"]\n', encoding="utf-8")
        done = subprocess.run(
            [str(CAS_NODE), "--listen", "127.0.0.1:0", "--keys", str(pool.keys), "--users", str(pool.users),
             "--services", str(bad)], capture_output=True, text=True, timeout=10, check=False)
        assert done.returncode != 0 and "must be https" in done.stderr, done.stderr
    finally:
        silent.stop()


def test_proxy_tickets_go_to_registered_targets_that_accept_them(pool, callbacks):
    node1, node2, _ = pool.nodes
    _, st = login(node1, APP)
    _, _, iou = client(2, node2, APP, proxy_callback=callbacks.base + "ok").verify_ticket(st)
    pgt = callbacks.pgts[iou]
    assert client(2, node1, BACKEND).get_proxy_ticket(pgt).startswith("PT-")
    for target, why in [(ATTACKER, "not registered"), (OTHER_APP, "without proxy_tickets")]:
        code, message = failure(node1, "proxy", element="proxyFailure", pgt=pgt, targetService=target)
        assert code == "UNAUTHORIZED_SERVICE" and why in message, (target, message)
    # A pgtUrl outside the validated service's proxy_callbacks gets nothing.
    _, st = login(node1, OTHER_APP)
    code, _ = failure(node2, "serviceValidate", ticket=st, service=OTHER_APP, pgtUrl=callbacks.base + "ok")
    assert code == "UNAUTHORIZED_SERVICE_PROXY"


# --- warn -------------------------------------------------------------------------------


def confirm(node, page, session):
    """Posts the warn page's form; the answer, not followed."""
    assert page.status_code == 200 and "Continue with single sign-on?" in page.text, page.text[:300]
    assert "Location" not in page.headers and not TICKET.search(page.text)
    return session.post(urljoin(node.url, "login"), data=hidden_fields(page.text),
                        allow_redirects=False, timeout=TIMEOUT)


def test_warn_asks_before_each_single_sign_on(pool):
    """CAS 3.0 §2.2.1: with `warn`, single sign-on is not transparent."""
    node1, node2, node3 = pool.nodes
    session = browser()
    form = session.get(urljoin(node1.url, "login"), params={"service": APP}, timeout=TIMEOUT)
    assert 'name="warn"' in form.text
    fields = {**hidden_fields(form.text), "username": USER, "password": PASSWORD, "warn": "true"}
    first = session.post(urljoin(node1.url, "login"), data=fields, allow_redirects=False, timeout=TIMEOUT)
    assert first.status_code == 302, "the login itself goes straight to the service"
    # Every later single sign-on asks first, on any node.
    for node, target in [(node2, OTHER_APP), (node3, APP)]:
        page = sso(node, target, session)
        answer = confirm(node, page, session)
        assert answer.status_code == 302
        st = ticket_from(answer, target)
        user, attributes, _ = client(3, node1, target).verify_ticket(st)
        assert user == USER and attributes["isFromNewLogin"] == "false"
    # The confirmation cannot be posted from elsewhere: no login cookie.
    page = sso(node2, APP, session)
    forged = browser()
    forged.cookies.set("CASTGC", session.cookies["CASTGC"])
    answer = forged.post(urljoin(node2.url, "login"), data=hidden_fields(page.text),
                         allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 403 and "Location" not in answer.headers
    # Logout ends the warning with the session.
    session.get(urljoin(node1.url, "logout"), timeout=TIMEOUT)
    assert "CASPRIVACY" not in session.cookies


def test_the_warn_parameter_asks_too(pool):
    node1, node2, _ = pool.nodes
    session, _ = login(node1, APP)
    assert sso(node2, APP, session).status_code == 302, "no warn: transparent"
    answer = confirm(node2, sso(node2, APP, session, warn="true"), session)
    assert ticket_from(answer, APP).startswith("ST-")


# --- attributes as the registry releases them -------------------------------------


def test_attributes_are_released_as_each_entry_says(own_pool):
    plain = "http://plain.example.edu/"
    pool = own_pool(size=2, services=[
        service("Mail only", "https://app.example.edu/", attributes=["mail"]),
        service("Nothing", OTHER_APP),
        service("Plain HTTP", plain, attributes=["*"]),
    ])
    node1, node2 = pool.nodes
    _, st = login(node1, APP)
    _, attributes, _ = client(3, node2, APP).verify_ticket(st)
    assert attributes["mail"] == "jdoe@example.edu"
    assert "memberOf" not in attributes and "displayName" not in attributes
    _, st = login(node1, OTHER_APP)
    _, attributes, _ = client(3, node2, OTHER_APP).verify_ticket(st)
    assert set(attributes) == {"authenticationDate", "longTermAuthenticationRequestTokenUsed",
                               "isFromNewLogin", "authenticationMethod"}
    # SAML to an http TARGET: the assertion, and no attributes (§4.2.1).
    from cas import CASClientWithSAMLV1
    _, st = login(node1, plain)
    answer = CASClientWithSAMLV1(server_url=node2.url, service_url=plain).fetch_saml_validation(st)
    tree = ElementTree.fromstring(answer.content)
    saml = "{urn:oasis:names:tc:SAML:1.0:assertion}"
    assert tree.find(f".//{saml}Assertion") is not None, answer.text
    assert tree.find(f".//{saml}AttributeStatement") is None, answer.text
    assert "staff" not in answer.text and "AttributeValue" not in answer.text


# --- the registry at start and on SIGHUP --------------------------------------------


def test_the_node_needs_a_registry_and_keeps_it_through_a_bad_reload(own_pool):
    pool = own_pool(size=1)
    [node] = pool.nodes
    done = subprocess.run(
        [str(CAS_NODE), "--listen", "127.0.0.1:0", "--keys", str(pool.keys), "--users", str(pool.users)],
        capture_output=True, text=True, timeout=10, check=False)
    assert done.returncode != 0 and "--services" in done.stderr, done.stderr

    session, _ = login(node, APP)
    pool.services.write_text("[[service]]\nname = 'broken'\n", encoding="utf-8")
    node.reload_keys()
    assert "keeping the service registry in use" in node.log()
    assert sso(node, APP, session).status_code == 302, "the registry in use is kept"
    new = "https://new.example.edu/"
    assert_refused_page(sso(node, new, session))
    pool.register(service("New", new))
    assert ticket_from(sso(node, new, session), new).startswith("ST-")
    assert sso(node, APP, session).status_code == 302


# --- password guessing ----------------------------------------------------------------


def guess(node, password, address=None, user=USER):
    """One login POST with a fresh form; `address` goes in X-Forwarded-For."""
    session = browser()
    headers = {"X-Forwarded-For": address} if address else {}
    form = session.get(urljoin(node.url, "login"), headers=headers, timeout=TIMEOUT)
    fields = {**hidden_fields(form.text), "username": user, "password": password}
    return session.post(urljoin(node.url, "login"), data=fields, headers=headers,
                        allow_redirects=False, timeout=TIMEOUT)


def test_password_guessing_is_throttled_pool_wide(own_pool, redis_server):
    """Ten checks a sliding minute per (user, address), counted in the
    store by every node, however the guesses fall across a minute's end; the victim still logs in from another address; the
    attacker cannot pick addresses by forging X-Forwarded-For, which only a
    --trusted-proxy may set."""
    pool = own_pool(size=2, throttled=True,
                    extra_args=["--store", redis_server.url, "--trusted-proxy", "127.0.0.1"])
    node1, node2 = pool.nodes
    attacker = "203.0.113.66"
    for i in range(10):
        answer = guess((node1, node2)[i % 2], f"guess {i}", attacker)
        assert answer.status_code == 401, (i, answer.status_code)
    for node in (node1, node2):
        throttled = guess(node, PASSWORD, attacker)
        assert throttled.status_code == 429, throttled.text[:300]
        # A sliding minute: the wait may reach into the next minute.
        assert 0 < int(throttled.headers["Retry-After"]) <= 120
        assert "Try again in" in throttled.text and "CASTGC" not in throttled.cookies
    victim = guess(node2, PASSWORD, "198.51.100.7")
    assert victim.status_code == 200 and "CASTGC" in victim.cookies
    logs = node1.log() + node2.log()
    assert logs.count(f'login failed: user "{USER}" from {attacker}') == 10, logs
    assert f'login throttled: user "{USER}" from {attacker}' in logs
    assert "guess " not in logs and PASSWORD not in logs

    # Without --trusted-proxy the header is the client's own word: ignored.
    [node] = own_pool(size=1, throttled=True).nodes
    for i in range(10):
        assert guess(node, f"guess {i}", f"198.51.100.{i}").status_code == 401
    assert guess(node, PASSWORD, "198.51.100.200").status_code == 429


# --- HTTP ---------------------------------------------------------------------------------


def test_a_body_that_never_comes_is_cut_off_and_the_node_still_answers(pool):
    """The outside review held the node's descriptors with bodies that never
    came: each now gets 408 within the request deadline (10 s), and the
    node answers others meanwhile."""
    node = pool.nodes[0]
    host, port = urlsplit(node.url).netloc.split(":")
    slow = []
    for _ in range(50):
        conn = socket.create_connection((host, int(port)), timeout=15)
        conn.sendall(f"POST {urlsplit(node.url).path}login HTTP/1.1\r\nHost: x\r\n"
                     "Content-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: 60000\r\n\r\nusername=".encode())
        slow.append(conn)
    started = time.monotonic()
    assert requests.get(urljoin(node.url, "login"), timeout=TIMEOUT).status_code == 200
    assert time.monotonic() - started < 2
    for conn in slow:
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
        conn.close()
        assert received.startswith(b"HTTP/1.1 408 "), received[:100]
    assert time.monotonic() - started < 14


def test_every_answer_carries_the_security_headers(own_pool):
    pool = own_pool(size=1, extra_args=["--trusted-proxy", "127.0.0.1"])
    [node] = pool.nodes
    answers = [
        requests.get(urljoin(node.url, "login"), timeout=TIMEOUT),
        requests.get(urljoin(node.url, "serviceValidate"), params={"ticket": "ST-1", "service": APP},
                     timeout=TIMEOUT),
        requests.get(urljoin(node.url, "nowhere"), timeout=TIMEOUT),
        requests.get(urljoin(node.url, "login"), params={"q": "a" * 10_000}, timeout=TIMEOUT),  # the front's 414
    ]
    for answer in answers:
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.url[:80]
        assert answer.headers["Referrer-Policy"] == "no-referrer", answer.url[:80]
    assert answers[-1].status_code == 414
    assert "Strict-Transport-Security" not in answers[0].headers
    # Behind TLS, as the trusted proxy says: HSTS.
    tls = requests.get(urljoin(node.url, "login"), headers={"X-Forwarded-Proto": "https"}, timeout=TIMEOUT)
    assert tls.headers["Strict-Transport-Security"].startswith("max-age=")
    # From anyone else the header means nothing.
    [untrusting] = own_pool(size=1).nodes
    plain = requests.get(urljoin(untrusting.url, "login"), headers={"X-Forwarded-Proto": "https"},
                         timeout=TIMEOUT)
    assert "Strict-Transport-Security" not in plain.headers


def test_health_says_whether_the_store_answers(own_pool, redis_server):
    [node] = own_pool(size=1, extra_args=["--store", redis_server.url, "--store-timeout", "300ms"]).nodes
    health = urljoin(node.url, "/health")
    assert requests.get(health, timeout=TIMEOUT).status_code == 200
    redis_server.stop()
    assert requests.get(health, timeout=TIMEOUT).status_code == 503
    redis_server.start()
    deadline = time.monotonic() + TIMEOUT
    while requests.get(health, timeout=TIMEOUT).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.1)
