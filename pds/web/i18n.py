"""The UI's languages: which one a request gets, and its gettext catalogue.

Every user-facing string of the web UI is an English msgid — in templates as `_("…")`, in Python
marked with `N_("…")` and translated where it is shown. The translations live in one gettext
catalogue per locale (`locales/<locale>/LC_MESSAGES/messages.po`, kept up to date by
`python -m pds.web.messages`). The `.po` files are compiled with Babel when the app starts
(milliseconds), so there is no compiled `.mo` to forget or to go stale.

A request's language is the `pds_lang` cookie (set by the language switch) or else the best match
of the browser's Accept-Language, or else English.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context

LOCALE_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "en"
# Each language named in itself, so a person finds theirs whatever the page is in now.
LOCALES: Mapping[str, str] = MappingProxyType({"en": "English", "hi": "हिन्दी"})
# Dates and numbers are written the Indian way in either language ("15 January 2024").
FORMAT_LOCALES: Mapping[str, str] = MappingProxyType({"en": "en_IN", "hi": "hi_IN"})
LANGUAGE_COOKIE = "pds_lang"
# Times are stored in UTC and shown in India's time zone, where the people this serves live.
DISPLAY_ZONE = ZoneInfo("Asia/Kolkata")


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; it is translated where it is shown."""
    return message


@functools.cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalogue of `locale`, compiled from its .po file once per process."""
    if locale == DEFAULT_LOCALE:
        return gettext.NullTranslations()
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: they fall back to English
    compiled.seek(0)
    return Translations(compiled)


def _accept_language(header: str) -> list[str]:
    """Accept-Language's languages, most preferred first (RFC 9110 §12.5.4)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, index, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The locale for a request: the switch's cookie, else the browser's preference."""
    if cookie is not None and cookie in LOCALES:
        return cookie
    for tag in _accept_language(accept_language or ""):
        primary = tag.split("-")[0]
        if primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def request_locale(request: Any) -> str:
    """The request's locale, worked out once and kept on its state."""
    state = request.state
    locale: str | None = state.get("locale")
    if locale is None:
        locale = negotiate(
            request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
        )
        state["locale"] = locale
    return locale


class Translator:
    """gettext for one locale, for strings composed in Python (form errors, notices)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.format_locale = FORMAT_LOCALES[locale]
        self._catalogue = translations(locale)

    def __call__(self, message: str, **params: Any) -> str:
        text = self._catalogue.gettext(message)
        return text % params if params else text


def translator(request: Any) -> Translator:
    return Translator(request_locale(request))


def _context_locale(context: Context) -> str:
    request = context.get("request")
    return DEFAULT_LOCALE if request is None else request_locale(request)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(_context_locale(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(_context_locale(context)).ngettext(singular, plural, n)


@pass_context
def _current_locale(context: Context) -> str:
    return _context_locale(context)


@pass_context
def _date(context: Context, value: date | datetime | None, style: str = "long") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(DISPLAY_ZONE).date()
    return format_date(value, style, locale=FORMAT_LOCALES[_context_locale(context)])


@pass_context
def _datetime(context: Context, value: datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    locale = FORMAT_LOCALES[_context_locale(context)]
    return format_datetime(value, style, tzinfo=DISPLAY_ZONE, locale=locale)


def template_environment(directory: Path) -> Environment:
    """Jinja with autoescaping and gettext that follows each request's locale."""
    environment = Environment(
        loader=FileSystemLoader(directory),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # newstyle: `_("Hello %(name)s", name=x)` escapes x and formats, in templates and catalogues.
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    environment.globals["current_locale"] = _current_locale
    environment.filters["date"] = _date
    environment.filters["datetime"] = _datetime
    environment.filters["sentence"] = lambda text: str(text)[:1].upper() + str(text)[1:]
    environment.globals["locales"] = LOCALES
    return environment
