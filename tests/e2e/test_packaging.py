"""What an operator installs (issue 21): the systemd unit passes `systemd-analyze
verify` with no warning and keeps its hardening, and the sample configuration
file, pointed at a real directory, starts a node that logs users in and
serves metrics."""

import os
import re
import subprocess
import time
from pathlib import Path

import requests

from conftest import CAS_NODE, NODE_START_SECONDS, default_services, ticketctl, write_services
from test_ldap import BASE, PASSWORD, free_port, post_login, slapd  # noqa: F401 (a fixture)
from test_pool import TIMEOUT

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
HARDENING = [
    "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
    "PrivateDevices=yes", "CapabilityBoundingSet=", "MemoryDenyWriteExecute=yes",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service",
    "UMask=0077", "User=cas-node",
]


def test_the_systemd_unit_verifies_and_is_hardened(tmp_path):
    unit = (PACKAGING / "cas-node.service").read_text(encoding="utf-8")
    lines = unit.splitlines()
    for setting in HARDENING:
        assert setting in lines, setting
    assert "ExecReload=/bin/kill -HUP $MAINPID" in lines
    copy = tmp_path / "cas-node.service"
    copy.write_text(unit.replace("/usr/local/bin/cas-node", str(CAS_NODE)), encoding="utf-8")
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_the_sample_configuration_runs_a_node(slapd, tmp_path):  # noqa: F811
    keys = tmp_path / "keys.json"
    key_id = ticketctl("keygen", "--out", keys)
    services = tmp_path / "services.toml"
    write_services(services, default_services())
    metrics = free_port()
    config = (PACKAGING / "cas-node.toml").read_text(encoding="utf-8")
    for old, new in [
        ('"0.0.0.0:8080"', '"127.0.0.1:0"'),
        ('"/etc/cas-node/keys.json"', f'"{keys}"'),
        ('"/etc/cas-node/services.toml"', f'"{services}"'),
        ('"ldap://ldap.example.edu"', f'"{slapd["url"]}"'),
        ('"ou=people,dc=example,dc=edu"', f'"{BASE}"'),
        ('"/etc/cas-node/ldap-bind-password"', f'"{slapd["password_file"]}"'),
        ('# ldap-ca = "/etc/cas-node/campus-ca.pem"', f'ldap-ca = "{slapd["ca"]}"'),
        ('"127.0.0.1:9100"', f'"127.0.0.1:{metrics}"'),
    ]:
        assert old in config, old
        config = config.replace(old, new)
    path = tmp_path / "cas-node.toml"
    path.write_text(config, encoding="utf-8")
    log = open(tmp_path / "node.log", "w", encoding="utf-8")
    process = subprocess.Popen([str(CAS_NODE), "--config", str(path), "--insecure-cookie"],
                               stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = process.stdout.readline()
        match = re.fullmatch(r"listening on (http://\S+)\n", line)
        assert match, (line, (tmp_path / "node.log").read_text(encoding="utf-8"))

        class Started:
            url = match.group(1) + "/"

        _, answer = post_login(Started, "jdoe", PASSWORD)
        assert answer.status_code == 302 and "ticket=ST-" in answer.headers["Location"]
        deadline = time.monotonic() + NODE_START_SECONDS
        while True:
            try:
                text = requests.get(f"http://127.0.0.1:{metrics}/metrics", timeout=TIMEOUT).text
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert 'cas_logins_total{outcome="success"} 1' in text
        assert f'cas_keys{{key_id="{key_id}",primary="true"}} 1' in text
        assert 'cas_ldap_seconds_count{operation="bind"} 1' in text
        assert os.stat(tmp_path / "node.log").st_size > 0
        assert (tmp_path / "node.log").read_text(encoding="utf-8").startswith("{")
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        log.close()
