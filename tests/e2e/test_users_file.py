"""The users file keeps no plaintext passwords (issue 21): a node refuses
one that does, or one that others can read, saying how to fix it; the
hashes `cas-node hash-password` prints log users in."""

import os
import subprocess

from conftest import CAS_NODE, PASSWORD, USER, ATTRIBUTES
from test_pool import APP, client, login


def start_fails(pool, users):
    done = subprocess.run(
        [str(CAS_NODE), "--listen", "127.0.0.1:0", "--keys", str(pool.keys), "--users", str(users),
         "--services", str(pool.services)],
        capture_output=True, text=True, timeout=10, check=False)
    assert done.returncode != 0
    return done.stderr


def test_plaintext_or_readable_users_files_are_refused(own_pool, tmp_path):
    pool = own_pool(size=1)
    plain = tmp_path / "plain.txt"
    plain.write_text(f"[users]\n{USER}:{PASSWORD}\n{ATTRIBUTES}", encoding="utf-8")
    os.chmod(plain, 0o600)
    said = start_fails(pool, plain)
    assert "line 2" in said and "plaintext passwords are refused" in said, said
    assert "cas-node hash-password" in said and PASSWORD not in said, said
    readable = tmp_path / "readable.txt"
    readable.write_text(pool.users.read_text(encoding="utf-8"), encoding="utf-8")
    os.chmod(readable, 0o644)
    said = start_fails(pool, readable)
    assert "mode 0644" in said and "chmod 600" in said, said


def test_a_hashed_users_file_logs_users_in(own_pool):
    pool = own_pool(size=2)
    node1, node2 = pool.nodes
    assert "$argon2id$v=19$" in pool.users.read_text(encoding="utf-8")
    _, st = login(node1, APP)
    assert client(3, node2, APP).verify_ticket(st)[0] == USER
