"""HTTP edge: authenticate, call a service, render JSON. No SQL, no maths here.

Every request is authorised: a bearer token (hashed at rest) names the person;
their role gates originator actions and the policy gates every copy. A halted
organisation's people, and a suspended person, get 403 on every call.
"""

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from orcon import __version__, policy
from orcon.api.headers import SecurityHeaders
from orcon.api.params import RowId
from orcon.errors import (
    CapacityError,
    MatchError,
    OrconError,
    PolicyDenied,
    StorageError,
    UsageError,
    VerificationError,
)
from orcon.service import (
    bundles,
    control,
    directory,
    events,
    knowing,
    markings,
    notices,
    sharing,
    tracing,
    transparency,
)
from orcon.service.directory import PersonInfo
from orcon.service.instance import Instance
from orcon.store.ledger import iso

bearer = HTTPBearer(auto_error=False)
STAFF = ("admin", "analyst")


def _status(err: OrconError) -> int:
    if isinstance(err, PolicyDenied):
        return 403
    if isinstance(err, CapacityError | MatchError):
        return 422
    if isinstance(err, VerificationError):
        return 409
    if isinstance(err, StorageError):
        return 503
    if isinstance(err, UsageError) and str(err).startswith("unknown "):
        return 404
    return 400


class OrgIn(BaseModel):
    name: str


class PersonIn(BaseModel):
    email: str
    org: str
    name: str = ""
    role: str = "recipient"
    password: str | None = None  # to sign in to the web; none: API token or a reset later


class NotifySettingsIn(BaseModel):
    """The notices' settings to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    smtp_host: str | None = None
    smtp_port: int | None = None
    mail_from: str | None = None
    base_url: str | None = None
    titles: bool | None = None
    starttls: bool | None = None
    smtp_user: str | None = None
    smtp_password: str | None = None  # kept with the keys, never shown


class WatchSettingsIn(BaseModel):
    """How the watch delivers alerts, to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    webhook_url: str | None = None
    webhook_secret: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    mail_from: str | None = None
    mail_to: list[str] | None = None
    auto_halt: bool | None = None
    auto_suspend: bool | None = None
    smtp_starttls: bool | None = None
    smtp_user: str | None = None
    smtp_password: str | None = None  # kept with the keys, never shown


def _apply(cfg: Any, changes: BaseModel) -> str | None:
    """Set the fields a PATCH gave; returns the password it gave, if any."""
    given = changes.model_dump(exclude_unset=True)
    password = given.pop("smtp_password", None)
    for name, value in given.items():
        if value is None:
            raise UsageError(f"{name} cannot be null: leave it out to keep it")
        setattr(cfg, name, value)
    return password  # type: ignore[no-any-return]


def _self_or_admin(who: PersonInfo, email: str) -> None:
    if who.role != "admin" and who.email != email.strip().lower():
        raise PolicyDenied("only administrators can see or end other people's API tokens")


def _set(secret: str | None) -> str:
    return "set" if secret else ""


class AddressIn(BaseModel):
    to: str


class ReasonIn(BaseModel):
    reason: str


class SourceIn(BaseModel):
    url: str
    kind: str = "feed"  # or "page"
    interval_s: int = 300


class FactIn(BaseModel):
    text: str
    item: str | None = None
    embargo_until: datetime | None = None


def _aware(*moments: datetime | None) -> None:
    """A time without a zone is ambiguous for an embargo: refuse it rather than guess."""
    if any(m is not None and m.tzinfo is None for m in moments):
        raise UsageError("times must carry a time zone, e.g. 2026-12-01T09:00:00Z")


