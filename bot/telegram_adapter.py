"""The Telegram side: turns PTB updates into engine inputs and carries out the engine's replies.

Everything Telegram tells us about a person (ids, names, username, language_code, message and file
ids) stays in this module's memory for the length of one update, except the message ids kept in
the in-memory session so that the conversation can be deleted afterwards. Nothing is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Final, TypeVar

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram import (
    Message as TelegramMessage,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from handlers.engine import Engine
from handlers.i18n import N_, OFFERED_LANGUAGES, translator
from handlers.io import (
    Button,
    Command,
    CommandInput,
    Effect,
    Input,
    Media,
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

COMMAND_DESCRIPTIONS: Final = (
    (Command.REPORT, N_("Report a problem")),
    (Command.STATUS, N_("Check your report with your receipt number")),
    (Command.LANGUAGE, N_("Change the language")),
    (Command.CANCEL, N_("Stop and throw away what you wrote")),
    (Command.WIPE, N_("Delete the messages of this chat")),
    (Command.HELP, N_("How this works")),
)


class TelegramAdapter:
    """One instance serves every chat of the bot."""

    def __init__(self, engine: Engine, store: SessionStore) -> None:
        self.engine = engine
        self.store = store

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
                await self._carry_out(
                    bot, chat.id, session, self.engine.slow_down(session.conversation), None, None
                )
            return
        incoming = update.effective_message
        event = self._input(update, bot)
        async with session.lock:
            user = update.effective_user
            if user is not None and session.conversation.language is None:
                # Memory only, and only to order the language picker.
                session.conversation.profile_language = user.language_code
            pressed = update.callback_query.message if update.callback_query else None
            if incoming is not None and update.callback_query is None:
                session.transcript.append(incoming.message_id)
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
    ) -> None:
        edited = False
        for message in reply.messages:
            if message.edit and pressed_id is not None:
                edited = (
                    await _quietly(
                        bot.edit_message_text(
                            _clip(message.text),
                            chat_id=chat_id,
                            message_id=pressed_id,
                            reply_markup=_keyboard(message.buttons),
                        )
                    )
                    is not None
                )
                if edited:
                    continue
            sent = await _quietly(
                bot.send_message(
                    chat_id, _clip(message.text), reply_markup=_keyboard(message.buttons)
                )
            )
            if isinstance(sent, TelegramMessage):
                (session.kept if message.keep else session.transcript).append(sent.message_id)
        if pressed_id is not None and not edited and Effect.DELETE_PRESSED not in reply.effects:
            # The buttons of an answered question must not be pressed again.
            await _quietly(bot.edit_message_reply_markup(chat_id=chat_id, message_id=pressed_id))
        for effect in reply.effects:
            if effect == Effect.DELETE_CONVERSATION:
                await _delete(bot, chat_id, session.transcript)
                session.transcript.clear()
            elif effect == Effect.WIPE:
                await _delete(bot, chat_id, [*session.transcript, *session.kept])
                session.transcript.clear()
                session.kept.clear()
            elif effect == Effect.DELETE_PRESSED and pressed_id is not None:
                await _delete(bot, chat_id, [pressed_id])
                if pressed_id in session.kept:
                    session.kept.remove(pressed_id)
            elif effect == Effect.DELETE_INPUT and input_id is not None:
                await _delete(bot, chat_id, [input_id])
                if input_id in session.transcript:
                    session.transcript.remove(input_id)


async def set_commands(bot: Bot) -> None:
    """The command menu, in every offered language (Telegram picks by the phone's language)."""
    for language in OFFERED_LANGUAGES:
        _ = translator(language).gettext
        commands = [BotCommand(command.value, _(text)) for command, text in COMMAND_DESCRIPTIONS]
        code = "" if language == "en" else language.split("_")[0]
        await bot.set_my_commands(commands, language_code=code or None)


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


def _keyboard(rows: Iterable[Iterable[Button]]) -> InlineKeyboardMarkup | None:
    buttons = [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    buttons = [row for row in buttons if row]
    return InlineKeyboardMarkup(buttons) if buttons else None


def _clip(text: str) -> str:
    limit = MessageLimit.MAX_TEXT_LENGTH
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _delete(bot: Bot, chat_id: int, message_ids: list[int]) -> None:
    """Delete what Telegram lets a bot delete; messages already gone are simply skipped."""
    for start in range(0, len(message_ids), DELETE_BATCH):
        await _quietly(bot.delete_messages(chat_id, message_ids[start : start + DELETE_BATCH]))


async def _quietly(call: Awaitable[T]) -> T | None:
    """Run a Bot API call; a refusal (message gone, chat blocked) is expected and not fatal."""
    try:
        return await call
    except (BadRequest, Forbidden) as exc:
        log.info("Telegram refused a call: %s", type(exc).__name__)
    except TelegramError as exc:
        log.warning("Telegram call failed: %s", type(exc).__name__)
    return None
