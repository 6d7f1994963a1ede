"""User templates are bounded: loops, time, sizes and huge numbers end in one TemplateError naming the template."""

from __future__ import annotations

import time

import pytest

from pipeline.errors import TemplateError
from pipeline.text import TextRenderer


def render(template: str) -> str:
    return TextRenderer("sv").render(template, {"n": {2022: 2001}}, "deck.yaml slide S99 title")


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}", "loop iterations"),
        ("{% for a in 'x' * 5000 %}{% for b in 'y' * 5000 %}{% endfor %}{% endfor %}", "loop iterations"),
        ("{{ range(10**7) | list | length }}", "over the limit"),
        ("{{ 'x' * 10**9 }}", "over the limit"),
        ("{{ ['x'] * 10**9 }}", "over the limit"),
        ("{{ 10 ** 100000 }}", "exponent"),
        ("{{ ((10 ** 60) ** 60) ** 60 }}", "exponent"),
        ("{{ '{:>999999999}'.format(1) }}", "width"),
        ("{{ '%999999999d' % 1 }}", "width"),
        ("{{ '%999999999d' | format(1) }}", "width"),
        ("{{ 'x'.center(10**9) }}", "over the limit"),
        ("{{ ('x' * 50000) | replace('x', 'xxxxxxxxxx') }}", "over the limit"),
        ("{{ ('x' * 50000).replace('x', 'xxxxxxxxxx') }}", "over the limit"),
        ("{{ 'x' | indent(10**9) }}", "width"),
        ("{{ 'x' * 20000 }}", "characters long"),
    ],
)
def test_a_runaway_template_is_one_error_naming_the_template(template, says):
    """Each unbounded construct fails fast (well under 2 s) with a message that names slide and field."""
    started = time.monotonic()
    with pytest.raises(TemplateError) as info:
        render(template)
    assert time.monotonic() - started < 2.5
    message = str(info.value)
    assert message.startswith("deck.yaml slide S99 title: ") and says in message, message
    assert "\n" not in message


def test_lipsum_is_not_offered():
    """The lorem-ipsum generator (which can make any amount of text) is not a template name."""
    with pytest.raises(TemplateError, match="lipsum"):
        render("{{ lipsum(10**6) }}")


def test_ordinary_templates_still_work_and_limits_reset_between_texts():
    """Loops, ranges and string operations of ordinary size render as before, and each text gets its own budget."""
    renderer = TextRenderer("sv")
    context = {"n": {2022: 2001, 2021: 2111}}
    for _ in range(3):  # 3 × 60,000 iterations: over the budget only if it were not reset per text
        out = renderer.render("{% for i in range(60000) %}{% endfor %}{{ n[2022] | count }} · {{ 'ab' * 3 }} · "
                              "{% for y in n|sort %}{{ y }}{% if not loop.last %}, {% endif %}{% endfor %}", context, "t")
        assert out == "2\u00a0001 · ababab · 2021, 2022"
