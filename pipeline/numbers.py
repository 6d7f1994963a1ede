"""Number formatting in the report language, by the locale's CLDR patterns (Babel).

The language code ("sv", "en", "fi" …) picks the locale; Babel gives its decimal
symbol, grouping symbol and percent pattern, so a new language needs no code here.
Swedish comes out as "99,2 %" (no-break space before the per cent sign), "2 001"
(no-break space between thousands) and a true minus sign (−); English as "99.2%",
"2,001", "-3". Rounding is ours: halves away from zero on the number as written,
before Babel formats the exact decimal.
"""

from __future__ import annotations

import copy
import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel import Locale as BabelLocale
from babel import UnknownLocaleError
from babel.numbers import NumberPattern, get_minus_sign_symbol, get_plus_sign_symbol

from pipeline.errors import ConfigError

NBSP = "\u00a0"
NNBSP = "\u202f"
MINUS = "\u2212"
DASH = "–"  # what a missing value (None, NaN, infinity) is shown as


def round_half_away(value: float, decimals: int = 0) -> Decimal:
    """Round as people (and Excel) do: halves away from zero, on the number as written.

    ``round()`` rounds halves to even and works on the binary value, so 12.5 gave
    "12" and 2.675 gave "2.67"; here 12.5 → 13, 0.125 → 0.13, 2.675 → 2.68, −2.5 → −3.
    """
    exact = Decimal(repr(float(value)))
    try:
        return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds: nothing left to round
        return exact


@cache
def babel_locale(lang: str) -> BabelLocale:
    """The Babel locale of a language code ("sv", "en", "fi", "sv_FI" …), or a ConfigError naming it."""
    try:
        return BabelLocale.parse(lang.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        raise ConfigError(f"language {lang!r} is not a locale Babel knows; use a language code such as sv, en or fi") from None


@cache
def _pattern(lang: str, kind: str, decimals: int) -> NumberPattern:
    """The locale's decimal or percent pattern with exactly ``decimals`` fraction digits."""
    locale = babel_locale(lang)
    pattern: NumberPattern = copy.copy((locale.percent_formats if kind == "percent" else locale.decimal_formats)[None])
    pattern.frac_prec = (decimals, decimals)
    return pattern


def _format(value: float | int | None, decimals: int, lang: str, signed: bool, kind: str) -> str:
    if value is None:
        return DASH
    number = float(value)  # numpy scalars included
    if not math.isfinite(number):
        return DASH
    rounded = round_half_away(number, decimals)
    locale = babel_locale(lang)
    sign = ""
    if rounded < 0:
        sign = get_minus_sign_symbol(locale)
    elif signed and rounded > 0:
        sign = get_plus_sign_symbol(locale)
    magnitude = abs(rounded)  # a rounded zero has no sign: no "-0"
    if kind == "percent":
        magnitude = magnitude.scaleb(-2)  # the pattern multiplies by 100; exact in Decimal
    text: str = _pattern(lang, kind, decimals).apply(magnitude, locale)
    return sign + text


def fmt_number(value: float | int | None, decimals: int = 0, lang: str = "sv", signed: bool = False) -> str:
    """Format a number (halves rounded away from zero); NaN, infinity or None becomes an en dash."""
    return _format(value, decimals, lang, signed, "number")


def fmt_percent(value: float | None, decimals: int = 0, lang: str = "sv", signed: bool = False) -> str:
    """A value in per cent by the locale's percent pattern: "55 %" / "99,2 %" in Swedish, "55%" in English."""
    return _format(value, decimals, lang, signed, "percent")


def fmt_count(value: float | int | None, lang: str = "sv") -> str:
    """Whole count with the locale's thousands separator: "2 001" / "2,001"."""
    return fmt_number(value, 0, lang)


def percent_sign(lang: str) -> str:
    """What the locale's percent pattern puts after a number: "\u00a0%" in Swedish, "%" in English."""
    return fmt_percent(0, 0, lang)[len(fmt_number(0, 0, lang)):]


def number_symbols(lang: str) -> tuple[str, str]:
    """The locale's decimal symbol and grouping symbol: (",", "\u00a0") in Swedish, (".", ",") in English."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    locale = babel_locale(lang)
    return get_decimal_symbol(locale), get_group_symbol(locale)


def language_tag(lang: str) -> str:
    """The BCP 47 tag of a language with its most likely territory, from CLDR: "sv" → "sv-SE", "en" → "en-US"."""
    from babel.core import get_global

    locale = babel_locale(lang)
    territory = locale.territory
    if not territory:
        likely = str(get_global("likely_subtags").get(locale.language, ""))
        territory = next((part for part in likely.split("_")[1:] if part.isupper() and len(part) == 2), "")
    return f"{locale.language}-{territory}" if territory else locale.language


_RANGE = re.compile(r"(?<=\d) ?-(?: (?=\d)|(?=\d))")


def typeset(text: str) -> str:
    """Ranges of numbers with an en dash ("07-18" → "07–18", "30 - 44" → "30–44"), as print sets them."""
    return _RANGE.sub("\u2013", text)
