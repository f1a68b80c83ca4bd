"""A pool of `cas_node` processes on loopback, sharing one keyring.

Every wait is bounded: a node must say `listening on URL` within
NODE_START_SECONDS, and every process is stopped when its pool is torn down.
"""

import functools
import http.server
import json
import os
import queue
import re
import signal
import ssl
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug"
CAS_NODE = Path(os.environ.get("CAS_NODE_BIN", TARGET / "cas-node"))
TICKETCTL = Path(os.environ.get("TICKETCTL_BIN", TARGET / "ticketctl"))

NODE_START_SECONDS = 10
NODE_STOP_SECONDS = 5

USER = "jdoe@example.edu"
PASSWORD = "correct horse: battery staple"
USERS = {USER: PASSWORD, "rroe": "another secret"}
ATTRIBUTES = f"""[attributes]
{USER} mail=jdoe@example.edu
{USER} displayName=Jane <Doe> & Co
{USER} memberOf=staff
{USER} memberOf=faculty
"""


@functools.cache
def users_file():
    """The users file of every pool: argon2id hashes that `cas-node
    hash-password` prints (the password on its standard input), and USER's
    attributes."""
    lines = []
    for user, password in USERS.items():
        done = subprocess.run([str(CAS_NODE), "hash-password", user], input=password + "\n",
                              capture_output=True, text=True, timeout=30, check=False)
        assert done.returncode == 0, done.stderr
        lines.append(done.stdout.strip())
    return "# users of the end-to-end pool\n[users]\n" + "\n".join(lines) + "\n" + ATTRIBUTES


def write_users(path):
    """Writes the users file, private as the node requires."""
    path.write_text(users_file(), encoding="utf-8")
    os.chmod(path, 0o600)


APP = "https://app.example.edu/login?target=%2Fhome"
OTHER_APP = "https://wiki.example.edu/"
BACKEND = "https://backend.example.edu/api"
DATABASE = "https://db.example.edu/query"


def service(name, url, **fields):
    """One registry entry (cas-node --services): `fields` are its other keys."""
    return {"name": name, "url": url, **fields}


def default_services(proxy_callbacks=()):
    """The applications the tests use legitimately: the user's attributes for
    each, PGTs for APP and BACKEND at `proxy_callbacks`, PTs for BACKEND and
    DATABASE. Nothing else (attacker.example, evil.test…) is registered."""
    callbacks = list(proxy_callbacks)
    return [
        service("App", "https://app.example.edu/", attributes=["*"], proxy_callbacks=callbacks),
        service("Wiki", OTHER_APP, attributes=["*"]),
        service("Back end", "https://backend.example.edu/", attributes=["*"],
                proxy_callbacks=callbacks, proxy_tickets=True),
        service("Database", "https://db.example.edu/", attributes=["*"], proxy_tickets=True),
    ]


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a TOML basic string is a JSON string


