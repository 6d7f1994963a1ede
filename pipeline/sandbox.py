"""A jinja2 sandbox with bounds, for the text templates users write in deck.yaml.

jinja2's sandbox stops templates from reaching Python internals, but not from
running for minutes (nested ``range`` loops) or from building a gigabyte string
(``'x' * 10**9``). :class:`BoundedEnvironment` adds limits, each breach one
:class:`~pipeline.errors.TemplateError` that the caller prefixes with the file,
slide and field:

* every ``for`` loop is counted: at most :data:`MAX_ITERATIONS` iterations per
  rendering, and :data:`MAX_SECONDS` of wall time, checked at every iteration;
* ``range`` takes at most :data:`MAX_ITERATIONS` items;
* no string or list made by ``*``, ``+``, ``%``, a method or a filter may exceed
  :data:`MAX_SIZE` items, and the size is worked out before it is made where it
  could be large (repetition, padding, replacement, format widths);
* ``**`` is refused for exponents that would make huge numbers;
* ``lipsum``, ``cycler`` and ``joiner`` are not offered.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pipeline.errors import TemplateError

MAX_ITERATIONS = 100_000
MAX_SECONDS = 2.0
MAX_SIZE = 100_000
MAX_WIDTH = 1_000
_BIG_WIDTH = re.compile(r"\d{4,}")  # a format width or precision of 1000 or more
_ITER = "__bounded_iter__"


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict)) else 0


class _Budget:
    """The limits of one rendering: iterations left and a deadline."""

    def __init__(self) -> None:
        self.iterations = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self) -> None:
        self.iterations += 1
        if self.iterations > MAX_ITERATIONS:
            raise TemplateError(f"template runs more than {MAX_ITERATIONS:,} loop iterations; loop over the data, not over large ranges")
        if self.iterations % 256 == 0 and time.monotonic() > self.deadline:
            raise TemplateError(f"template took longer than {MAX_SECONDS:g} s; simplify its loops")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """An immutable sandbox with limits on loops, time and the size of what a template makes."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.budget = _Budget()
        for name in ("lipsum", "cycler", "joiner"):
            self.globals.pop(name, None)
        self.globals["range"] = self._range
        self.globals[_ITER] = self._iterate
        for name, fn in list(self.filters.items()):  # jinja2 calls filters directly: bound each built-in one
            self.filters[name] = self._bounded_filter(name, fn)

    def start(self) -> None:
        """Reset the limits before rendering one template."""
        self.budget = _Budget()

    # ------------------------------------------------------------------ loops

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):  # every loop's iterable goes through the counter
            loop.iter = nodes.Call(nodes.Name(_ITER, "load"), [loop.iter], [], None, None)
        return tree

    def _iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.budget.tick()
            yield item

    def _range(self, *args: int) -> range:
        r = range(*args)
        if len(r) > MAX_ITERATIONS:
            raise TemplateError(f"range() of {len(r):,} items is over the limit of {MAX_ITERATIONS:,}")
        return r  # a loop over it is counted by the loop itself

    # ------------------------------------------------------------------ sizes

    def _bounded_filter(self, name: str, fn: Any) -> Any:
        @functools.wraps(fn)  # keeps jinja2's pass_context/pass_environment marks
        def bounded(*args: Any, **kwargs: Any) -> Any:
            value = next((a for a in args if isinstance(a, str)), None)  # the filtered value (after any context)
            widths = [a for a in [*args, *kwargs.values()] if isinstance(a, int) and not isinstance(a, bool)]
            if name in ("center", "indent", "wordwrap") and any(w > MAX_WIDTH for w in widths):
                raise TemplateError(f"filter {name!r} with a width over {MAX_WIDTH} is not allowed")
            if name == "format" and value is not None and _BIG_WIDTH.search(value):
                raise TemplateError("a format with a width or precision of 1000 or more is not allowed")
            if name == "replace" and value is not None:
                rest = [a for a in args if isinstance(a, str)][1:3]
                if len(rest) == 2:
                    self._predict(_replaced_size(value, rest[0], rest[1]), "filter 'replace'")
            return self._check(fn(*args, **kwargs), f"filter {name!r}")

        return bounded

    def _check(self, value: Any, what: str) -> Any:
        if _size(value) > MAX_SIZE:
            raise TemplateError(f"{what} makes a text or list of {_size(value):,} items, over the limit of {MAX_SIZE:,}")
        return value

    def _predict(self, size: int, what: str) -> None:
        if size > MAX_SIZE:
            raise TemplateError(f"{what} would make a text or list of {size:,} items, over the limit of {MAX_SIZE:,}")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if _size(seq) and isinstance(times, int):
                    self._predict(_size(seq) * times, "'*'")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
            if abs(left) > 1 and left.bit_length() * right > 4096:
                raise TemplateError(f"'**' would make a number of about {left.bit_length() * right:,} bits (the exponent is too large)")
        elif operator == "%" and isinstance(left, str) and _BIG_WIDTH.search(left):
            raise TemplateError("a '%' format with a width or precision of 1000 or more is not allowed")
        elif operator == "+":
            self._predict(_size(left) + _size(right), "'+'")
        return self._check(super().call_binop(context, operator, left, right), f"'{operator}'")

    def wrap_str_format(self, value: Any) -> Any:
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map") and _BIG_WIDTH.search(owner):
            raise TemplateError("a format with a width or precision of 1000 or more is not allowed")
        return super().wrap_str_format(value)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # jinja2's own signature
        self = __self
        name = getattr(__obj, "__name__", "")
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
                self._predict(args[0], f"str.{name}")
            elif name == "replace" and len(args) >= 2:
                self._predict(_replaced_size(owner, args[0], args[1]), "str.replace")
            elif name == "expandtabs":
                self._predict(len(owner) * (args[0] if args and isinstance(args[0], int) else 8), "str.expandtabs")
        return self._check(super().call(__context, __obj, *args, **kwargs), name or "a call")


def _replaced_size(text: str, old: Any, new: Any) -> int:
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    count = text.count(old) if old else len(text) + 1
    return len(text) + count * (len(new) - len(old))