class MarkingsIn(BaseModel):
    """A change of markings; a field left out stays as it is, and ``null`` for
    ``embargo_until`` or ``expires`` lifts it."""

    reason: str
    tlp: str | None = None
    no_onward: bool | None = None
    embargo_until: datetime | None = None
    expires: datetime | None = None
    add_to: list[str] = []
    remove_to: list[str] = []
    add_named: list[str] = []
    remove_named: list[str] = []
    notify: bool = True  # e-mail the recipients, when notices are set up

    def change(self) -> markings.Change:
        moments: list[markings.Moment] = []
        for name in ("embargo_until", "expires"):
            value = getattr(self, name)
            _aware(value)
            moments.append(value if name in self.model_fields_set else markings.KEEP)
        return markings.Change(
            self.tlp,
            self.no_onward,
            moments[0],
            moments[1],
            self.add_to,
            self.remove_to,
            self.add_named,
            self.remove_named,
        )


class TokenIn(BaseModel):
    days: int | None = None  # the token stops by itself after this many days
    read_only: bool = False  # the API's reading (GET) calls only


class CosignatureIn(BaseModel):
    size: int
    line: str


class OnwardIn(BaseModel):
    to: str
    reason: str = ""


async def _read_upload(upload: UploadFile) -> bytes:
    data = await upload.read(sharing.MAX_UPLOAD + 1)
    if len(data) > sharing.MAX_UPLOAD:
        raise UsageError(f"the upload is larger than the {sharing.MAX_UPLOAD // 2**20} MiB limit")
    return data


