"""Server-rendered web pages: sign in, share, inbox, partners and halt, trace, ledger, requests.

Edges only: every page calls the services used by the CLI and the API. Sessions
are signed cookies (HttpOnly, SameSite=Strict, Secure when served over HTTPS);
every form carries a per-session CSRF token; the lockout and the policy are the
services' own.
"""

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import FastAPI, Form, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from orcon import policy
from orcon.api.params import RowId
from orcon.codes import plan
from orcon.codes.prf import derive_key
from orcon.errors import OrconError, PolicyDenied, UsageError
from orcon.service import (
    bundles,
    control,
    directory,
    health,
    knowing,
    markings,
    notices,
    sharing,
    tracing,
)
from orcon.service.directory import PersonInfo
from orcon.service.instance import Instance
from orcon.service.receipts import receipt
from orcon.service.report import chance_in_text, write_report
from orcon.store.ledger import iso

HERE = Path(__file__).parent
STAFF = ("admin", "analyst")
PEOPLE_SHOWN = 100  # rows of the Partners page's People table; a search finds the rest
ITEMS_SHOWN = 100  # rows of the Shared items page, newest first; a search finds the rest


def _whole(text: str) -> int:
    """A form's whole number, or -1 for anything else: the service then refuses it in
    its own words ("lasts 1 to 365 days", "unknown API token -1")."""
    return int(text) if text.strip().isdigit() else -1


def _port(text: str) -> int:
    try:
        return int(text.strip() or "25")
    except ValueError:
        raise UsageError(f"the port must be a number, got {text!r}") from None


