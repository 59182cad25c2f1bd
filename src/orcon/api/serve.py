"""``orcon serve``: open (or create) the instance and run the HTTP server."""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
from collections.abc import Callable

import uvicorn

from orcon.api.app import create_app
from orcon.errors import UsageError
from orcon.service.instance import Instance
from orcon.store.home import Home


def _every(name: str, seconds: float, round_: Callable[[], None]) -> threading.Event:
    """Run ``round_`` in a daemon thread every ``seconds``, outliving any failed round
    (it is reported on stderr); setting the event returned stops it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                round_()
            except Exception as err:  # the worker must outlive any bad round
                print(f"{name} round failed: {err}", file=sys.stderr, flush=True)
            stop.wait(seconds)

    threading.Thread(target=loop, name=f"orcon-{name.replace(' ', '-')}", daemon=True).start()
    return stop


def _start_watch(inst: Instance, every: float = 10.0) -> threading.Event:
    """Run the leak watch in the background while serving: it wakes every ``every``
    seconds and polls the sources that are due, so a source added on the web page while
    the server runs is polled without a restart."""
    from orcon.service import watching
    from orcon.watch.fetch import Fetcher

    watcher = watching.Watcher(inst, Fetcher())

    def round_() -> None:
        if watching.sources_due(inst):
            watcher.run_once()

    stop = _every("leak watch", every, round_)
    print("leak watch: running in the background (each source at its interval)", flush=True)
    return stop


def _start_outbox(inst: Instance, every: float = 20.0) -> threading.Event:
    """Send what waits in the outbox when its pause is over: a notice or leak alert the
    mail server did not take goes out once it is back, without anyone asking. Setting
    the event returned stops the worker."""
    from orcon.service import outbox

    def round_() -> None:
        if outbox.due(inst):
            print(f"outbox: {outbox.retry(inst).in_words()}", file=sys.stderr, flush=True)

    return _every("outbox", every, round_)


def _check_listen(host: str, port: int) -> None:
    """Refuse, before anything is created or announced, an address orcon cannot listen
    on: a port out of range, a host this machine does not have, or a port another
    program (often another orcon serve) already holds."""
    if not 1 <= port <= 65535:
        raise UsageError(f"--port {port}: a port is a number from 1 to 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise UsageError(f"--host {host}: {err.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as err:
            raise UsageError(
                f"cannot listen on {host}:{port}: {err.strerror}"
                + (" (is another orcon serve running?)" if err.errno == errno.EADDRINUSE else "")
            ) from None


def serve(home: Home, host: str, port: int, secure_cookies: bool = False) -> int:
    _check_listen(host, port)
    if not home.exists():
        org = os.environ.get("ORCON_ORG", "Originator")
        inst, creds = Instance.init(home, org)
        print(f"Created a fresh orcon instance for {org!r} in {home.path}", flush=True)
        print(f"First administrator: {creds.email}  password: {creds.password}", flush=True)
        print(f"API token: {creds.token}  (shown once; keep it safe)", flush=True)
    else:
        inst = Instance.open(home)
    print(
        f"orcon is serving on http://{host}:{port}/  (API docs: /docs, OpenAPI: /openapi.json)",
        flush=True,
    )
    sys.stdout.flush()
    _start_watch(inst)
    _start_outbox(inst)
    uvicorn.run(create_app(inst, secure_cookies), host=host, port=port, log_level="warning")
    return 0
