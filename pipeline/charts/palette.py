"""The deck's colours with their meanings, from the template's theme colours (no matplotlib: chart specs are built
with it in the main process, and only the chart workers draw)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

NAVY = "#0E3B66"
BLUE = "#2E77BB"
LIGHT = "#8DB8E2"
PALE = "#D6E6F5"
GREY = "#6B7280"
LIGHT_GREY = "#C9CDD3"
CORAL = "#E4572E"
GREEN = "#2E8B57"
TEXT = "#1F2937"
DONT_KNOW = "#D1D5DB"

# The template's theme colours (``a:clrScheme`` of its theme), as the 1177 template sets them; a deck built from
# another template gets that template's colours (see :meth:`Palette.from_theme`).
DEFAULT_THEME: dict[str, str] = {
    "dk1": "1F2937", "lt1": "FFFFFF", "dk2": "0E3B66", "lt2": "E3E6EA",
    "accent1": "0E3B66", "accent2": "3D7DC4", "accent3": "9CC2E8",
    "accent4": "1B8A7A", "accent5": "7A4EAB", "accent6": "D9502B",
    "hlink": "3D7DC4", "folHlink": "6B7280",
}


def mix(a: str, b: str, t: float) -> str:
    """The colour ``t`` of the way from ``a`` to ``b`` (hex), e.g. a tint towards white."""
    ca = [int(a.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    cb = [int(b.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(ca, cb, strict=True))


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of colours ``a`` and ``b`` (hex): 1 to 21; text needs 4.5 (AA), large text and
    graphics 3."""

    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(colour: str, background: str = "#FFFFFF", text: str = TEXT) -> str:
    """``colour`` for text on ``background``: itself where it reads (WCAG AA, 4.5:1), else darkened towards
    ``text`` in tenths until it does (a light line's label, a tint of the group colour)."""
    for step in range(11):
        out = mix(colour, text, step / 10) if step else "#" + colour.lstrip("#").upper()
        if contrast(out, background) >= 4.5:
            return out
    return "#" + text.lstrip("#").upper()


@dataclass(frozen=True)
class Palette:
    """The deck's colours, each with one meaning, all taken from the template's theme colours.

    ===============  ===========================  ====================================================
    role             theme colour                 used for
    ===============  ===========================  ====================================================
    waves            accent1, accent2, accent3    the newest wave, the one before, the one before that
                     (tints of accent3 further)   (a wave year keeps its colour on every chart)
    positive         accent4                      ▲ (significant rise), promoters, the high end of scales
    groups           accent5 and its tints        subgroups (sexes, age groups, the two services of S45)
    alert            accent6                      ▼ (significant fall), detractors; nothing else
    text             dk1                          chart text
    primary          dk2                          a measure over time that is not one wave (S18's line)
    neutral          lt2                          "Vet ej", passives (a shade darker)
    ===============  ===========================  ====================================================

    Another organisation's template recolours every chart through its theme colours (PowerPoint:
    Design → Variants → Colors → Customize Colors): keep the roles above when choosing them.
    """

    waves: tuple[str, ...]
    positive: str
    group: str
    alert: str
    text: str
    primary: str
    neutral: str
    background: str = "#FFFFFF"

    @classmethod
    def from_theme(cls, theme: dict[str, str] | None = None) -> Palette:
        """The palette of a template's theme colours (``{"accent1": "0E3B66", …}``); missing slots take the 1177
        template's."""
        c = {k: "#" + v.lstrip("#").upper() for k, v in {**DEFAULT_THEME, **(theme or {})}.items()}
        white = c["lt1"]
        waves = (c["accent1"], c["accent2"], c["accent3"]) + tuple(mix(c["accent3"], white, t) for t in (0.4, 0.6, 0.75))
        return cls(waves, c["accent4"], c["accent5"], c["accent6"], c["dk1"], c["dk2"], c["lt2"], white)

    @property
    def up(self) -> str:
        """The colour of ▲."""
        return self.positive

    @property
    def down(self) -> str:
        """The colour of ▼."""
        return self.alert

    def mark(self, mark: str) -> str:
        """The colour of a significance mark (▲ or ▼)."""
        return self.up if mark == "▲" else self.down

    @property
    def dont_know(self) -> str:
        return self.neutral

    @property
    def passives(self) -> str:
        return mix(self.neutral, self.text, 0.18)

    def wave(self, rank: int) -> str:
        """The colour of the wave ``rank`` waves before the newest (0 = the newest)."""
        return self.waves[min(max(rank, 0), len(self.waves) - 1)]

    def groups(self, n: int) -> list[str]:
        """``n`` colours for subgroups: the group colour, then lighter and darker shades of it."""
        if n <= 1:
            return [self.group]
        steps = [0.0, 0.5, -0.45, 0.7, -0.25, 0.3]
        out = []
        for i in range(n):
            t = steps[i] if i < len(steps) else (i / n)
            out.append(mix(self.group, self.background, t) if t >= 0 else mix(self.group, "#000000", -t))
        return out

    def ordered_groups(self, n: int) -> list[str]:
        """``n`` colours for ordered subgroups (age groups): light to dark shades of the group colour."""
        if n <= 1:
            return [self.group]
        return [mix(self.group, self.background, 0.5 * (1 - i / (n - 1))) if i < n - 1 else self.group for i in range(n)]

    def bands(self, n: int) -> list[str]:
        """``n`` colours for the answers of a scale, low to high: light to full shades of the positive colour."""
        if n <= 1:
            return [self.positive]
        return [mix(self.positive, self.background, 0.85 * (1 - i / (n - 1))) for i in range(n)]

    def nps(self) -> tuple[str, str, str]:
        """Detractors, passives, promoters."""
        return self.alert, self.passives, self.positive

    def scores(self, scores: list[int], detractor_max: int = 6, passive_max: int = 8) -> list[str]:
        """The colour of each score of an NPS scale: shades of alert (detractors), neutral (passives) and
        positive (promoters), stronger towards the ends."""
        out = []
        for s in scores:
            if s <= detractor_max:
                # 1 is the alert colour itself; 0 (on a 0–10 scale) a shade darker, towards black (a dark alert
                # colour has no room to be pushed further away from the background)
                t = min(0.65, 0.11 * (s - 1))
                out.append(mix(self.alert, self.background, t) if t >= 0 else mix(self.alert, "#000000", -t))
            elif s <= passive_max:
                out.append(mix(self.passives, self.background, 0.35 * (passive_max - s)))
            else:
                out.append(mix(self.positive, self.background, 0.45 * (10 - s)))
        return out


PALETTE = Palette.from_theme()  # the 1177 template's


@functools.lru_cache(maxsize=16)
def palette(theme: tuple[tuple[str, str], ...] = ()) -> Palette:
    """The palette of the theme colours ``theme`` (pairs of slot and hex), cached."""
    return Palette.from_theme(dict(theme)) if theme else PALETTE
