"""A real ``orcon serve`` on loopback for end-to-end tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, database: str) -> Iterator[tuple[str, str]]:
    """(base URL, first admin's API token) of a fresh instance served on a free port."""
    port = _free_port()
    env = {**os.environ, "ORCON_ORG": "Northshire Constabulary", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orcon",
            "--home",
            str(tmp_path / "home"),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    token, lines = None, []
    deadline = time.time() + 60
    assert proc.stdout is not None
    while time.time() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if m := re.search(r"API token: (orc_\S+)", line):
            token = m.group(1)
        if m := re.search(r"password: (\S+)", line):
            (tmp_path / "admin-password").write_text(m.group(1))
        if "serving on" in line:
            break
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/openapi.json", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    assert token, "".join(lines)
    try:
        yield url, token
    finally:
        proc.terminate()
        proc.wait(10)
