"""Conversations and per-chat limits, in memory only, keyed by a keyed hash of the chat.

The hash key is drawn at start and never written anywhere, so not even a memory dump of another
process run, nor the server's own files, can link a conversation to a chat id. Idle
conversations are dropped; nothing here survives a restart, on purpose.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Final

from crypto.hashing import keyed_hash
from handlers.conversation import Conversation
from handlers.io import Effect, Message

IDLE_SECONDS: Final = 30 * 60
MESSAGES_PER_WINDOW: Final = 20
WINDOW_SECONDS: Final = 10.0
"""Twenty messages in ten seconds is faster than anyone types; beyond it a chat is flooding."""
REPORTS_PER_DAY: Final = 5
RECEIPT_CHECKS_PER_WINDOW: Final = 5
RECEIPT_WINDOW_SECONDS: Final = 15 * 60.0
"""Five receipt checks a quarter hour: a worker who mistypes is not stopped, a guesser needs
about 10^14 years to find one of a million receipts among 10^16."""
PENDING_SECONDS: Final = 48 * 3600.0
"""How long a receipt (or last word) that could not be delivered waits in memory for the
worker's next message, past the draft's own idle expiry. After 48 hours a bot can no longer
delete the conversation it belongs to, so there is nothing left to finish."""


@dataclass
class Session:
    """One chat's conversation and what the messenger adapter tracks for it."""

    conversation: Conversation
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    transcript: list[int] = field(default_factory=list)
    """Ids of this conversation's messages (both sides), to delete after submission."""
    kept: list[int] = field(default_factory=list)
    """Messages left in place on purpose (the receipt), deleted on /wipe."""
    last_seen: float = field(default_factory=time.monotonic)
    recent: deque[float] = field(default_factory=deque)
    warned: bool = False
    pending: list[Message] = field(default_factory=list)
    """Messages the worker must see that could not be delivered yet (the receipt): shown first
    on their next message. Never logged, never written anywhere."""
    pending_effects: list[Effect] = field(default_factory=list)
    """The clean-up that waits until the pending messages are on the worker's screen."""
    pending_since: float | None = None
    fleeting: list[int] = field(default_factory=list)
    """Messages removed as soon as the worker sends the next one (the /wipe confirmation)."""
    undeleted: list[int] = field(default_factory=list)
    """Messages whose deletion failed for now; tried again at the worker's next message."""
    copies: dict[int, tuple[int, ...]] = field(default_factory=dict)
    """Kept message -> every copy of it: a send retried after a timeout may have arrived twice."""
    newest_id: int = 0
    """The newest message id of this chat we know of (ids in a chat only grow)."""

    def hold(self, messages: list[Message], effects: list[Effect], now: float) -> None:
        """Keep undelivered must-see messages, and the clean-up that waits for them."""
        if not self.pending:
            self.pending_since = now
        self.pending.extend(messages)
        self.pending_effects.extend(e for e in effects if e not in self.pending_effects)

    def release(self) -> list[Effect]:
        """Everything pending was delivered: the clean-up it held back, to be done now."""
        effects = self.pending_effects
        self.pending, self.pending_effects, self.pending_since = [], [], None
        return effects

    def forget_draft(self) -> None:
        """The draft expired, but an undelivered receipt keeps this session a while longer."""
        old = self.conversation
        self.conversation = Conversation(
            key=old.key,
            language=old.language,
            receipt_token=old.receipt_token,
            sent_token=old.sent_token,
        )


class SessionStore:
    """All open sessions of this process."""

    def __init__(
        self,
        idle_seconds: float = IDLE_SECONDS,
        messages_per_window: int = MESSAGES_PER_WINDOW,
        window_seconds: float = WINDOW_SECONDS,
        reports_per_day: int = REPORTS_PER_DAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret = secrets.token_bytes(32)
        self._sessions: dict[str, Session] = {}
        self._reports: dict[str, tuple[date, int]] = {}
        self._receipt_checks: dict[str, deque[float]] = {}
        self.idle_seconds = idle_seconds
        self.messages_per_window = messages_per_window
        self.window_seconds = window_seconds
        self.reports_per_day = reports_per_day
        self._clock = clock

    def key(self, chat_id: int) -> str:
        """The keyed hash that stands for a chat in memory."""
        return keyed_hash(self._secret, str(chat_id).encode("ascii"))

    def session(self, key: str) -> Session:
        """The chat's session, new if there is none (or it expired)."""
        now = self._clock()
        current = self._sessions.get(key)
        if current is not None and now - current.last_seen > self.idle_seconds:
            if self._holds_pending(current, now):
                current.forget_draft()
            else:
                current = None
        if current is None:
            current = Session(Conversation(key=key))
            self._sessions[key] = current
        current.last_seen = now
        return current

    def _holds_pending(self, session: Session, now: float) -> bool:
        """Whether the session keeps an undelivered message that may still be shown."""
        since = session.pending_since
        return bool(session.pending) and since is not None and now - since <= PENDING_SECONDS

    def allow_message(self, key: str) -> tuple[bool, bool]:
        """(allowed, warn): whether to handle this message, and whether to say "slow down" once."""
        session = self.session(key)
        now = self._clock()
        while session.recent and now - session.recent[0] > self.window_seconds:
            session.recent.popleft()
        if len(session.recent) < self.messages_per_window:
            session.recent.append(now)
            session.warned = False
            return True, False
        warn = not session.warned
        session.warned = True
        return False, warn

    def allow_report(self, key: str) -> bool:
        """Whether the chat may send another report today (counted only once it is stored)."""
        return self._reports_today(key) < self.reports_per_day

    def record_report(self, key: str) -> None:
        """Count a stored report against the chat's daily allowance."""
        self._reports[key] = (datetime.now(UTC).date(), self._reports_today(key) + 1)

    def _reports_today(self, key: str) -> int:
        day, count = self._reports.get(key, (datetime.now(UTC).date(), 0))
        return count if day == datetime.now(UTC).date() else 0

    def allow_receipt_check(self, key: str) -> bool:
        """Count a receipt check; False while the chat has used its tries for the window.

        Kept apart from the session, so that letting a conversation expire does not reset it.
        """
        now = self._clock()
        tries = self._receipt_checks.setdefault(key, deque())
        while tries and now - tries[0] > RECEIPT_WINDOW_SECONDS:
            tries.popleft()
        if len(tries) >= RECEIPT_CHECKS_PER_WINDOW:
            return False
        tries.append(now)
        return True

    def sweep(self) -> int:
        """Drop idle sessions (and yesterday's report counts); returns how many were dropped.

        An idle session that holds an undelivered receipt loses its draft but stays, for up to
        PENDING_SECONDS; then it goes too, receipt and all.
        """
        now = self._clock()
        idle = [k for k, s in self._sessions.items() if now - s.last_seen > self.idle_seconds]
        for key in list(idle):
            if self._holds_pending(self._sessions[key], now):
                self._sessions[key].forget_draft()
                idle.remove(key)
        for key in idle:
            session = self._sessions.pop(key)
            session.conversation.reset()
            session.transcript.clear()
            session.pending.clear()
        today = datetime.now(UTC).date()
        self._reports = {k: v for k, v in self._reports.items() if v[0] == today}
        self._receipt_checks = {
            key: tries
            for key, tries in self._receipt_checks.items()
            if tries and now - tries[-1] <= RECEIPT_WINDOW_SECONDS
        }
        return len(idle)

    def __len__(self) -> int:
        return len(self._sessions)