def write_services(path, services):
    """Writes the registry file of `services` (a list of entries: an entry
    with a `client_id` is an OAuth `[[client]]`, any other a `[[service]]`)."""
    lines = []
    for entry in services:
        lines.append("[[client]]" if "client_id" in entry else "[[service]]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in entry.items())
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def ticketctl(*args, check=True):
    """Runs ticketctl; returns its stdout without the trailing newline."""
    done = subprocess.run(
        [str(TICKETCTL), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"ticketctl {args} failed: {done.stderr}")
    return done.stdout.strip()


class Node:
    """One cas_node process. `url` is its CAS base URL, ending in `/`."""

    def __init__(self, name, workdir, keys, users, services, extra_args, env=None, secure_cookie=False):
        """`services` is the registry file. `secure_cookie`: the node sits
        behind TLS (HAProxy), so its cookies are Secure; otherwise it runs
        with --insecure-cookie on plain HTTP."""
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self._log = open(self.log_path, "w", encoding="utf-8")
        self.process = subprocess.Popen(
            [
                str(CAS_NODE),
                "--listen", "127.0.0.1:0",
                "--keys", str(keys),
                # A node of a directory (--ldap in extra_args) has no users file.
                *(["--users", str(users)] if users else []),
                "--services", str(services),
                *([] if secure_cookie else ["--insecure-cookie"]),
                *map(str, extra_args),
            ],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.url = self._wait_for_address() + "/"

    def _wait_for_address(self):
        lines = queue.Queue()
        threading.Thread(
            target=lambda: lines.put(self.process.stdout.readline()), daemon=True
        ).start()
        try:
            line = lines.get(timeout=NODE_START_SECONDS)
        except queue.Empty:
            self.stop()
            raise AssertionError(f"{self.name} did not start: {self.log()}")
        match = re.fullmatch(r"listening on (http://\S+)\n", line)
        if not match:
            self.stop()
            raise AssertionError(f"{self.name} said {line!r}: {self.log()}")
        return match.group(1)

    def log(self):
        return self.log_path.read_text(encoding="utf-8")

    def reload_keys(self):
        """Sends SIGHUP and waits (bounded) until the node says it reloaded
        (the keyring and the service registry, in that order of lines)."""
        before = self.log().count("keyring reloaded")
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + NODE_START_SECONDS
        while self.log().count("keyring reloaded") == before:
            assert self.process.poll() is None, f"{self.name} died: {self.log()}"
            assert time.monotonic() < deadline, f"{self.name} did not reload: {self.log()}"
            time.sleep(0.02)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=NODE_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=NODE_STOP_SECONDS)
        self.process.stdout.close()
        self._log.close()


# The suite logs the same user in hundreds of times a minute from loopback:
# its pools raise the login throttle's limits, but for the pools of the
# throttle's own tests (`throttled=True`), which keep the node's defaults.
UNTHROTTLED = [
    "--login-limit-user-address", "100000/1m",
    "--login-limit-address", "100000/1m",
    "--login-limit-user", "100000/1m",
]


class Pool:
    """`size` nodes on one keyring, one users file and one service registry
    (`services`, default_services() if None) in `workdir`."""

    def __init__(self, workdir, size=3, extra_args=(), env=None, secure_cookie=False, services=None,
                 throttled=False):
        extra_args = [*extra_args, *([] if throttled else UNTHROTTLED)]
        self.workdir = workdir
        self.keys = workdir / "keys.json"
        self.users = workdir / "users.txt"
        self.services = workdir / "services.toml"
        self.key_id = ticketctl("keygen", "--out", self.keys)
        write_users(self.users)
        self.registered = default_services() if services is None else list(services)
        write_services(self.services, self.registered)
        self.nodes = []
        try:
            for i in range(size):
                self.nodes.append(
                    Node(f"node{i + 1}", workdir, self.keys, self.users, self.services, extra_args,
                         env, secure_cookie)
                )
        except BaseException:
            self.stop()
            raise

    def reload_keys(self):
        for node in self.nodes:
            node.reload_keys()

    def register(self, *entries):
        """Adds `entries` to the registry and reloads it on every node."""
        self.registered = [*self.registered, *entries]
        write_services(self.services, self.registered)
        before = [node.log().count("service registry reloaded") for node in self.nodes]
        self.reload_keys()
        for node, count in zip(self.nodes, before):
            assert node.log().count("service registry reloaded") > count, node.log()

    def stop(self):
        for node in self.nodes:
            node.stop()


class CallbackListener:
    """A proxy's pgtUrl endpoint on loopback: `/ok` answers 200 and records
    pgtIou -> pgtId; `/refuse` answers 404. With `tls`, it speaks HTTPS with a
    certificate from a throwaway CA (trustme) that no node trusts unless told
    (`ca_pem` is that CA's certificate file)."""

    def __init__(self, tls=False, workdir=None):
        self.pgts = {}
        self.ca_pem = None
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                params = parse_qs(url.query)
                if url.path == "/ok":
                    if "pgtIou" in params and "pgtId" in params:
                        listener.pgts[params["pgtIou"][0]] = params["pgtId"][0]
                    self.send_response(200)
                else:
                    self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ca = trustme.CA()
            ca.issue_cert("127.0.0.1").configure_cert(context)
            self.ca_pem = workdir / "proxy-ca.pem"
            ca.cert_pem.write_to_path(str(self.ca_pem))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.base = f"{scheme}://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server on a free loopback port (Debian's, from
    tests/install-packages), no persistence; stopped by its pid."""

    def __init__(self, workdir, extra=()):
        self.port = free_port()
        self.workdir = workdir
        self.extra = list(extra)
        self.process = None
        self.start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/"

    def start(self):
        try:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.workdir), *self.extra],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError:
            raise AssertionError("redis-server is missing: run `bash tests/install-packages` as root")
        deadline = time.monotonic() + NODE_START_SECONDS
        while self.cli("PING") != "PONG":
            assert self.process.poll() is None, "redis-server died"
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)

    def cli(self, *args):
        done = subprocess.run(["redis-cli", "-p", str(self.port), *args],
                              capture_output=True, text=True, timeout=10, check=False)
        return done.stdout.strip()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=NODE_STOP_SECONDS)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()


class LogoutListener:
    """A service on loopback that records the single-logout requests POSTed
    to it (the `logoutRequest` form field) and answers 200 to anything."""

    def __init__(self):
        self.requests = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                fields = parse_qs(self.rfile.read(length).decode())
                listener.requests.extend(fields.get("logoutRequest", []))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/app"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def logout_listener():
    listener = LogoutListener()
    yield listener
    listener.stop()


@pytest.fixture(scope="module")
def callbacks(tmp_path_factory):
    """A proxy's https pgtUrl endpoint whose CA the pools trust (--proxy-ca)."""
    listener = CallbackListener(tls=True, workdir=tmp_path_factory.mktemp("trusted-ca"))
    yield listener
    listener.stop()


@pytest.fixture(scope="module")
def untrusted_callbacks(tmp_path_factory):
    listener = CallbackListener(tls=True, workdir=tmp_path_factory.mktemp("ca"))
    yield listener
    listener.stop()


@pytest.fixture(scope="module")
def pool(tmp_path_factory, callbacks, untrusted_callbacks):
    """The three-node pool most tests share: STs live 3 s, the default
    registry with PGTs for APP and BACKEND at both loopback listeners (only
    the first one's CA is trusted)."""
    pool = Pool(
        tmp_path_factory.mktemp("pool"),
        extra_args=["--st-ttl", "3s", "--proxy-ca", callbacks.ca_pem],
        services=default_services([callbacks.base, untrusted_callbacks.base]),
    )
    yield pool
    pool.stop()


@pytest.fixture
def own_pool(tmp_path, callbacks):
    """A pool a single test may change (keys, users file, registry); it
    trusts the `callbacks` listener's CA, and its default registry gives
    PGTs at that listener."""
    pools = []

    def start(size=3, extra_args=(), env=None, services=None, throttled=False):
        # Counted by directory: a pool that failed to start has one too.
        workdir = tmp_path / f"pool{len(list(tmp_path.glob('pool*'))) + 1}"
        workdir.mkdir()
        if services is None:
            services = default_services([callbacks.base])
        extra_args = ["--proxy-ca", callbacks.ca_pem, *extra_args]
        pools.append(Pool(workdir, size, extra_args, env, services=services, throttled=throttled))
        return pools[-1]

    yield start
    for pool in pools:
        pool.stop()
