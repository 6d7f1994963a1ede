"""Number formatting for Swedish (default) and English.

Swedish style: decimal comma, a no-break space before the per cent sign
("99,2 %"), a narrow no-break space as thousands separator ("2 001"), and a
true minus sign (−). English: "99.2%", "2,001", "-3".
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NBSP = "\u00a0"
NNBSP = "\u202f"
MINUS = "\u2212"


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


def fmt_number(value: float | int | None, decimals: int = 0, lang: str = "sv", signed: bool = False) -> str:
    """Format a number (halves rounded away from zero); NaN, infinity or None becomes an en dash."""
    if value is None:
        return "–"
    number = float(value)  # numpy scalars included
    if not math.isfinite(number):
        return "–"
    rounded = round_half_away(number, decimals)
    if rounded == 0:
        rounded = Decimal(0)  # no "-0"
    text = f"{abs(rounded):,.{decimals}f}"
    if lang == "sv":
        text = text.replace(",", NNBSP).replace(".", ",")
    sign = ""
    if rounded < 0:
        sign = MINUS if lang == "sv" else "-"
    elif signed and rounded > 0:
        sign = "+"
    return sign + text


def fmt_percent(value: float | None, decimals: int = 0, lang: str = "sv", signed: bool = False) -> str:
    """"55 %" / "99,2 %" in Swedish, "55%" in English."""
    number = fmt_number(value, decimals, lang, signed)
    if number == "–":
        return number
    return f"{number}{NBSP}%" if lang == "sv" else f"{number}%"


def fmt_count(value: float | int | None, lang: str = "sv") -> str:
    """Whole count with thousands separator: "2 001" / "2,001"."""
    return fmt_number(value, 0, lang)
