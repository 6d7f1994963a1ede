"""Number formatting for Swedish (default) and English.

Swedish style: decimal comma, a no-break space before the per cent sign
("99,2 %"), a narrow no-break space as thousands separator ("2 001"), and a
true minus sign (−). English: "99.2%", "2,001", "-3".
"""

from __future__ import annotations

import math

NBSP = "\u00a0"
NNBSP = "\u202f"
MINUS = "\u2212"


def fmt_number(value: float | int | None, decimals: int = 0, lang: str = "sv", signed: bool = False) -> str:
    """Format a number; NaN or None becomes an en dash."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    rounded = round(float(value), decimals)
    if rounded == 0:
        rounded = 0.0  # no "-0"
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
