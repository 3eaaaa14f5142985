"""The Telegram side: turns PTB updates into engine inputs and carries out the engine's replies.

Everything Telegram tells us about a person (ids, names, username, language_code, message and file
ids) stays in this module's memory for the length of one update, except the message ids kept in
the in-memory session so that the conversation can be deleted afterwards. Nothing is logged.
"""

from __future__ import annotations

import functools
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Final, TypeVar

from telegram import (
    Bot,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.warnings import PTBUserWarning

from bot.telegram import delivery
from bot.telegram.delivery import RetryPolicy, attempt
from handlers.engine import Engine
from handlers.io import (
    Button,
    Command,
    CommandInput,
    Effect,
    Input,
    Media,
    Message,
    Other,
    Press,
    Reply,
    Text,
    Unsupported,
)
from handlers.media import AttachmentKind
from handlers.sessions import Session, SessionStore

log = logging.getLogger(__name__)
T = TypeVar("T")

DELETE_BATCH: Final = 100
"""deleteMessages takes at most 100 message ids a call."""
MAX_COPIES: Final = 8
"""At most this many ids below a retried message are taken for copies of it."""
_Shown = tuple[Message, list[int]]

# `_raw` calls known methods through `Bot.do_api_request` on purpose (see there); PTB suggests
# the typed method each time. Only calls made from this module are exempt.
warnings.filterwarnings(
    "ignore", r"Please use 'Bot\.", PTBUserWarning, module=r"bot\.telegram\.adapter"
)


class TelegramAdapter:
    """One instance serves every chat of the bot."""

    def __init__(
        self, engine: Engine, store: SessionStore, policy: RetryPolicy | None = None
    ) -> None:
        self.engine = engine
        self.store = store
        self.policy = policy or delivery.DEFAULT_POLICY

    def install(self, application: Application) -> None:  # type: ignore[type-arg]
        """Route every update through `on_update` (no per-command handlers: one place decides)."""
        application.add_handler(TypeHandler(Update, self.on_update))
        application.add_error_handler(self.on_error)

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle one update from a private chat; every other kind of chat is ignored."""
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return
        if update.effective_message is None and update.callback_query is None:
            # Membership changes, reactions and the like: nothing the worker said to answer.
            return
        bot = context.bot
        session = self.store.session(self.store.key(chat.id))
        if update.callback_query is not None:
            # Stops the spinner on the button; the answer itself follows as a message.
            await _quietly(update.callback_query.answer())
        allowed, warn = self.store.allow_message(session.conversation.key)
        if not allowed:
            if warn:
                async with session.lock:
                    slow = self.engine.slow_down(session.conversation)
                    await self._carry_out(bot, chat.id, session, slow, None, None)
            return
        incoming = update.effective_message
        event = self._input(update, bot)
        async with session.lock:
            user = update.effective_user
            if user is not None and session.conversation.language is None:
                # Memory only, and only to order the language picker.
                session.conversation.profile_language = user.language_code
            pressed = update.callback_query.message if update.callback_query else None
            await self._tidy(bot, chat.id, session)
            # What could not be delivered before comes first, before the new input is answered.
            early = await self._deliver_pending(bot, chat.id, session)
            if incoming is not None and update.callback_query is None:
                session.transcript.append(incoming.message_id)
                session.newest_id = max(session.newest_id, incoming.message_id)
            reply = await self.engine.handle(session.conversation, event)
            # The kind of input and of answer only: never who, never what they wrote.
            log.debug(
                "handled %s: %d message(s), effects %s",
                type(event).__name__,
                len(reply.messages),
                [effect.value for effect in reply.effects],
            )
            await self._carry_out(
                bot,
                chat.id,
                session,
                reply,
                pressed.message_id if pressed is not None else None,
                incoming.message_id if incoming is not None and pressed is None else None,
                early,
            )

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the kind of failure only: an exception's text may quote what a worker sent."""
        error = context.error
        log.error("update failed: %s", type(error).__name__ if error else "unknown error")

    def _input(self, update: Update, bot: Bot) -> Input:
        if update.callback_query is not None:
            return Press(update.callback_query.data or "")
        if update.edited_message is not None:
            return Other(Unsupported.EDITED)
        message = update.message
        if message is None:
            return Other(Unsupported.OTHER)
        if message.text is not None:
            if message.text.startswith("/"):
                return _command(message.text)
            return Text(message.text)
        if message.photo:
            largest = message.photo[-1]
            return Media(AttachmentKind.PHOTO, largest.file_size, _fetcher(bot, largest.file_id))
        if message.voice is not None:
            voice = message.voice
            return Media(AttachmentKind.VOICE, voice.file_size, _fetcher(bot, voice.file_id))
        if message.document is not None:
            document = message.document
            return Media(
                AttachmentKind.DOCUMENT, document.file_size, _fetcher(bot, document.file_id)
            )
        if message.location is not None or message.venue is not None:
            return Other(Unsupported.LOCATION)
        if message.contact is not None:
            return Other(Unsupported.CONTACT)
        if message.sticker is not None:
            return Other(Unsupported.STICKER)
        return Other(Unsupported.OTHER)

    async def _carry_out(
        self,
        bot: Bot,
        chat_id: int,
        session: Session,
        reply: Reply,
        pressed_id: int | None,
        input_id: int | None,
        early: Iterable[_Shown] = (),
    ) -> None:
        """Show the reply, then clean up what came before it.

        The reply's clean-up applies to the messages from before the reply, so its own last word
        stays; and it waits while a message the worker must see is not on their screen: that
        message is then kept, and the clean-up done once it has been delivered.
        """
        shown = list(early)
        missed: list[Message] = []
        edited = False
        for message in reply.messages:
            if message.edit and pressed_id is not None:
                changed = await attempt(
                    functools.partial(
                        _raw,
                        bot,
                        "editMessageText",
                        chat_id=chat_id,
                        message_id=pressed_id,
                        text=_clip(message.text),
                        reply_markup=_keyboard(message.buttons),
                    ),
                    self.policy,
                )
                edited = changed.result is not None
                if edited:
                    continue
            delivered = await self._send(bot, chat_id, session, message.text, message.buttons)
            if delivered is None:
                if message.must_see:
                    missed.append(message)
                continue
            shown.append((message, delivered))
        if pressed_id is not None and not edited and Effect.DELETE_PRESSED not in reply.effects:
            # The buttons of an answered question must not be pressed again.
            await _quietly(
                _raw(bot, "editMessageReplyMarkup", chat_id=chat_id, message_id=pressed_id)
            )
        held: list[Effect] = []
        for effect in reply.effects:
            if effect == Effect.DELETE_CONVERSATION:
                if missed or session.pending:
                    held.append(effect)  # not while the worker has not seen the last word
                    continue
                await self._delete(bot, chat_id, session, session.transcript)
                session.transcript.clear()
            elif effect == Effect.WIPE:
                everything = [*session.transcript, *session.kept, *session.fleeting]
                await self._delete(bot, chat_id, session, everything)
                session.transcript.clear()
                session.kept.clear()
                session.fleeting.clear()
                session.copies.clear()
            elif effect == Effect.DELETE_PRESSED and pressed_id is not None:
                group = session.copies.pop(pressed_id, (pressed_id,))
                await self._delete(bot, chat_id, session, list(group))
                for message_id in group:
                    session.copies.pop(message_id, None)
                session.kept = [i for i in session.kept if i not in group]
            elif effect == Effect.DELETE_INPUT and input_id is not None:
                await self._delete(bot, chat_id, session, [input_id])
                if input_id in session.transcript:
                    session.transcript.remove(input_id)
        for message, ids in shown:
            _file(session, message, ids)
        if missed or held:
            session.hold(missed, held, time.monotonic())

    async def _send(
        self,
        bot: Bot,
        chat_id: int,
        session: Session,
        text: str,
        buttons: tuple[tuple[Button, ...], ...],
    ) -> list[int] | None:
        """Send one message, retrying; its id and those of copies a retry may have made."""
        before = session.newest_id
        sent = await attempt(
            functools.partial(
                _raw, bot, "sendMessage", chat_id=chat_id, text=_clip(text),
                reply_markup=_keyboard(buttons),
            ),
            self.policy,
        )  # fmt: skip
        if not isinstance(sent.result, dict) or not isinstance(sent.result.get("message_id"), int):
            return None
        message_id = sent.result["message_id"]
        session.newest_id = max(session.newest_id, message_id)
        if not sent.ambiguous or not before:
            return [message_id]
        # A retried send that timed out may have arrived as well. Ids in a chat only grow, so
        # every id between the last we knew and this one that is not ours is such a copy (or a
        # message of the worker's not yet handled): deleted with this one, never left behind.
        gap = range(max(before + 1, message_id - MAX_COPIES), message_id)
        return [message_id, *gap]

    async def _deliver_pending(self, bot: Bot, chat_id: int, session: Session) -> list[_Shown]:
        """Show what could not be delivered before; then the clean-up that waited for it."""
        if not session.pending:
            return []
        shown: list[_Shown] = []
        still: list[Message] = []
        for message in session.pending:
            delivered = await self._send(
                bot, chat_id, session, message.later or message.text, message.buttons
            )
            if delivered is None:
                still.append(message)
            else:
                shown.append((message, delivered))
        if still:
            session.pending = still
            return shown
        for effect in session.release():
            if effect == Effect.DELETE_CONVERSATION:
                await self._delete(bot, chat_id, session, session.transcript)
                session.transcript.clear()
        return shown

    async def _tidy(self, bot: Bot, chat_id: int, session: Session) -> None:
        """Before answering: remove the fleeting messages, retry deletions that failed."""
        if session.fleeting or session.undeleted:
            ids = [*session.fleeting, *session.undeleted]
            session.fleeting, session.undeleted = [], []
            await self._delete(bot, chat_id, session, ids)

    async def _delete(self, bot: Bot, chat_id: int, session: Session, ids: list[int]) -> None:
        """Delete what Telegram lets a bot delete; messages already gone are simply skipped.

        A batch that fails for want of a connection is tried again at the worker's next
        message: a conversation left on the phone is what this must not do.
        """
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), DELETE_BATCH):
            batch = ids[start : start + DELETE_BATCH]
            done = await attempt(
                functools.partial(bot.delete_messages, chat_id, batch), self.policy
            )
            if done.result is None and not done.refused:
                session.undeleted.extend(batch)


