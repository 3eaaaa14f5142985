"""What the desk commands do, without their printing: list, show, mark seen, status, reply, note,
rewrap.

Each function takes an open `CaseClient` and, where content is involved, the caseworker's
`Keyring`. Decryption of whole pages runs in a worker thread while the next page downloads, so a
long queue costs little more than its download.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections import Counter
from collections.abc import Awaitable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Final, TypeVar

from crypto.envelope import Context, Envelope, rewrap, seal, stored_context
from crypto.errors import CryptoError, InvalidKeyText, UntrustedKeyStatement
from crypto.ids import new_entry_id
from crypto.keys import PublicKey, key_id, parse_partner_key, parse_verify_key
from crypto.payloads import encode_message, encode_status_change
from crypto.statements import KeyStatement, verify_statement
from desk.cases import CaseView, Keyring, open_case, open_cases, sort_for_triage
from desk.client import (
    Case,
    CaseClient,
    Conflict,
    DeskError,
    Entry,
    Partner,
    PartnerKey,
    parse_case_id,
)
from vocabulary import OLD_KEYS, STATUSES, Author, KeyStatus, Purpose

REPLY_MAX_CHARS: Final = 3500
"""The worker reads a reply in one Telegram message (4096 characters, with an intro line)."""
NOTE_MAX_CHARS: Final = 20_000
PARALLEL_REQUESTS: Final = 8
"""Re-wrap requests in flight at once: enough to hide latency, few enough to be polite."""

T = TypeVar("T")


# Keys -----------------------------------------------------------------------------------------


def check_keyring(partner: Partner, keyring: Keyring) -> None:
    """Refuse early, and plainly, a key file that is not one of this partner's keys."""
    listed = {key.key_id for key in partner.keys}
    if keyring.key_ids and not keyring.key_ids & listed:
        held = ", ".join(sorted(keyring.key_ids))
        raise DeskError(
            f"the key you opened ({held}) is not a key of partner '{partner.slug}'; "
            "check --key or GRIEVANCE_KEY_FILE"
        )


def trusted_active_key(
    partner: Partner,
    keyring: Keyring | None = None,
    verify_key: str | None = None,
    *,
    vouched: bool = False,
) -> PublicKey:
    """The partner's active key, as far as the desk can vouch for it before sealing to it.

    The server is not trusted with content, so the key it names is checked: its id must match
    it; if the caseworker holds its private half, that settles it; otherwise, when the
    administrators' verify key is pinned (GRIEVANCE_ADMIN_VERIFY_KEY), its signed statement must
    verify, and a server that does not give the statement is refused. With `vouched`, one of
    the two is required: a re-wrap hands every case's data key to this key.
    """
    active = partner.active_key()
    if active is None:
        raise DeskError(
            f"partner '{partner.slug}' has no active key; the administrators must add one "
            "('grievance admin partner rotate') before anything can be sealed"
        )
    try:
        public = parse_partner_key(active.public_key)
    except InvalidKeyText as exc:
        raise DeskError(f"the server lists an active key that is not a public key: {exc}") from exc
    if key_id(bytes(public)) != active.key_id:
        raise DeskError(
            f"the server lists active key {active.key_id} with a public key of another id; "
            "nothing was sealed to it"
        )
    if keyring is not None and keyring.get(active.key_id) is not None:
        return public
    if verify_key:
        _verify_statement(partner.slug, active, public, verify_key)
    elif vouched:
        raise DeskError(
            "re-wrapping gives every case to the partner's active key, so the desk must be sure "
            "it is your partner's: set GRIEVANCE_ADMIN_VERIFY_KEY (the administrators' gvk1... "
            "key) or also pass the active key's file with --key; nothing was changed"
        )
    return public


