"""The bot's command menu: what Telegram shows beside the text field, in the phone's language."""

from __future__ import annotations

from typing import Final

from telegram import Bot, BotCommand

from handlers.i18n import N_, OFFERED_LANGUAGES, translator
from handlers.io import Command

COMMAND_DESCRIPTIONS: Final = (
    (Command.REPORT, N_("Report a problem")),
    (Command.STATUS, N_("Check your report with your receipt number")),
    (Command.LANGUAGE, N_("Change the language")),
    (Command.CANCEL, N_("Stop and throw away what you wrote")),
    (Command.WIPE, N_("Delete the messages of this chat")),
    (Command.HELP, N_("How this works")),
)
"""The menu's commands, in the order shown."""


TELEGRAM_LANGUAGE_CODES: Final = {"fil": "tl"}
"""Telegram names a menu's language by a two-letter ISO 639-1 code: Filipino has none, and is
standardised Tagalog (tl); the others are their catalog's first two letters (zh_Hans: zh)."""


async def set_commands(bot: Bot) -> None:
    """The command menu, in every offered language (Telegram picks by the app's language)."""
    for language in OFFERED_LANGUAGES:
        _ = translator(language).gettext
        commands = [BotCommand(command.value, _(text)) for command, text in COMMAND_DESCRIPTIONS]
        code = TELEGRAM_LANGUAGE_CODES.get(language, language.split("_")[0])
        await bot.set_my_commands(commands, language_code=None if code == "en" else code)
