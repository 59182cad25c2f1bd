"""Security headers on every answer of ``orcon serve``.

The pages show sensitive material and carry actions that cannot wait to be undone
(halt a partner, suspend a person), so a browser is told: run only orcon's own
scripts and styles (a Content-Security-Policy with no inline code: an injected
``<script>`` does not run); never show orcon inside another site's frame (a click
on "Halt" cannot be stolen); send no Referer when a link leads out (the watch page
links to the articles it found, and an internal address or item id is not for the
newspaper's logs); keep no copy of a page or download in a cache, unless the answer
says otherwise itself (the public ledger's tiles and checkpoint do); and, behind
HTTPS, keep to HTTPS (HSTS). The evidence reports are files of their own, with
inline styles and pictures and no script; /docs and /redoc (the API's interactive
documentation) need their own inline start-up script.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGES = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
REPORTS = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
API_DOCS = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HSTS = "max-age=31536000"


def policy(path: str) -> str:
    """The Content-Security-Policy for an address."""
    if path.startswith("/reports/"):
        return REPORTS
    if path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        return API_DOCS
    return PAGES


def headers_for(path: str, secure: bool) -> dict[str, str]:
    """The headers an answer to ``path`` gets, unless it set them itself."""
    extra = {
        "Content-Security-Policy": policy(path),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if not path.startswith(("/static/", "/static-offline-docs/")):
        extra["Cache-Control"] = "no-store"
    if secure:
        extra["Strict-Transport-Security"] = HSTS
    return extra


class SecurityHeaders:
    """ASGI middleware: adds :func:`headers_for` to each HTTP answer as it starts, so
    streamed downloads are not held back."""

    def __init__(self, app: ASGIApp, secure: bool = False) -> None:
        self.app, self.secure = app, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"], self.secure)

        async def start(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, start)