def _verify_statement(slug: str, listed: PartnerKey, public: PublicKey, verify_key: str) -> None:
    try:
        pinned = parse_verify_key(verify_key)
    except InvalidKeyText as exc:
        raise DeskError(f"GRIEVANCE_ADMIN_VERIFY_KEY: {exc}") from exc
    if listed.signature is None or listed.statement_day is None:
        raise DeskError(
            "the server does not give the signed statement of the active key, so it cannot be "
            "checked against GRIEVANCE_ADMIN_VERIFY_KEY; nothing was sealed"
        )
    try:
        statement = KeyStatement(
            slug,
            listed.key_id,
            bytes(public),
            KeyStatus.ACTIVE,
            date.fromisoformat(listed.statement_day),
        )
        verify_statement(statement, listed.signature, pinned)
    except (UntrustedKeyStatement, ValueError) as exc:
        raise DeskError(
            f"the active key {listed.key_id} of partner '{slug}' is not signed by the "
            "administrators' key (GRIEVANCE_ADMIN_VERIFY_KEY); nothing was sealed"
        ) from exc


# Reading --------------------------------------------------------------------------------------


async def list_cases(
    client: CaseClient,
    keyring: Keyring | Awaitable[Keyring],
    *,
    status: str | None = None,
    changed_since: str | None = None,
    thread: bool = False,
) -> list[CaseView]:
    """The whole queue (every page), decrypted, urgent and new first.

    Only the reports are opened unless `thread` is set (an export wants every message). The
    keyring may still be on its way (a key file being opened in a thread): pages download
    meanwhile and are decrypted as soon as it is there.
    """
    keys = asyncio.ensure_future(_ready(keyring))
    pending: list[asyncio.Future[list[CaseView]]] = []
    seen: set[str] = set()
    with collector_paused():
        try:
            async for page in client.pages(status=status, changed_since=changed_since):
                fresh = [case for case in page if case.id not in seen]
                seen.update(case.id for case in fresh)
                # Decrypt this page in a thread while the next one downloads.
                pending.append(asyncio.ensure_future(_open_page(keys, fresh, thread)))
                if keys.done() and keys.exception() is not None:
                    break  # a wrong passphrase: no need to download the rest
            opened = await asyncio.gather(*pending)
        except BaseException:
            await asyncio.gather(*pending, keys, return_exceptions=True)
            raise
        await keys  # a queue with no cases still says so about a wrong passphrase
        return sort_for_triage(view for views in opened for view in views)


async def _ready(keyring: Keyring | Awaitable[Keyring]) -> Keyring:
    return keyring if isinstance(keyring, Keyring) else await keyring


async def _open_page(
    keys: asyncio.Future[Keyring], cases: list[Case], thread: bool
) -> list[CaseView]:
    keyring = await asyncio.shield(keys)
    return await asyncio.to_thread(open_cases, cases, keyring, thread=thread)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a queue is built.

    Tens of thousands of small objects and no reference cycles: the collector would only scan
    the growing heap again and again (a fifth of the desk's CPU on a 10,000-case queue).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def show_case(
    client: CaseClient, keyring: Keyring, case_id: str, *, keep_files: bool = False
) -> CaseView:
    """One case with every entry decrypted; file bytes held only if `keep_files`."""
    case = await client.case(parse_case_id(case_id))
    return await asyncio.to_thread(open_case, case, keyring, keep_files=keep_files)


async def mark_seen(client: CaseClient, view: CaseView) -> int | None:
    """Tell the server the caseworker has now seen what `view` opened of the worker's entries.

    Called once the case is on the screen, never by listing or exporting; an entry that did not
    open stays unseen for a colleague holding the right key. None if there was nothing to mark.
    """
    if not view.opened_unseen:
        return None
    return await client.mark_seen(view.id, view.opened_unseen)


# Writing --------------------------------------------------------------------------------------


async def set_status(
    client: CaseClient,
    case_id: str,
    status: str,
    *,
    previous: str | None = None,
    verify_key: str | None = None,
) -> Case:
    """Move a case to `status` (the worker sees its label with /status) and record the change.

    The record is a note sealed to the partner's active key only, saying from which status to
    which: the server keeps today's status and the day of the last change in clear, never the
    history, and the buyers' reports read the days from these records. `previous` is the status
    the caseworker saw; without it the case is fetched to learn it. The key is checked before
    anything changes; the record is added after the status, so a failure never leaves a record
    of a change that did not happen. Setting the status a case already has records nothing.
    """
    case_id = parse_case_id(case_id)
    if status not in STATUSES:
        raise DeskError(f"'{status}' is not a status; use one of {', '.join(STATUSES)}")
    partner = await client.partner()
    partner_key = trusted_active_key(partner, verify_key=verify_key)
    if previous not in STATUSES:
        previous = (await client.case(case_id)).status
    changed = await client.set_status(case_id, status)
    if previous == status or previous not in STATUSES:
        return changed
    try:
        await _add(
            client,
            case_id,
            Purpose.NOTE,
            encode_status_change(status, previous),
            [partner_key],
        )
    except DeskError as exc:
        raise DeskError(
            f"the case is now {status}, but the record of the change for the buyers' reports "
            f"was not saved ({exc}); set the status again to add it"
        ) from exc
    return changed


