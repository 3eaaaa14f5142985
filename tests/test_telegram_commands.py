"""The command menu Telegram shows beside the text field: one per language, in that language."""

import re

from languages import SIXTEEN

from bot.telegram.commands import COMMAND_DESCRIPTIONS, set_commands
from handlers.i18n import translator


class RecordingBot:
    """Only what set_commands calls, recorded."""

    def __init__(self) -> None:
        self.menus: dict[str | None, list[tuple[str, str]]] = {}

    async def set_my_commands(self, commands, language_code=None) -> bool:
        self.menus[language_code] = [(c.command, c.description) for c in commands]
        return True


async def test_every_language_gets_its_menu_under_a_code_telegram_accepts():
    bot = RecordingBot()
    await set_commands(bot)  # type: ignore[arg-type]
    assert len(bot.menus) == len(SIXTEEN)
    codes = [code for code in bot.menus if code is not None]
    assert all(re.fullmatch("[a-z]{2}", code) for code in codes), codes  # ISO 639-1
    assert {"zh", "tl", "ur", "my"} <= set(codes)  # zh_Hans, Filipino (Tagalog), Urdu, Burmese
    filipino = translator("fil").gettext
    assert bot.menus["tl"][0] == ("report", filipino(COMMAND_DESCRIPTIONS[0][1]))
    assert bot.menus[None][0] == ("report", "Report a problem")  # English: every other phone