def create_app(inst: Instance, secure_cookies: bool = False) -> FastAPI:
    app = FastAPIOffline(  # /docs and /redoc from shipped files: no CDN, no network
        title="orcon",
        version=__version__,
        description="Originator-controlled sharing with per-recipient fingerprints.",
    )
    app.add_middleware(SecurityHeaders, secure=secure_cookies)
    app.state.instance = inst

    @app.exception_handler(OrconError)
    async def _orcon_error(_req: Request, err: OrconError) -> JSONResponse:
        return JSONResponse({"error": err.diagnostics(), "kind": type(err).__name__}, _status(err))

    # The API answers every error in one shape, {"error", "kind"}, as its own errors are;
    # FastAPI's own (a missing form field, a missing token) would otherwise be {"detail"}.
    # Web pages keep FastAPI's answers, but for an address that names nothing (a row
    # number out of range): that is the page for a missing page.
    @app.exception_handler(RequestValidationError)
    async def _invalid(req: Request, err: RequestValidationError) -> Response:
        if not req.url.path.startswith("/api/"):
            pages = getattr(app.state, "page_error", None)
            if pages and all(e.get("loc", ("",))[0] == "path" for e in err.errors()):
                shown: Response = pages(req, StarletteHTTPException(404))  # names nothing
                return shown
            return await request_validation_exception_handler(req, err)
        problems = []
        for e in err.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query"))
            problems.append(f"{where}: {e.get('msg', 'invalid')}".lower())
        return JSONResponse({"error": "; ".join(problems), "kind": "UsageError"}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(req: Request, err: StarletteHTTPException) -> Response:
        if not req.url.path.startswith("/api/"):
            pages = getattr(app.state, "page_error", None)  # the web interface's, if mounted
            return pages(req, err) if pages else await http_exception_handler(req, err)
        kind = {401: "AuthenticationRequired", 404: "NotFound", 405: "MethodNotAllowed"}
        return JSONResponse(
            {"error": str(err.detail), "kind": kind.get(err.status_code, "HTTPError")},
            err.status_code,
            headers=err.headers,
        )

    def holder(cred: HTTPAuthorizationCredentials | None, writes: bool) -> PersonInfo:
        if cred is None or cred.scheme.lower() != "bearer":
            raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
        return directory.authenticate_token(inst, cred.credentials, writes=writes)

    def person(
        request: Request, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> PersonInfo:
        # A read-only token may make the reading calls: GET (and HEAD) only.
        return holder(cred, writes=request.method not in ("GET", "HEAD"))

    Me = Annotated[PersonInfo, Depends(person)]

    def staff(me: Me) -> PersonInfo:
        if me.role not in STAFF:
            raise PolicyDenied("this action is for the originator's staff")
        return me

    def admin(me: Me) -> PersonInfo:
        if me.role != "admin":
            raise PolicyDenied("this action is for the originator's administrators")
        return me

    Staff = Annotated[PersonInfo, Depends(staff)]
    Admin = Annotated[PersonInfo, Depends(admin)]

    @app.get("/api/me")
    def me(me: Me) -> dict[str, Any]:
        return asdict(me)

    @app.get("/api/orgs")
    def orgs(_: Staff) -> list[dict[str, object]]:
        return directory.list_orgs(inst)

    @app.post("/api/orgs", status_code=201)
    def add_org(body: OrgIn, _: Admin) -> dict[str, str]:
        return {"org": directory.add_org(inst, body.name)}

    @app.post("/api/orgs/{name}/halt")
    def halt(name: str, body: ReasonIn, _: Admin) -> dict[str, object]:
        control.halt(inst, name, body.reason)
        return {"org": name, "halted": True}

    @app.post("/api/orgs/{name}/resume")
    def resume(name: str, _: Admin) -> dict[str, object]:
        control.resume(inst, name)
        return {"org": name, "halted": False}

    @app.get("/api/people")
    def people(_: Staff, org: str | None = None) -> list[dict[str, Any]]:
        return [asdict(p) for p in directory.list_people(inst, org)]

    @app.post("/api/people", status_code=201)
    def add_person(body: PersonIn, _: Admin) -> dict[str, Any]:
        return asdict(
            directory.add_person(inst, body.email, body.org, body.name, body.role, body.password)
        )

    @app.post("/api/people/{email}/token", status_code=201)
    def person_token(email: str, who: Admin, body: TokenIn | None = None) -> dict[str, Any]:
        days = body.days if body else None
        scope = "read" if body and body.read_only else "full"
        token = directory.create_token(inst, email, days, by=who.email, scope=scope)
        return {"email": email, "token": token, "days": days, "read_only": scope == "read"}

    @app.delete("/api/people/{email}/tokens")
    def revoke_tokens(email: str, who: Admin) -> dict[str, Any]:
        return {"email": email, "revoked": directory.revoke_tokens(inst, email, by=who.email)}

    @app.get("/api/people/{email}/tokens")
    def person_tokens(email: str, who: Me) -> list[dict[str, Any]]:
        """A person's live API tokens (never their values): their own, or anyone's for an
        administrator."""
        _self_or_admin(who, email)
        return [t.to_json() for t in directory.live_tokens(inst, email)]

    @app.delete("/api/people/{email}/tokens/{token}")
    def revoke_one_token(email: str, token: RowId, who: Me) -> dict[str, Any]:
        """End one API token: one's own, or anyone's for an administrator."""
        _self_or_admin(who, email)
        directory.revoke_token(inst, email, token, by=who.email)
        return {"email": email, "revoked": 1, "token": token}

    @app.get("/api/items/{item_id}/wording")
    def item_wording(item_id: str, _: Staff) -> dict[str, Any]:
        return sharing.item_wording(inst, item_id)

    @app.post("/api/items/{item_id}/withdraw")
    def withdraw(item_id: str, body: ReasonIn, who: Admin) -> dict[str, Any]:
        return sharing.withdraw(inst, item_id, body.reason, by=who.email).to_json()

    @app.post("/api/items/{item_id}/markings")
    def remark(item_id: str, body: MarkingsIn, who: Admin) -> dict[str, Any]:
        """Change an item's markings or audience (release it, move its embargo, add or
        take out a partner); recorded in the ledger with the reason."""
        info = markings.remark(inst, item_id, body.change(), body.reason, by=who.email)
        told = notices.remarked(inst, info.id) if body.notify else None
        return info.to_json() | ({"notice": told.to_json()} if told else {})

    @app.delete("/api/items/{item_id}/withdraw")
    def reinstate_item(item_id: str, who: Admin) -> dict[str, Any]:
        return sharing.reinstate(inst, item_id, by=who.email).to_json()

    @app.get("/api/people/{email}")
    def person_info(email: str, _: Staff) -> dict[str, Any]:
        """A person's account and every item they were issued (their exposure)."""
        acct = directory.account(inst, email)
        held = [h.to_json() for h in knowing.held_by(inst, acct.email)]
        return {**asdict(acct), "held": held}

    @app.post("/api/people/{email}/suspend")
    def suspend(email: str, body: ReasonIn, who: Admin) -> dict[str, Any]:
        return asdict(directory.suspend(inst, email, body.reason, by=who.email))

    @app.delete("/api/people/{email}/suspend")
    def reinstate(email: str, who: Admin) -> dict[str, Any]:
        return asdict(directory.reinstate(inst, email, by=who.email))

    @app.post("/api/people/import", status_code=201)
    async def import_people(_: Admin, file: Annotated[UploadFile, File()]) -> list[dict[str, Any]]:
        return [asdict(p) for p in directory.import_people(inst, await _read_upload(file))]

    @app.post("/api/items", status_code=201)
    async def share(
        me: Staff,
        file: Annotated[UploadFile, File()],
        title: Annotated[str, Form()],
        tlp: Annotated[str, Form()],
        to: Annotated[list[str] | None, Form()] = None,
        named: Annotated[list[str] | None, Form()] = None,
        no_onward: Annotated[bool, Form()] = False,
        embargo_until: Annotated[datetime | None, Form()] = None,
        expires: Annotated[datetime | None, Form()] = None,
        max_recipients: Annotated[int, Form()] = policy.DEFAULT_MAX_RECIPIENTS,
        collusion: Annotated[int, Form()] = policy.DEFAULT_COLLUSION,
        fragile: Annotated[bool, Form()] = True,
        keep_hidden: Annotated[bool, Form()] = False,
        clear_properties: Annotated[bool, Form()] = False,
        notify: Annotated[bool, Form()] = True,
    ) -> dict[str, Any]:
        _aware(embargo_until, expires)
        item = sharing.share(
            inst,
            await _read_upload(file),
            title=title,
            tlp=tlp,
            to=to or [],
            named=named or [],
            actor_email=me.email,
            filename=file.filename,
            no_onward=no_onward,
            embargo_until=embargo_until,
            expires_at=expires,
            max_recipients=max_recipients,
            collusion=collusion,
            fragile=fragile,
            keep_hidden=keep_hidden,
            clear_properties=clear_properties,
        )
        told = notices.shared(inst, item.id) if notify else None
        return item.to_json() | ({"notice": told.to_json()} if told else {})

    @app.get("/api/items")
    def items(me: Me) -> list[dict[str, Any]]:
        return [i.to_json() for i in sharing.list_items_for(inst, me.email)]

    @app.get("/api/items/{item_id}")
    def item(item_id: str, me: Me) -> dict[str, Any]:
        # Staff see every item, so an unknown one is named as such (404); a recipient is
        # told only that it is not theirs, whether or not it exists.
        if me.role not in STAFF and not sharing.visible_to(inst, item_id, me.email):
            raise PolicyDenied("you may not see this item")
        return sharing.get_item(inst, item_id).to_json()

    def _copy_response(cp: sharing.IssuedCopy) -> Response:
        media = sharing.MEDIA_TYPES.get(cp.item.format, "application/octet-stream")
        return Response(
            cp.data,
            media_type=media,
            headers={
                "Content-Disposition": f'attachment; filename="{cp.filename}"',
                "X-Orcon-Markings": cp.item.markings.replace("·", "|"),
                "X-Orcon-Ledger-Seq": str(cp.ledger_seq),
            },
        )

    @app.get("/api/items/{item_id}/copy")
    def my_copy(item_id: str, me: Me) -> Response:
        return _copy_response(sharing.issue_copy(inst, item_id, me.email))

    @app.get("/api/items/{item_id}/copies/{email}")
    def copy_for(item_id: str, email: str, admin: Admin) -> Response:
        return _copy_response(sharing.issue_copy(inst, item_id, email, by=admin.email))

    @app.get("/api/items/{item_id}/copies.zip")
    def all_copies(item_id: str, admin: Admin) -> Response:
        """Every copy the item's recipients may receive now, in one ZIP with a manifest."""
        found = bundles.bundle(inst, item_id, by=admin.email)
        return StreamingResponse(
            found.chunks,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{found.filename}"',
                "X-Orcon-Markings": found.item.markings.replace("·", "|"),
            },
        )

    @app.get("/api/items/{item_id}/receipt")
    def my_receipt(item_id: str, me: Me) -> dict[str, Any]:
        """The ledger receipt of the copy of this item you were last given (offline-
        verifiable with the ledger key: ``orcon ledger check-receipt``)."""
        from orcon.service import receipts

        return receipts.for_copy(inst, item_id, me.email)

    @app.post("/api/items/{item_id}/onward", status_code=201)
    def onward(item_id: str, body: OnwardIn, me: Me) -> dict[str, Any]:
        r = control.request_onward(inst, item_id, me.email, body.to, body.reason)
        return {**asdict(r), "created_at": iso(r.created_at)}

    @app.get("/api/onward")
    def onward_list(_: Staff, status: str | None = None) -> list[dict[str, Any]]:
        return [
            {**asdict(r), "created_at": iso(r.created_at)}
            for r in control.list_requests(inst, status)
        ]

    @app.post("/api/onward/{request_id}/{decision}")
    def onward_decide(request_id: RowId, decision: str, me: Admin) -> dict[str, Any]:
        if decision not in ("approve", "refuse"):
            raise UsageError("the decision must be approve or refuse")
        r = control.decide_request(inst, request_id, decision == "approve", me.email)
        told = notices.approved(inst, r.item, r.to_org) if decision == "approve" else None
        notice = {"notice": told.to_json()} if told else {}
        return {**asdict(r), "created_at": iso(r.created_at), **notice}

    @app.post("/api/trace")
    async def trace(
        _: Staff, file: Annotated[UploadFile, File()], pages: int = tracing.READ_PAGES
    ) -> dict[str, object]:
        """``?pages=N`` reads the text of a scanned PDF's first N pages by OCR (a few
        seconds a page), as ``orcon trace --pages N`` does."""
        return tracing.trace(inst, await _read_upload(file), pages=pages).to_json()

    @app.post("/api/marks/text/preview")
    async def text_preview(
        _: Staff,
        file: Annotated[UploadFile, File()],
        recipients: int = 100,
        locale: str = "en-GB",
    ) -> dict[str, Any]:
        """What copies of a report would vary, before it is shared (as `marks text preview`);
        an unknown locale is refused by the parser."""
        return sharing.text_preview(await _read_upload(file), locale, recipients)

    @app.get("/api/items/{item_id}/knew")
    def knew(item_id: str, before: datetime, _: Staff) -> list[dict[str, object]]:
        if before.tzinfo is None:
            raise UsageError("before must carry a time zone, e.g. 2026-12-01T09:00:00Z")
        return [h.to_json() for h in knowing.who_knew(inst, item_id, before)]

    @app.get("/api/watch/alerts")
    def watch_alerts(_: Staff, limit: int = 100) -> list[dict[str, object]]:
        """The newest leak-watch alerts, each with its trace (or who knew a fact) and, for
        a shared item, whether its publication broke the markings it had then."""
        from orcon.service import watching

        if not 1 <= limit <= 1000:
            raise UsageError("the limit must be 1..1000")
        return watching.list_alerts(inst, limit)

    @app.get("/api/watch/sources")
    def watch_sources(_: Staff) -> list[dict[str, object]]:
        from orcon.service import watching

        return watching.list_sources(inst)

    @app.post("/api/watch/sources", status_code=201)
    def watch_add_source(body: SourceIn, who: Admin) -> dict[str, object]:
        from orcon.service import watching

        sid = watching.add_source(inst, body.url, body.kind, body.interval_s, by=who.email)
        return next(x for x in watching.list_sources(inst) if x["id"] == sid)

    @app.delete("/api/watch/sources/{source_id}")
    def watch_remove_source(source_id: RowId, who: Admin) -> dict[str, str]:
        from orcon.service import watching

        return {"removed": watching.remove_source(inst, str(source_id), by=who.email)}

    @app.get("/api/status")
    def status_report(_: Staff) -> dict[str, object]:
        """How the instance is doing, check by check (what `orcon status` prints)."""
        from orcon.service import health

        return health.to_json(health.report(inst))

    @app.get("/healthz", include_in_schema=False)
    def alive() -> JSONResponse:
        """For a load balancer or systemd: 200 while the database can be read, else 503.
        No sign-in, and it says nothing else."""
        from orcon.service import health

        ok = health.alive(inst)
        return JSONResponse({"alive": ok}, 200 if ok else 503)

    @app.get("/api/outbox")
    def outbox_list(_: Staff) -> list[dict[str, object]]:
        """Notices and leak alerts the mail server has not taken yet."""
        from orcon.service import outbox

        return [w.to_json() for w in outbox.waiting(inst)]

    @app.post("/api/outbox/retry")
    def outbox_retry(_: Admin) -> dict[str, object]:
        """Try to send everything in the outbox now."""
        from orcon.service import outbox

        return outbox.retry(inst, everything=True).to_json()

    @app.delete("/api/outbox/{mail_id}")
    def outbox_drop(mail_id: RowId, who: Admin, reason: str = "") -> dict[str, int]:
        """Give up on one mail unsent; the ledger records who dropped it."""
        from orcon.service import outbox

        outbox.drop(inst, [mail_id], by=who.email, reason=reason)
        return {"dropped": mail_id}

    def settings_shown() -> dict[str, Any]:
        from orcon.service import mail, watching

        notify, watch = notices.load_config(inst), watching.load_config(inst)
        return {
            "notify": asdict(notify)
            | {
                "enabled": notify.enabled,
                "smtp_password": _set(mail.stored_password(inst, "notify")),
            },
            "watch": asdict(watch)
            | {
                "webhook_secret": _set(watch.webhook_secret),
                "smtp_password": _set(mail.stored_password(inst, "watch")),
            },
        }

    @app.get("/api/settings")
    def settings_get(_: Staff) -> dict[str, Any]:
        """The notices' and the watch's settings; a password or secret only as "set"."""
        return settings_shown()

    @app.patch("/api/settings/notify")
    def settings_notify(body: NotifySettingsIn, who: Admin) -> dict[str, Any]:
        """Change the notices' settings (a ledger event says what changed)."""
        cfg = notices.load_config(inst)
        password = _apply(cfg, body)
        changed = notices.save_config(inst, cfg, by=who.email, password=password)
        return {"changed": changed, **settings_shown()}

    @app.patch("/api/settings/watch")
    def settings_watch(body: WatchSettingsIn, who: Admin) -> dict[str, Any]:
        """Change how the watch delivers alerts (a ledger event says what changed)."""
        from orcon.service import watching

        cfg = watching.load_config(inst)
        password = _apply(cfg, body)
        changed = watching.save_config(inst, cfg, by=who.email, password=password)
        return {"changed": changed, **settings_shown()}

    @app.post("/api/notify/test")
    def notify_test(body: AddressIn, _: Admin) -> dict[str, object]:
        """Send a test message with the notices' mail settings (nothing shared in it)."""
        from orcon.service import notices

        return asdict(notices.test(inst, body.to))

    @app.post("/api/watch/test")
    def watch_test(_: Admin) -> list[dict[str, object]]:
        """Send a test alert every way the watch delivers alerts."""
        from orcon.service import watching

        return [asdict(t) for t in watching.test_delivery(inst)]

    @app.get("/api/watch/facts")
    def watch_facts(_: Staff) -> list[dict[str, object]]:
        from orcon.service import watching

        return watching.list_facts(inst)

    @app.post("/api/watch/facts", status_code=201)
    def watch_add_fact(body: FactIn, who: Admin) -> dict[str, object]:
        from orcon.service import watching

        _aware(body.embargo_until)
        fid = watching.add_fact(inst, body.text, body.item, body.embargo_until, by=who.email)
        return next(f for f in watching.list_facts(inst) if f["id"] == fid)

    @app.delete("/api/watch/facts/{fact_id}")
    def watch_forget_fact(fact_id: RowId, who: Admin) -> dict[str, int]:
        from orcon.service import watching

        watching.remove_fact(inst, fact_id, by=who.email)
        return {"forgotten": fact_id}

    @app.get("/api/ledger/events")
    def ledger_events(
        _: Staff,
        kind: Annotated[list[str] | None, Query()] = None,
        q: str = "",
        since: datetime | None = None,
        until: datetime | None = None,
        start: int | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        """Ledger events, each with its canonical body and leaf hash. Newest first; with
        ``start=N``, oldest first from sequence number N, and ``next`` is where the next
        page starts (poll with it to collect every event once)."""
        _aware(since, until)
        found = events.page(inst, events.Filter(kind or (), q, since, until, start), limit)
        following = (found[-1].seq + 1 if found else start) if start is not None else None
        return {"events": [e.to_json() for e in found], "next": following}

    @app.get("/api/ledger/verify")
    def ledger_verify(_: Staff) -> dict[str, object]:
        r = control.verify_ledger(inst)
        return {"entries": r.entries, "checkpoints": r.checkpoints, "root": r.root.hex()}

    @app.get("/ledger/checkpoint", response_class=PlainTextResponse)
    def checkpoint() -> Response:
        """The latest signed checkpoint (C2SP signed note) with witness cosignatures; public."""
        return PlainTextResponse(
            transparency.checkpoint_note(inst), headers={"Cache-Control": "no-cache, max-age=2"}
        )

    @app.get("/ledger/tile/{path:path}")
    def ledger_tile(
        path: str, cred: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Response:
        """C2SP tlog-tiles, read-only. The hash tiles are public: they hold hashes only.
        The entry bundles hold the events themselves (who was issued what, titles,
        reasons), so they need an account's bearer token. Staff read every event; a
        partner's account reads those that concern its organisation, the others
        withheld (their hashes stand for them), so every partner can verify the
        whole log and none reads another's business or the originator's traces."""
        entries = path.startswith("entries/")
        partner = None
        if entries:
            reader = holder(cred, writes=False)
            partner = None if reader.role in ("admin", "analyst") else reader.org
        data = transparency.tile(inst, "tile/" + path, partner)
        cache = (
            "public, max-age=31536000, immutable"
            if not entries
            else "private, max-age=31536000, immutable"
            if partner is None
            else "private, no-cache"  # what concerns a partner can grow (new people)
        )
        return Response(
            data, media_type="application/octet-stream", headers={"Cache-Control": cache}
        )

    @app.post("/ledger/cosignature", status_code=201)
    def cosignature(body: CosignatureIn) -> dict[str, object]:
        """A trusted witness submits its cosignature of the checkpoint of a given size."""
        return {
            "witness": transparency.add_cosignature(inst, body.size, body.line),
            "size": body.size,
        }

    @app.get("/ledger/key", response_class=PlainTextResponse)
    def ledger_key() -> str:
        """The pinned root of the ledger's key chain (later keys are announced in the log)."""
        return inst.root_verifier.vkey + "\n"

    from orcon.web.app import mount

    mount(app, inst, secure_cookies)
    return app
