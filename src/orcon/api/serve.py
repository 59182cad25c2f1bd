"""``orcon serve``: open (or create) the instance and run the HTTP server."""

from __future__ import annotations

import os
import sys

import uvicorn

from orcon.api.app import create_app
from orcon.service.instance import Instance
from orcon.store.home import Home


def serve(home: Home, host: str, port: int) -> int:
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
    uvicorn.run(create_app(inst), host=host, port=port, log_level="warning")
    return 0