async def add_reply(
    client: CaseClient, case_id: str, text: str, *, verify_key: str | None = None
) -> Entry:
    """Seal `text` to the worker's case key and the partner's active key, and store it."""
    _check_text(text, REPLY_MAX_CHARS, "reply")
    partner = await client.partner()
    partner_key = trusted_active_key(partner, verify_key=verify_key)
    case = await client.case(parse_case_id(case_id))
    if len(case.worker_public_key) != 32:
        raise DeskError(f"case {case.id} has no usable worker key; a reply cannot reach the worker")
    worker_key = PublicKey(case.worker_public_key)
    return await _add(
        client, case.id, Purpose.REPLY, encode_message(text), [partner_key, worker_key]
    )


async def add_note(
    client: CaseClient, case_id: str, text: str, *, verify_key: str | None = None
) -> Entry:
    """Seal `text` to the partner's active key only: the worker never reads notes."""
    _check_text(text, NOTE_MAX_CHARS, "note")
    partner = await client.partner()
    partner_key = trusted_active_key(partner, verify_key=verify_key)
    return await _add(
        client, parse_case_id(case_id), Purpose.NOTE, encode_message(text), [partner_key]
    )


async def _add(
    client: CaseClient,
    case_id: str,
    purpose: Purpose,
    plaintext: bytes,
    recipients: list[PublicKey],
) -> Entry:
    entry_id = new_entry_id()
    context = Context(case_id, entry_id, purpose, Author.CASEWORKER)
    envelope = seal(plaintext, context, recipients)
    return await client.add_entry(case_id, entry_id, purpose.value, envelope)


def _check_text(text: str, limit: int, what: str) -> None:
    if not text.strip():
        raise DeskError(f"the {what} is empty; nothing was sent")
    if len(text) > limit:
        raise DeskError(
            f"the {what} has {len(text)} characters; at most {limit} fit, nothing was sent"
        )


# Re-wrap --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RewrapResult:
    """What a re-wrap did, for the caseworker to read (counts only, never content)."""

    partner: str
    active_key_id: str
    old_key_ids: list[str]
    cases: int
    rewrapped: int
    """Entries that got a wrap for the active key (and lost their old ones)."""
    cleaned: int
    """Entries that already had the active key and only lost old wraps."""
    damaged: int
    """Entries whose old wrap or body did not open: left untouched."""
    missing_keys: dict[str, int]
    """Key id -> entries sealed to an old key the caseworker did not open: left untouched."""


@dataclass
class _Tally:
    """The counts of a re-wrap while it runs."""

    rewrapped: int = 0
    cleaned: int = 0
    damaged: int = 0
    missing: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Job:
    case_id: str
    entry: Entry
    remove: tuple[str, ...]
    needs_wrap: bool


