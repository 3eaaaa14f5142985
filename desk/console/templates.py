"""Pages from Jinja2 templates, autoescaped everywhere, in the caseworker's language.

One environment per console language, each with its gettext catalog installed (new-style
gettext, so that placeholders are escaped too). Templates are read from the installed package,
never from the working folder.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined

from desk.console import present
from desk.console.i18n import LANGUAGE_NAMES, LANGUAGES, translations
from desk.console.state import state_of

PAGE_LANGUAGE: Final = {"en": "en", "th": "th", "zh_Hans": "zh-Hans"}
"""The `lang` attribute of each console language (BCP 47)."""


@cache
def environment(language: str) -> Environment:
    """The templates for `language` (built once per process)."""
    env = Environment(
        loader=PackageLoader("desk.console", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    _ = translations(language).gettext
    env.globals.update(
        status_name=lambda status: present.status_name(status, _),
        worker_label=lambda status: present.worker_label(status, _),
        number=lambda value: present.number(value, language),
        file_size=present.file_size,
        file_shape=present.file_shape,
        item_kind=present.item_kind,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        page_language=PAGE_LANGUAGE[language],
        language=language,
    )
    return env


def page(
    request: web.Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> web.Response:
    """Render template `name` with the page's shared context (language, CSRF token, state)."""
    state = state_of(request)
    language = state.language(request)
    shared = {
        "csrf": state.guard.csrf,
        "locked": state.vault.locked,
        "configured": state.config.complete,
        "partner": state.partner_name(),
        "path": request.path,
        "notice": state.take_notice(),
    }
    text = environment(language).get_template(name).render(**shared, **context)
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