def _moment(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{text!r} is not a date and time") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# Share form fields shown again after a refusal or a preview (a file input cannot be);
# the boxes too, so that a share sent again is sent as it was meant ("clear properties").
_KEPT = ("title", "tlp", "max_recipients", "named", "embargo_until", "expires")
_KEPT_BOXES = ("no_onward", "no_fragile", "keep_hidden", "clear_properties")


def _kept(form: FormData) -> dict[str, Any]:
    kept: dict[str, Any] = {k: str(form.get(k, "")) for k in _KEPT}
    kept.update({k: form.get(k) == "true" for k in _KEPT_BOXES})
    kept["to"] = [str(x) for x in form.getlist("to")]
    return kept


def _addresses(text: str) -> list[str]:
    """E-mail addresses typed one per line or separated by commas or spaces."""
    return [a for a in re.split(r"[\s,;]+", text) if a]


def _trace_view(result: tracing.TraceResult) -> dict[str, object]:
    return {
        "verdict": result.verdict,
        "item": result.item,
        "seq": result.ledger_seq,
        "bound": f"{result.false_accusation_bound:g}",
        "read": result.read,
        "erased": result.erased,
        "accused": [
            {"person": a.person, "org": a.org, "words": chance_in_text(a.p_value)}
            for a in result.accused
        ],
        "notes": list(result.notes),
    }


def _backup_view(last: tuple[datetime, dict[str, object]] | None, now: datetime) -> dict[str, Any]:
    """The dashboard's line on backups: when the last was taken, and whether it is old."""
    if last is None:
        return {"never": True, "stale": True}
    at, event = last
    days = (now - at).days
    size = event.get("bytes")
    return {
        "never": False,
        "when": iso(at)[:16].replace("T", " "),
        "days": days,
        "stale": now - at >= health.BACKUP_STALE,
        "by": event.get("by"),
        "mib": f"{int(size) / 2**20:.1f}" if isinstance(size, int) else "?",
    }


async def _form_file(form: Any, purpose: str) -> tuple[bytes, str | None]:
    """The uploaded file of a form, within the upload limit."""
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read"):
        raise UsageError(f"choose a file to {purpose}")
    data = await upload.read(sharing.MAX_UPLOAD + 1)
    if len(data) > sharing.MAX_UPLOAD:
        raise UsageError(
            f"the file is larger than the {sharing.MAX_UPLOAD // 2**20} MiB upload limit"
        )
    return bytes(data), getattr(upload, "filename", None)


def _attachment(cp: sharing.IssuedCopy) -> Response:
    media = sharing.MEDIA_TYPES.get(cp.item.format, "application/octet-stream")
    return Response(
        cp.data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{cp.filename}"'},
    )


def _message(err: OrconError | ValueError) -> str:
    """What a form's user is told when their input is refused."""
    return err.diagnostics() if isinstance(err, OrconError) else f"invalid value: {err}"


class _ShownOnce:
    """New API tokens waiting, for a minute at most, for the page that shows them once."""

    def __init__(self, ttl_s: float = 60) -> None:
        self._waiting: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._ttl = ttl_s

    def keep(self, token: str) -> str:
        key = secrets.token_urlsafe(16)
        with self._lock:
            now = time.monotonic()
            self._waiting = {k: v for k, v in self._waiting.items() if v[0] > now}
            self._waiting[key] = (now + self._ttl, token)
        return key

    def take(self, key: str) -> str | None:
        with self._lock:
            found = self._waiting.pop(key, None)
        return found[1] if found and found[0] > time.monotonic() else None


def mount(app: FastAPI, inst: Instance, secure_cookies: bool = False) -> None:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    new_tokens = _ShownOnce()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(
        SessionMiddleware,
        secret_key=derive_key(inst.secrets.master_key, "orcon.web.session").hex(),
        session_cookie="orcon_session",
        same_site="strict",
        https_only=secure_cookies,
        max_age=8 * 3600,
    )
    reports = inst.home.path / "reports"

    def csrf(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = secrets.token_urlsafe(24)
            request.session["csrf"] = token
        return str(token)

    def status(request: Request) -> directory.Standing | None:
        """Who is signed in, and whether they are suspended or their organisation halted;
        nobody when the session's password stamp is not the account's (the password was
        changed or reset since it signed in, so the session ends)."""
        email = request.session.get("email")
        if not email:
            return None
        found = directory.person_status(inst, str(email))
        if found is None or found.stamp != request.session.get("stamp"):
            request.session.clear()
            return None
        return found

    def me(request: Request) -> PersonInfo | None:
        found = status(request)
        return found.person if found else None

    def refused(request: Request, heading: str, message: str, **ctx: Any) -> HTMLResponse:
        return page(request, "refused.html", 403, heading=heading, message=message, **ctx)

    def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        ctx.setdefault("me", me(request))
        return templates.TemplateResponse(
            request, name, {"csrf": csrf(request), **ctx}, status_code=status
        )

    def problem(request: Request, err: StarletteHTTPException) -> HTMLResponse:
        """A page for an address that is not one (404) or a method a page does not take."""
        heading = {404: "Page not found", 405: "Not possible here"}.get(
            err.status_code, "Something went wrong"
        )
        message = (
            "There is no page at this address. Check the link, or start again from the start page."
            if err.status_code == 404
            else str(err.detail)
        )
        return page(request, "problem.html", err.status_code, heading=heading, message=message)

    app.state.page_error = problem

    def check_csrf(request: Request, token: str) -> None:
        if not token or not secrets.compare_digest(token, str(request.session.get("csrf", ""))):
            raise PolicyDenied("the form expired or did not come from this site; please try again")

    def require(request: Request, staff: bool = False) -> PersonInfo | Response:
        found = status(request)
        if found is None:
            return RedirectResponse("/login", 303)
        who = found.person
        if found.suspended is not None:
            why = f": {found.suspended}" if found.suspended else ""
            return refused(
                request,
                "Your account is suspended",
                f"The originator has suspended your account{why}. You cannot download copies, "
                "ask for onward dissemination or use the API until it is reinstated. Nothing "
                "has been deleted.",
                me=who,
            )
        if found.halted is not None:
            why = f": {found.halted}" if found.halted else ""
            return refused(
                request,
                "Sharing with your organisation is halted",
                f"The originator has halted all sharing with your organisation{why}. You cannot "
                "download copies or use the API until sharing is resumed. Nothing has been "
                "deleted.",
                me=who,
            )
        if staff and who.role not in STAFF:
            return refused(request, "Not open to you", "This page is for the originator's staff.")
        return who

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        return page(request, "login.html", me=None)

    @app.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        email: str = Form(""),
        password: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        try:
            check_csrf(request, csrf_)
            who = directory.login(inst, email, password)
        except OrconError as err:
            return page(request, "login.html", 403, me=None, error=err.diagnostics())
        request.session.clear()
        request.session["email"] = who.email
        found = directory.person_status(inst, who.email)
        request.session["stamp"] = found.stamp if found else ""
        return RedirectResponse("/" if who.role in STAFF else "/inbox", 303)

    @app.post("/logout")
    def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", 303)

    def account_page(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
        who = me(request)
        tokens = directory.live_tokens(inst, who.email) if who else []
        return page(
            request,
            "account.html",
            status,
            page="account",
            minimum=directory.PASSWORD_MIN,
            live_tokens=len(tokens),
            tokens=tokens,
            token_days=(30, 90, directory.OWN_TOKEN_DAYS_MAX),
            **ctx,
        )

    @app.post("/account/token", response_class=HTMLResponse)
    def own_token(
        request: Request,
        current: str = Form(""),
        days: str = Form("90"),
        access: str = Form("full"),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        """An API token for one's own scripts, shown once."""
        who = require(request)
        if isinstance(who, Response):
            return who
        try:
            check_csrf(request, csrf_)
            lifetime = _whole(days)
            token = directory.create_own_token(inst, who.email, current, lifetime, access)
        except OrconError as err:
            return account_page(request, 400, error=_message(err))
        what = "a read-only API token" if access == "read" else "an API token"
        # Post, redirect, get: reloading the page must not make a second token. The token
        # waits in this process (never in the cookie, which is signed but readable) for
        # the one page that shows it; the session holds only a key to it.
        request.session["notice"] = f"Made {what} that lasts {lifetime} days."
        request.session["new_token"] = new_tokens.keep(token)
        return RedirectResponse("/account", 303)

    @app.post("/account/tokens/one", response_class=HTMLResponse)
    def end_own_token(
        request: Request, token: str = Form(""), csrf_: str = Form("", alias="csrf")
    ) -> Response:
        who = require(request)
        if isinstance(who, Response):
            return who
        try:
            check_csrf(request, csrf_)
            number = _whole(token)
            directory.revoke_token(inst, who.email, number, by=who.email)
        except OrconError as err:
            return account_page(request, 400, error=_message(err))
        return account_page(request, notice=f"Ended your API token {token}.")

    @app.post("/account/tokens/end", response_class=HTMLResponse)
    def end_own_tokens(request: Request, csrf_: str = Form("", alias="csrf")) -> Response:
        who = require(request)
        if isinstance(who, Response):
            return who
        try:
            check_csrf(request, csrf_)
            ended = directory.revoke_tokens(inst, who.email, by=who.email)
        except OrconError as err:
            return account_page(request, 400, error=_message(err))
        return account_page(
            request, notice=f"Ended {ended} API token{'' if ended == 1 else 's'} of yours."
        )

    @app.get("/account", response_class=HTMLResponse)
    def account(request: Request) -> Response:
        who = require(request)
        if isinstance(who, Response):
            return who
        token = new_tokens.take(str(request.session.pop("new_token", "")))
        notice = request.session.pop("notice", None)
        return account_page(request, notice=notice, new_token=token)

    @app.post("/account/password", response_class=HTMLResponse)
    def change_password(
        request: Request,
        current: str = Form(""),
        new: str = Form(""),
        repeat: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        """Everyone changes their own password here (partners' first one is set for them)."""
        who = require(request)
        if isinstance(who, Response):
            return who
        try:
            check_csrf(request, csrf_)
            if new != repeat:
                raise UsageError("the two new passwords differ")
            stamp = directory.change_password(inst, who.email, current, new)
        except OrconError as err:
            return account_page(request, 400, error=_message(err))
        request.session["stamp"] = stamp  # this session stays signed in; all others end
        return account_page(request, notice="Your password is changed.")

    def dashboard_page(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
        from orcon.service import outbox

        items = [i for i, _ in sharing.list_items(inst, limit=10)]
        recent = control.recent_events(inst, limit=500)
        alerting = (
            "watch.alert",
            "trace.run",
            "access.denied",
            "org.halted",
            "person.suspended",
            "item.withdrawn",
            "item.remarked",
            "onward.requested",
            "backup.taken",
            "instance.restored",
            "settings.changed",
        )
        events = [e for e in recent if e["kind"] in alerting][:10]
        copies = sum(1 for e in recent if e["kind"] == "copy.issued")
        return page(
            request,
            "dashboard.html",
            status,
            page="dashboard",
            items=items,
            orgs=directory.list_orgs(inst),
            events=events,
            copies=copies,
            backup=_backup_view(control.last_backup(inst), inst.clock()),
            outbox=outbox.waiting(inst),
            # What `orcon status` would flag, less what the page shows in its own place.
            attention=[
                c
                for c in health.report(inst, leave_out=frozenset({"backup", "outbox"}))
                if c.state != "ok"
            ],
            **ctx,
        )

    @app.get("/", response_class=HTMLResponse)
    def dashboard(request: Request) -> Response:
        who = require(request)
        if isinstance(who, Response):
            return who
        if who.role not in STAFF:
            return RedirectResponse("/inbox", 303)
        return dashboard_page(request)

    @app.post("/outbox/retry", response_class=HTMLResponse)
    def outbox_retry(request: Request, csrf_: str = Form("", alias="csrf")) -> Response:
        from orcon.service import outbox

        done: list[outbox.Retried] = []
        return admin_post(
            request,
            csrf_,
            lambda _: done.append(outbox.retry(inst, everything=True)),
            lambda: f"Outbox: {done[0].in_words()}.",
            dashboard_page,
        )

    @app.post("/outbox/{mail_id}/drop", response_class=HTMLResponse)
    def outbox_drop(
        request: Request, mail_id: RowId, csrf_: str = Form("", alias="csrf")
    ) -> Response:
        from orcon.service import outbox

        return admin_post(
            request,
            csrf_,
            lambda admin: outbox.drop(inst, [mail_id], by=admin.email, reason="dropped on the web"),
            f"Dropped mail {mail_id} unsent; the ledger records it.",
            dashboard_page,
        )

    @app.get("/items", response_class=HTMLResponse)
    def register(request: Request, q: str = "") -> Response:
        """The register: the newest ITEMS_SHOWN items, or those a search finds."""
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        query = q[:200]
        items = [
            {
                "id": i.id,
                "title": i.title,
                "kind": i.kind,
                "format": i.format,
                "markings": i.markings,
                "to": i.shared_with,
                "holders": holders,
                "withdrawn": i.withdrawn_at is not None,
                "created": iso(i.created_at)[:16].replace("T", " "),
            }
            for i, holders in sharing.list_items(inst, ITEMS_SHOWN, query)
        ]
        return page(
            request,
            "items.html",
            page="items",
            items=items,
            q=query,
            matching=sharing.count_items(inst, query),
        )

    @app.get("/inbox", response_class=HTMLResponse)
    def inbox(request: Request) -> Response:
        who = require(request)
        if isinstance(who, Response):
            return who
        items = [
            {
                "id": i.id,
                "title": i.title,
                "markings": i.markings,
                "created": iso(i.created_at)[:10],
                "changed": iso(i.markings_changed_at)[:10] if i.markings_changed_at else "",
            }
            for i in sharing.list_items_for(inst, who.email)
        ]
        return page(request, "inbox.html", page="inbox", items=items)

    def share_page(request: Request, status: int = 200, **extra: Any) -> HTMLResponse:
        """The Share form, with an error, a preview or the fields to keep."""
        orgs = directory.list_orgs(inst)
        return page(request, "share.html", status, page="share", orgs=orgs,
                    photo_symbols=plan(1000, 3), **extra)  # fmt: skip

    @app.get("/share", response_class=HTMLResponse)
    def share_form(request: Request) -> Response:
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        return share_page(request)

    @app.post("/share", response_class=HTMLResponse)
    async def share(request: Request) -> Response:
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        form = await request.form()
        try:
            check_csrf(request, str(form.get("csrf", "")))
            data, filename = await _form_file(form, "share")
            item = sharing.share(
                inst,
                data,
                title=str(form.get("title", "")),
                tlp=str(form.get("tlp", "")),
                to=[str(x) for x in form.getlist("to")],
                named=_addresses(str(form.get("named", ""))),
                actor_email=who.email,
                filename=filename,
                no_onward=form.get("no_onward") == "true",
                embargo_until=_moment(str(form.get("embargo_until", ""))),
                expires_at=_moment(str(form.get("expires", ""))),
                max_recipients=int(
                    str(form.get("max_recipients") or policy.DEFAULT_MAX_RECIPIENTS)
                ),
                fragile=form.get("no_fragile") != "true",
                keep_hidden=form.get("keep_hidden") == "true",
                clear_properties=form.get("clear_properties") == "true",
            )
        except (OrconError, ValueError) as err:
            kept = _kept(form)
            return share_page(request, 400, error=_message(err), kept=kept)
        if told := notices.shared(inst, item.id):
            # Shown once, on the item page the browser is sent to next.
            request.session["notice"] = f"Shared; {told.in_words()}."
        return RedirectResponse(f"/items/{item.id}", 303)

    @app.post("/share/preview", response_class=HTMLResponse)
    async def share_preview(request: Request) -> Response:
        """What copies of a text report would vary, before it is shared; nothing is stored."""
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        form = await request.form()
        kept = _kept(form)
        try:
            check_csrf(request, str(form.get("csrf", "")))
            data, _ = await _form_file(form, "preview")
            recipients = int(kept["max_recipients"] or policy.DEFAULT_MAX_RECIPIENTS)
            preview = sharing.text_preview(data, recipients=recipients)
        except (OrconError, ValueError) as err:
            return share_page(request, 400, error=_message(err), kept=kept)
        return share_page(request, preview=preview, kept=kept)

    def item_view(
        request: Request,
        item_id: str,
        code: int = 200,
        error: str | None = None,
        notice: str | None = None,
    ) -> Response:
        who = require(request)
        if isinstance(who, Response):
            return who
        staff = who.role in STAFF
        if not staff and not sharing.visible_to(inst, item_id, who.email):
            return page(
                request,
                "problem.html",
                403,
                heading="Not shared with you",
                message="This item was not shared with you, was withdrawn, or does not exist. "
                "Items shared with you are in your inbox.",
            )
        try:
            item = sharing.get_item(inst, item_id)
        except UsageError as err:
            return page(request, "inbox.html", 404, items=[], error=err.diagnostics())
        notice = notice or request.session.pop("notice", None)
        holders = []
        if staff:
            holders = [
                {
                    "person": h.person,
                    "org": h.org,
                    "first_issued": iso(h.first_issued)[:19].replace("T", " "),
                    "copies": h.copies_in_words,
                    "ledger_seq": h.ledger_seq,
                }
                for h in knowing.who_knew(inst, item_id, datetime(9999, 1, 1, tzinfo=UTC))
            ]
        entitled = sharing.entitled_people(inst, item_id) if who.role == "admin" else []
        wording = sharing.item_wording(inst, item_id) if staff and item.kind == "text" else None
        history = markings.history(inst, item_id)
        # A partner reads how the markings changed, not who was added or taken out, nor why.
        changes = [(c.at, c.in_words(audience=False)) for c in history]
        others, named = [], []
        if who.role == "admin":
            others = [
                str(o["name"])
                for o in directory.list_orgs(inst)
                if not o["originator"] and o["name"] not in item.recipient_orgs
            ]
            named = markings.named(inst, item_id)
        return page(
            request,
            "item.html",
            code,
            page="item",
            item=item,
            staff=staff,
            holders=holders,
            entitled=entitled,
            holding={h["person"] for h in holders},
            wording=wording,
            history=history if staff else [],
            changes=[c for c in changes if c[1]],
            others=others,
            named=named,
            error=error,
            notice=notice,
        )

    @app.get("/items/{item_id}", response_class=HTMLResponse)
    def item_page(request: Request, item_id: str) -> Response:
        return item_view(request, item_id)

    def on_item(item_id: str) -> Callable[..., Response]:
        """admin_post's page for an item's own forms: the item page with the outcome."""

        def render(request: Request, status: int = 200, **ctx: Any) -> Response:
            return item_view(request, item_id, status, ctx.get("error"), ctx.get("notice"))

        return render

    @app.post("/items/{item_id}/withdraw", response_class=HTMLResponse)
    def withdraw_item(
        request: Request,
        item_id: str,
        reason: str = Form(""),
        confirm: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        def act(admin: PersonInfo) -> None:
            if confirm != "yes":
                raise UsageError("tick the box to confirm what withdrawing will stop")
            sharing.withdraw(inst, item_id, reason, by=admin.email)

        done = "Withdrawn: nobody receives a copy of this item now."
        return admin_post(request, csrf_, act, done, on_item(item_id))

    @app.post("/items/{item_id}/markings", response_class=HTMLResponse)
    def remark_item(
        request: Request,
        item_id: str,
        reason: str = Form(""),
        tlp: str = Form(""),
        no_onward: str = Form(""),
        embargo_until: str = Form(""),
        expires: str = Form(""),
        add_to: str = Form(""),
        remove_to: str = Form(""),
        add_named: str = Form(""),
        remove_named: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        """The form shows the markings as they are; what differs from them is the change."""

        def moment(field: str, current: datetime | None) -> markings.Moment:
            shown = current.strftime("%Y-%m-%dT%H:%M") if current else ""
            return markings.KEEP if field.strip() == shown else _moment(field)

        def act(admin: PersonInfo) -> None:
            item = sharing.get_item(inst, item_id)
            change = markings.Change(
                tlp=tlp if tlp and tlp.upper() != item.tlp else None,
                no_onward=(no_onward == "yes") if (no_onward == "yes") != item.no_onward else None,
                embargo_until=moment(embargo_until, item.embargo_until),
                expires_at=moment(expires, item.expires_at),
                add_orgs=[add_to] if add_to else [],
                remove_orgs=[remove_to] if remove_to else [],
                add_named=_addresses(add_named),
                remove_named=[remove_named] if remove_named else [],
            )
            markings.remark(inst, item_id, change, reason, by=admin.email)
            if told := notices.remarked(inst, item_id):
                done[0] += f" Recipients: {told.in_words()}."

        done = ["Markings changed: copies issued from now on carry them."]
        return admin_post(request, csrf_, act, lambda: done[0], on_item(item_id))

    @app.post("/items/{item_id}/reinstate", response_class=HTMLResponse)
    def reinstate_item(
        request: Request, item_id: str, csrf_: str = Form("", alias="csrf")
    ) -> Response:
        return admin_post(
            request,
            csrf_,
            lambda admin: sharing.reinstate(inst, item_id, by=admin.email),
            "Reinstated: the item reaches its audience again.",
            on_item(item_id),
        )

    def admin_copy(request: Request, item_id: str, token: str) -> PersonInfo | Response:
        """The administrator issuing copies from an item page, or the page saying why not."""
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        try:
            check_csrf(request, token)
            if who.role != "admin":
                raise PolicyDenied("only administrators can issue copies for other people")
        except OrconError as err:
            return item_view(request, item_id, 403, _message(err))
        return who

    @app.post("/items/{item_id}/copies")
    def copy_for(
        request: Request,
        item_id: str,
        person: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        who = admin_copy(request, item_id, csrf_)
        if isinstance(who, Response):
            return who
        try:
            if not person.strip():
                raise UsageError("choose the person to issue a copy for")
            cp = sharing.issue_copy(inst, item_id, person, by=who.email)
        except OrconError as err:
            code = 403 if isinstance(err, PolicyDenied) else 400
            return item_view(request, item_id, code, _message(err))
        return _attachment(cp)

    @app.post("/items/{item_id}/copies.zip")
    def all_copies(request: Request, item_id: str, csrf_: str = Form("", alias="csrf")) -> Response:
        who = admin_copy(request, item_id, csrf_)
        if isinstance(who, Response):
            return who
        try:
            found = bundles.bundle(inst, item_id, by=who.email)
        except OrconError as err:
            return item_view(request, item_id, 400, _message(err))
        return StreamingResponse(
            found.chunks,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
        )

    @app.get("/items/{item_id}/download")
    def download(request: Request, item_id: str) -> Response:
        who = require(request)
        if isinstance(who, Response):
            return who
        try:
            cp = sharing.issue_copy(inst, item_id, who.email)
        except OrconError as err:
            return refused(request, "You cannot have a copy of this item", _message(err))
        return _attachment(cp)

    @app.get("/items/{item_id}/receipt")
    def copy_receipt(request: Request, item_id: str) -> Response:
        """The ledger receipt of the copy this person was last given."""
        who = require(request)
        if isinstance(who, Response):
            return who
        import json

        from orcon.service import receipts

        try:
            body = json.dumps(receipts.for_copy(inst, item_id, who.email), indent=1)
        except OrconError as err:
            return refused(request, "No receipt to give", _message(err))
        name = f"receipt-{item_id}.json"
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.post("/items/{item_id}/onward", response_class=HTMLResponse)
    def onward_request(
        request: Request,
        item_id: str,
        to: str = Form(""),
        reason: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        who = require(request)
        if isinstance(who, Response):
            return who
        try:
            check_csrf(request, csrf_)
            control.request_onward(inst, item_id, who.email, to, reason)
        except OrconError as err:
            return page(
                request,
                "item.html",
                400,
                item=sharing.get_item(inst, item_id),
                staff=False,
                holders=[],
                error=err.diagnostics(),
            )
        return page(
            request,
            "item.html",
            item=sharing.get_item(inst, item_id),
            staff=False,
            holders=[],
            notice="Your request was sent to the originator.",
        )

    def partners_page(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
        """The partners and the People table: at most PEOPLE_SHOWN people, those a search
        (``?q=``) finds; the account forms offer the people shown."""
        query = request.query_params.get("q", "")[:200]
        return page(
            request,
            "partners.html",
            status,
            page="partners",
            orgs=directory.list_orgs(inst),
            accounts=directory.accounts(inst, query, PEOPLE_SHOWN),
            matching=directory.count_accounts(inst, query),
            q=query,
            minimum=directory.PASSWORD_MIN,
            **ctx,
        )

    @app.get("/partners", response_class=HTMLResponse)
    def partners(request: Request) -> Response:
        who = require(request, staff=True)
        return who if isinstance(who, Response) else partners_page(request)

    def admin_post(
        request: Request,
        token: str,
        action: Callable[[PersonInfo], object],
        done: str | Callable[[], str],
        render: Any = None,
    ) -> Response:
        """An administrator's form post: CSRF, role, the action (given the administrator),
        then the page with the outcome."""
        render = render or partners_page
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        try:
            check_csrf(request, token)
            if who.role != "admin":
                raise PolicyDenied("only administrators can do this")
            action(who)
        except (OrconError, ValueError) as err:
            msg = _message(err)
            return render(request, 400, error=msg)  # type: ignore[no-any-return]
        said = done if isinstance(done, str) else done()
        return render(request, notice=said)  # type: ignore[no-any-return]

    @app.get("/people/{email:path}", response_class=HTMLResponse)  # an address may hold "/"
    def person_page(request: Request, email: str) -> Response:
        """One person, for the investigator a trace has sent here: their account and every
        item they were issued."""
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        return person_view(request, email)

    def person_view(request: Request, email: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        try:
            acct = directory.account(inst, email)
        except OrconError as err:
            return partners_page(request, 404, error=_message(err))
        return page(
            request,
            "person.html",
            status,
            page="partners",
            account=acct,
            tokens=directory.live_tokens(inst, acct.email),
            held=knowing.held_by(inst, acct.email),
            events=control.recent_events(inst, acct.email, limit=20),
            **ctx,
        )

    @app.post("/people/token", response_class=HTMLResponse)
    def end_one_token(
        request: Request,
        email: str = Form(""),
        token: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        number = _whole(token)
        return admin_post(
            request,
            csrf_,
            lambda admin: directory.revoke_token(inst, email, number, by=admin.email),
            f"Ended API token {token} of {email}.",
            lambda req, status=200, **ctx: person_view(req, email, status, **ctx),
        )

    @app.post("/partners", response_class=HTMLResponse)
    def add_org(
        request: Request, name: str = Form(""), csrf_: str = Form("", alias="csrf")
    ) -> Response:
        return admin_post(request, csrf_, lambda _: directory.add_org(inst, name), f"Added {name}.")

    @app.post("/people", response_class=HTMLResponse)
    def add_person(
        request: Request,
        email: str = Form(""),
        name: str = Form(""),
        org: str = Form(""),
        role: str = Form("recipient"),
        password: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        def act(_: PersonInfo) -> None:
            if len(password) < directory.PASSWORD_MIN:
                raise UsageError(
                    f"the initial password needs at least {directory.PASSWORD_MIN} characters"
                )
            directory.add_person(inst, email, org, name, role, password=password)

        return admin_post(request, csrf_, act, f"Added {email}.")

    @app.post("/people/password", response_class=HTMLResponse)
    def reset_password(
        request: Request,
        email: str = Form(""),
        password: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        """A forgotten password: the administrator sets a new one and tells the person."""

        def act(admin: PersonInfo) -> None:
            if email.strip().lower() == admin.email:
                raise UsageError("change your own password on Your account (your address, top)")
            directory.set_password(inst, email, password, by=admin.email)

        done = f"Set a new password for {email}; their web sessions are signed out."
        return admin_post(request, csrf_, act, done)

    @app.post("/people/tokens", response_class=HTMLResponse)
    def end_tokens(
        request: Request, email: str = Form(""), csrf_: str = Form("", alias="csrf")
    ) -> Response:
        return admin_post(
            request,
            csrf_,
            lambda admin: directory.revoke_tokens(inst, email, by=admin.email),
            f"Ended every API token of {email}.",
        )

    @app.post("/people/suspend", response_class=HTMLResponse)
    def suspend_person(
        request: Request,
        email: str = Form(""),
        reason: str = Form(""),
        confirm: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        """Stop one person, as when a trace names them (the trace page posts here too)."""

        def act(admin: PersonInfo) -> None:
            if confirm != "yes":
                raise UsageError("tick the box to confirm what the suspension will stop")
            directory.suspend(inst, email, reason, by=admin.email)

        done = f"Suspended {email}: no copy, download, sign-in or API access for them now."
        return admin_post(request, csrf_, act, done)

    @app.post("/people/reinstate", response_class=HTMLResponse)
    def reinstate_person(
        request: Request, email: str = Form(""), csrf_: str = Form("", alias="csrf")
    ) -> Response:
        return admin_post(
            request,
            csrf_,
            lambda admin: directory.reinstate(inst, email, by=admin.email),
            f"Reinstated {email}.",
        )

    @app.post("/partners/{name}/halt", response_class=HTMLResponse)
    def halt(
        request: Request,
        name: str,
        reason: str = Form(""),
        confirm: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        def act(_: PersonInfo) -> None:
            if confirm != "yes":
                raise UsageError("tick the box to confirm what the halt will stop")
            control.halt(inst, unquote(name), reason)

        return admin_post(
            request, csrf_, act, f"Halted {unquote(name)}: nothing more flows to them."
        )

    @app.post("/partners/{name}/resume", response_class=HTMLResponse)
    def resume(request: Request, name: str, csrf_: str = Form("", alias="csrf")) -> Response:
        org = unquote(name)
        return admin_post(request, csrf_, lambda _: control.resume(inst, org), f"Resumed {org}.")

    @app.get("/trace", response_class=HTMLResponse)
    def trace_form(request: Request) -> Response:
        who = require(request, staff=True)
        return who if isinstance(who, Response) else page(request, "trace.html", page="trace")

    @app.post("/trace", response_class=HTMLResponse)
    async def trace(request: Request) -> Response:
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        form = await request.form()
        try:
            check_csrf(request, str(form.get("csrf", "")))
            data, _ = await _form_file(form, "trace")
            result = tracing.trace(inst, data)
            link = None
            if result.item is not None:
                reports.mkdir(exist_ok=True, mode=0o700)
                write_report(inst, result, data, reports / f"trace-{result.ledger_seq}.html")
                link = f"/reports/{result.ledger_seq}"
        except OrconError as err:
            return page(request, "trace.html", 400, page="trace", error=err.diagnostics())
        view = _trace_view(result)
        view["others"] = [_trace_view(o) for o in result.others]
        named = {a.person for r in (result, *result.others) for a in r.accused}
        held = {e for e in named if (st := directory.person_status(inst, e)) and st.suspended}
        return page(request, "trace.html", page="trace", result=view, report=link, suspended=held)

    @app.get("/reports/{seq}")
    def report(request: Request, seq: RowId) -> Response:
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        path = reports / f"trace-{seq}.html"
        if not path.is_file():
            return page(
                request, "trace.html", 404, page="trace", error=f"no report for trace {seq}"
            )
        return FileResponse(path, media_type="text/html")

    @app.get("/ledger", response_class=HTMLResponse)
    def ledger_page(request: Request, q: str = "") -> Response:
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        from orcon.service import transparency

        return page(
            request,
            "ledger.html",
            page="ledger",
            q=q,
            events=control.recent_events(inst, q),
            checkpoint=transparency.checkpoint_note(inst),
        )

    @app.get("/ledger/receipt/{seq}")
    def receipt_download(request: Request, seq: RowId) -> Response:
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        import json

        body = json.dumps(receipt(inst, seq), indent=1)
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="receipt-{seq}.json"'},
        )

    @app.get("/onward", response_class=HTMLResponse)
    def onward(request: Request) -> Response:
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        return page(request, "onward.html", page="onward", requests=control.list_requests(inst))

    @app.post("/onward/{request_id}", response_class=HTMLResponse)
    def onward_decide(
        request: Request,
        request_id: RowId,
        decision: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        try:
            check_csrf(request, csrf_)
            if who.role != "admin":
                raise PolicyDenied("only administrators can decide")
            decided = control.decide_request(inst, request_id, decision == "approve", who.email)
            told = (
                notices.approved(inst, decided.item, decided.to_org)
                if decision == "approve"
                else None
            )
        except OrconError as err:
            return page(
                request,
                "onward.html",
                400,
                page="onward",
                requests=control.list_requests(inst),
                error=err.diagnostics(),
            )
        return page(
            request,
            "onward.html",
            page="onward",
            requests=control.list_requests(inst),
            notice=f"Request {request_id} {decision}d."
            + (f" {decided.to_org}: {told.in_words()}." if told else ""),
        )

    def watch_page(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
        from orcon.service import watching

        return page(
            request,
            "watch.html",
            status,
            page="watch",
            sources=watching.list_sources(inst),
            facts=watching.list_facts(inst),
            alerts=watching.list_alerts(inst, 50),
            **ctx,
        )

    def settings_page(request: Request, status: int = 200, **ctx: Any) -> HTMLResponse:
        from orcon.service import events, mail, watching

        who = me(request)
        on_record = events.page(inst, events.Filter(kinds=["settings.changed"]), 20)
        return page(
            request,
            "settings.html",
            status,
            page="settings",
            admin=who is not None and who.role == "admin",
            notify=notices.load_config(inst),
            watch=watching.load_config(inst),
            notify_password=mail.stored_password(inst, "notify") is not None,
            watch_password=mail.stored_password(inst, "watch") is not None,
            changes=[{**json.loads(e.body), "time": iso(e.time)} for e in on_record],
            **ctx,
        )

    def saved(moved: list[dict[str, object]], what: str) -> Callable[[], str]:
        def said() -> str:
            if not moved or not moved[0]:
                return f"The {what} are as they were: nothing changed."
            return f"Saved the {what} ({', '.join(moved[0])} changed); the ledger records it."

        return said

    @app.get("/settings", response_class=HTMLResponse)
    def settings_view(request: Request) -> Response:
        who = require(request, staff=True)
        return who if isinstance(who, Response) else settings_page(request)

    @app.post("/settings/notify", response_class=HTMLResponse)
    def settings_notify(
        request: Request,
        smtp_host: str = Form(""),
        smtp_port: str = Form("25"),
        starttls: str = Form(""),
        smtp_user: str = Form(""),
        smtp_password: str = Form(""),
        mail_from: str = Form(""),
        base_url: str = Form(""),
        titles: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        moved: list[dict[str, object]] = []

        def save(admin: PersonInfo) -> None:
            cfg = notices.NoticeConfig(
                smtp_host=smtp_host.strip(),
                smtp_port=_port(smtp_port),
                mail_from=mail_from.strip() or notices.NoticeConfig.mail_from,
                base_url=base_url.strip(),
                titles=bool(titles),
                starttls=bool(starttls),
                smtp_user=smtp_user.strip(),
            )
            password = smtp_password or None
            moved.append(notices.save_config(inst, cfg, by=admin.email, password=password))

        return admin_post(request, csrf_, save, saved(moved, "notice settings"), settings_page)

    @app.post("/settings/watch", response_class=HTMLResponse)
    def settings_watch(
        request: Request,
        webhook_url: str = Form(""),
        webhook_secret: str = Form(""),
        smtp_host: str = Form(""),
        smtp_port: str = Form("25"),
        starttls: str = Form(""),
        smtp_user: str = Form(""),
        smtp_password: str = Form(""),
        mail_from: str = Form(""),
        mail_to: str = Form(""),
        auto_suspend: str = Form(""),
        auto_halt: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        from orcon.service import watching

        moved: list[dict[str, object]] = []

        def save(admin: PersonInfo) -> None:
            kept = watching.load_config(inst)
            cfg = watching.WatchConfig(
                webhook_url=webhook_url.strip(),
                webhook_secret=webhook_secret or (kept.webhook_secret if webhook_url else ""),
                smtp_host=smtp_host.strip(),
                smtp_port=_port(smtp_port),
                mail_from=mail_from.strip() or watching.WatchConfig.mail_from,
                mail_to=[a for a in re.split(r"[\s,;]+", mail_to) if a],
                auto_halt=bool(auto_halt),
                auto_suspend=bool(auto_suspend),
                smtp_starttls=bool(starttls),
                smtp_user=smtp_user.strip(),
            )
            password = smtp_password or None
            moved.append(watching.save_config(inst, cfg, by=admin.email, password=password))

        return admin_post(request, csrf_, save, saved(moved, "alert settings"), settings_page)

    def tried_page(request: Request, token: str, test: Callable[[], list[Any]]) -> Response:
        """A delivery test's outcome, on the settings page: not an input error when the far
        end refuses, but in red all the same."""
        who = require(request, staff=True)
        if isinstance(who, Response):
            return who
        try:
            check_csrf(request, token)
            if who.role != "admin":
                raise PolicyDenied("only administrators can do this")
            tried = test()
        except OrconError as err:
            return settings_page(request, 400, error=_message(err))
        if all(t.ok for t in tried):
            return settings_page(request, notice="The test got through.", tried=tried)
        return settings_page(request, error="The test did not get through.", tried=tried)

    @app.post("/settings/notify/test", response_class=HTMLResponse)
    def settings_notify_test(
        request: Request, to: str = Form(""), csrf_: str = Form("", alias="csrf")
    ) -> Response:
        return tried_page(request, csrf_, lambda: [notices.test(inst, to)])

    @app.post("/settings/watch/test", response_class=HTMLResponse)
    def settings_watch_test(request: Request, csrf_: str = Form("", alias="csrf")) -> Response:
        from orcon.service import watching

        return tried_page(request, csrf_, lambda: watching.test_delivery(inst))

    @app.get("/watch", response_class=HTMLResponse)
    def watch(request: Request) -> Response:
        who = require(request, staff=True)
        return who if isinstance(who, Response) else watch_page(request)

    @app.post("/watch/sources", response_class=HTMLResponse)
    def watch_source(
        request: Request,
        url: str = Form(""),
        kind: str = Form("feed"),
        interval: str = Form("300"),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        from orcon.service import watching

        return admin_post(
            request,
            csrf_,
            lambda admin: watching.add_source(inst, url, kind, int(interval), by=admin.email),
            f"Watching {url}.",
            watch_page,
        )

    @app.post("/watch/sources/{source_id}/remove", response_class=HTMLResponse)
    def watch_source_remove(
        request: Request, source_id: RowId, csrf_: str = Form("", alias="csrf")
    ) -> Response:
        from orcon.service import watching

        return admin_post(
            request,
            csrf_,
            lambda admin: watching.remove_source(inst, str(source_id), by=admin.email),
            "Stopped watching the source; its alerts stay on record.",
            watch_page,
        )

    @app.post("/watch/facts/{fact_id}/remove", response_class=HTMLResponse)
    def watch_fact_remove(
        request: Request, fact_id: RowId, csrf_: str = Form("", alias="csrf")
    ) -> Response:
        from orcon.service import watching

        return admin_post(
            request,
            csrf_,
            lambda admin: watching.remove_fact(inst, fact_id, by=admin.email),
            f"Forgot fact {fact_id}: it is no longer looked for.",
            watch_page,
        )

    @app.post("/watch/facts", response_class=HTMLResponse)
    def watch_fact(
        request: Request,
        text: str = Form(""),
        item: str = Form(""),
        embargo_until: str = Form(""),
        csrf_: str = Form("", alias="csrf"),
    ) -> Response:
        from orcon.service import watching

        return admin_post(
            request,
            csrf_,
            lambda admin: watching.add_fact(
                inst, text, item.strip() or None, _moment(embargo_until), by=admin.email
            ),
            "Registered the fact.",
            watch_page,
        )