async def rewrap_all(
    client: CaseClient, keyring: Keyring, *, verify_key: str | None = None
) -> RewrapResult:
    """Move every entry wrapped for a retired or revoked key held here to the active key.

    The data key is opened with the old private key and sealed to the active key; the old
    wraps are then removed on the server. The bodies never change. Entries sealed to an old key
    not held here are counted and left alone: removing their only wrap would destroy them.
    """
    partner = await client.partner()
    check_keyring(partner, keyring)
    active = trusted_active_key(partner, keyring, verify_key, vouched=True)
    active_id = key_id(bytes(active))
    old_ids = {key.key_id for key in partner.keys if key.status in OLD_KEYS}
    held_old = old_ids & keyring.key_ids
    if not held_old:
        if active_id in keyring.key_ids:
            raise DeskError(
                "the key you opened is the partner's active key; re-wrapping needs the retired "
                "key: pass its file with --key (several --key options are allowed)"
            )
        raise DeskError(
            f"none of the keys you opened is a retired or revoked key of partner '{partner.slug}'"
        )
    tally = _Tally()
    jobs: dict[str, _Job] = {}
    touched: set[str] = set()
    async for page in client.pages():
        for case in page:
            for entry in case.entries:
                # By entry id: a case changed during the listing may come on two pages.
                job = _job(case.id, entry, active_id, old_ids, held_old, tally)
                if job is not None and entry.id not in jobs:
                    jobs[entry.id] = job
                    touched.add(case.id)
    todo = await _with_bodies(client, list(jobs.values()))
    slots = asyncio.Semaphore(PARALLEL_REQUESTS)

    async def run(job: _Job) -> None:
        try:
            await attempt(job)
        except Conflict:
            # Re-wrapped meanwhile (another desk, or a run cut short): the server never replaces
            # a wrap, so read the entry again and finish what is left.
            async with slots:
                case = await client.case(job.case_id)
            fresh = next((e for e in case.entries if e.id == job.entry.id), None)
            again = fresh and _job(job.case_id, fresh, active_id, old_ids, held_old, tally)
            if again:
                await attempt(again)

    async def attempt(job: _Job) -> None:
        add: dict[str, bytes] = {}
        if job.needs_wrap:
            try:
                add = await asyncio.to_thread(_new_wrap, job, keyring, active)
            except CryptoError:
                tally.damaged += 1
                return
        async with slots:
            await client.replace_wraps(job.entry.id, add, job.remove)
        if job.needs_wrap:
            tally.rewrapped += 1
        else:
            tally.cleaned += 1

    await _all(run(job) for job in todo)
    return RewrapResult(
        partner.slug,
        active_id,
        sorted(held_old),
        cases=len(touched),
        rewrapped=tally.rewrapped,
        cleaned=tally.cleaned,
        damaged=tally.damaged,
        missing_keys=dict(sorted(tally.missing.items())),
    )


def _job(
    case_id: str,
    entry: Entry,
    active_id: str,
    old_ids: set[str],
    held_old: set[str],
    tally: _Tally,
) -> _Job | None:
    """What re-wrapping `entry` takes: a new wrap and/or removing old ones, or nothing."""
    old_here = tuple(sorted(k for k in entry.wraps if k in old_ids))
    if not old_here:
        return None
    if active_id in entry.wraps:
        return _Job(case_id, entry, old_here, needs_wrap=False)
    if not set(old_here) & held_old:
        tally.missing.update(old_here)
        return None
    return _Job(case_id, entry, old_here, needs_wrap=True)


async def _with_bodies(client: CaseClient, jobs: list[_Job]) -> list[_Job]:
    """Attachment bodies are not in case lists; fetch those cases whole (the body is checked)."""
    wanted = sorted({job.case_id for job in jobs if job.needs_wrap and job.entry.body is None})
    if not wanted:
        return jobs
    slots = asyncio.Semaphore(PARALLEL_REQUESTS)

    async def fetch(case_id: str) -> Case:
        async with slots:
            return await client.case(case_id)

    full = {case.id: case for case in await _all(fetch(case_id) for case_id in wanted)}
    completed = []
    for job in jobs:
        if job.needs_wrap and job.entry.body is None:
            whole = {entry.id: entry for entry in full[job.case_id].entries}
            entry = whole.get(job.entry.id)
            if entry is None:
                continue  # purged meanwhile: nothing left to re-wrap
            job = _Job(job.case_id, entry, job.remove, job.needs_wrap)
        completed.append(job)
    return completed


def _new_wrap(job: _Job, keyring: Keyring, active: PublicKey) -> dict[str, bytes]:
    held = keyring.key_for({k: b"" for k in job.remove})
    assert held is not None
    context = stored_context(job.case_id, job.entry.id, job.entry.purpose, job.entry.author)
    envelope = Envelope(job.entry.body or b"", job.entry.wraps)
    return rewrap(envelope, context, held, [active])


async def _all(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Run all; on the first failure cancel the rest, let them finish, then raise it."""
    tasks = [asyncio.ensure_future(item) for item in awaitables]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