def _file(session: Session, message: Message, ids: list[int]) -> None:
    """Put a shown message where its lifetime says (ids: the message and its copies)."""
    if message.keep:
        session.kept.extend(ids)
        if len(ids) > 1:
            for message_id in ids:
                session.copies[message_id] = tuple(ids)
    elif message.fleeting:
        session.fleeting.extend(ids)
    else:
        session.transcript.extend(ids)


def _command(text: str) -> Input:
    name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
    try:
        return CommandInput(Command(name))
    except ValueError:
        return Other(Unsupported.UNKNOWN_COMMAND)


def _fetcher(bot: Bot, file_id: str) -> Callable[[], Awaitable[bytes]]:
    """Downloads into memory only when the engine decides it wants the file."""

    async def fetch() -> bytes:
        telegram_file = await bot.get_file(file_id)
        return bytes(await telegram_file.download_as_bytearray())

    return fetch


async def _raw(bot: Bot, method: str, **params: object) -> Any:
    """A Bot API call answered with the plain result, not PTB objects.

    Of what an update costs the event loop, building a `Message` (and its keyboard, button by
    button) from every answer to sendMessage and editMessage* was the largest part of PTB's
    share, and the adapter needs at most the message id. Same bot, rate limiter and errors.
    """
    given = {name: value for name, value in params.items() if value is not None}
    return await bot.do_api_request(method, api_kwargs=given)


def _keyboard(rows: Iterable[Iterable[Button]]) -> dict[str, Any] | None:
    """An inline keyboard as the Bot API reads it (a plain dict: nothing for PTB to convert)."""
    buttons = [[{"text": b.label, "callback_data": b.data} for b in row] for row in rows]
    buttons = [row for row in buttons if row]
    return {"inline_keyboard": buttons} if buttons else None


def _clip(text: str) -> str:
    limit = MessageLimit.MAX_TEXT_LENGTH
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _quietly(call: Awaitable[T]) -> T | None:
    """Run a Bot API call; a refusal (message gone, chat blocked) is expected and not fatal."""
    try:
        return await call
    except (BadRequest, Forbidden) as exc:
        log.info("Telegram refused a call: %s", type(exc).__name__)
    except TelegramError as exc:
        log.warning("Telegram call failed: %s", type(exc).__name__)
    return None
