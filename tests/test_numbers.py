"""Number formatting: Swedish (decimal comma, NBSP before %, NBSP thousands (CLDR), true minus) and English."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.numbers import MINUS, NBSP, NNBSP, fmt_count, fmt_number, fmt_percent


def test_the_special_characters_are_the_typographic_ones():
    assert (NBSP, NNBSP, MINUS) == ("\u00a0", "\u202f", "\u2212")


@pytest.mark.parametrize(
    "value, decimals, sv, en",
    [
        (55, 0, "55", "55"),
        (99.2, 1, "99,2", "99.2"),
        (99.24, 1, "99,2", "99.2"),
        (0.0, 1, "0,0", "0.0"),
        (7, 2, "7,00", "7.00"),
        (2001, 0, "2\u00a0001", "2,001"),
        (2001.5, 1, "2\u00a0001,5", "2,001.5"),
        (1234567, 0, "1\u00a0234\u00a0567", "1,234,567"),
        (12345.678, 2, "12\u00a0345,68", "12,345.68"),
        (999, 0, "999", "999"),
        (-3, 0, "\u22123", "-3"),
        (-1234.5, 1, "\u22121\u00a0234,5", "-1,234.5"),
    ],
)
def test_fmt_number_sv_and_en(value, decimals, sv, en):
    assert fmt_number(value, decimals, "sv") == sv
    assert fmt_number(value, decimals, "en") == en


@pytest.mark.parametrize(
    "value, decimals, expected",
    [
        # halves go away from zero, as in Excel and in print: round() would give 0, 2, 12, 0.12, 2.67, −2
        (0.5, 0, "1"),
        (1.5, 0, "2"),
        (2.5, 0, "3"),
        (12.5, 0, "13"),
        (0.125, 2, "0,13"),
        (2.675, 2, "2,68"),  # binary 2.67499999…: rounded as written
        (1.005, 2, "1,01"),
        (-2.5, 0, "\u22123"),
        (-0.5, 0, "\u22121"),
        (99.95, 1, "100,0"),
        (999.5, 0, "1\u00a0000"),  # the carry reaches the thousands
        # not halves
        (2.4999, 0, "2"),
        (2.5001, 0, "3"),
        (-2.4999, 0, "\u22122"),
    ],
)
def test_rounding_half_cases(value, decimals, expected):
    assert fmt_number(value, decimals, "sv") == expected


@pytest.mark.parametrize("value, decimals", [(-0.4, 0), (-0.04, 1), (-0.0, 0), (-1e-12, 2)])
def test_negative_that_rounds_to_zero_has_no_minus(value, decimals):
    zero = "0" if decimals == 0 else "0," + "0" * decimals
    assert fmt_number(value, decimals, "sv") == zero
    assert fmt_number(value, decimals, "sv", signed=True) == zero
    assert fmt_number(value, decimals, "en").lstrip("0.") == ""


@pytest.mark.parametrize(
    "value, sv, en",
    [(3, "+3", "+3"), (-3, "\u22123", "-3"), (0, "0", "0"), (2.5, "+3", "+3"), (-2.5, "\u22123", "-3"), (0.4, "0", "0")],
)
def test_signed(value, sv, en):
    assert fmt_number(value, 0, "sv", signed=True) == sv
    assert fmt_number(value, 0, "en", signed=True) == en


@pytest.mark.parametrize(
    "value, decimals, sv, en",
    [
        (55, 0, "55\u00a0%", "55%"),
        (99.2, 1, "99,2\u00a0%", "99.2%"),
        (12.5, 0, "13\u00a0%", "13%"),
        (-4.25, 1, "\u22124,3\u00a0%", "-4.3%"),
        (100, 0, "100\u00a0%", "100%"),
    ],
)
def test_fmt_percent(value, decimals, sv, en):
    assert fmt_percent(value, decimals, "sv") == sv
    assert fmt_percent(value, decimals, "en") == en


def test_signed_percent():
    assert fmt_percent(4, 0, "sv", signed=True) == "+4\u00a0%"
    assert fmt_percent(-4, 0, "en", signed=True) == "-4%"


@pytest.mark.parametrize(
    "value, sv, en",
    [(2001, "2\u00a0001", "2,001"), (12, "12", "12"), (1000000, "1\u00a0000\u00a0000", "1,000,000"), (2000.5, "2\u00a0001", "2,001")],
)
def test_fmt_count(value, sv, en):
    assert fmt_count(value, "sv") == sv
    assert fmt_count(value, "en") == en


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, -math.inf, np.nan, np.float32("nan"), np.float64("inf")])
def test_missing_is_an_en_dash(missing):
    assert fmt_number(missing, 1) == "–"
    assert fmt_percent(missing, 0, "sv") == "–"  # no per cent sign after the dash
    assert fmt_percent(missing, 0, "en") == "–"
    assert fmt_count(missing) == "–"


def test_numpy_scalars_format_like_python_numbers():
    assert fmt_number(np.float64(12.5), 0) == "13"
    assert fmt_count(np.int64(2001)) == "2\u00a0001"
    assert fmt_percent(np.float32(55.0), 0, "en") == "55%"


@pytest.mark.parametrize(
    "lang, number, percent, negative",
    [
        # CLDR: Finnish groups with a no-break space, a decimal comma, "12,5 %" and the true minus sign;
        # German groups with a full stop and keeps the hyphen-minus.
        ("fi", "1\u00a0234,5", "12,5\u00a0%", "\u22123"),
        ("de", "1.234,5", "12,5\u00a0%", "-3"),
    ],
)
def test_a_third_language_needs_only_its_code(lang, number, percent, negative):
    """Any locale Babel knows formats by its CLDR patterns, with no code of ours per language."""
    assert fmt_number(1234.5, 1, lang) == number
    assert fmt_percent(12.45, 1, lang) == percent  # 12.45 rounds half away from zero to 12.5
    assert fmt_number(-3, 0, lang) == negative


def test_an_unknown_language_is_a_config_error():
    """A language code Babel does not know is a ConfigError naming it, not a crash."""
    from pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="'xx'"):
        fmt_number(1, 0, "xx")


def test_percent_sign_follows_the_locale():
    """The per cent suffix is the locale's: a no-break space and % in Swedish, a bare % in English."""
    from pipeline.numbers import percent_sign

    assert (percent_sign("sv"), percent_sign("en")) == ("\u00a0%", "%")
