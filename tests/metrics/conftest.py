"""Fixture for the metric tests: tiny hand-computable contexts (see tinyctx.py)."""

from __future__ import annotations

import pytest
from tinyctx import build_ctx


@pytest.fixture
def tiny_ctx(project, tmp_path):
    """Factory: ``tiny_ctx(questions, {year: frame}, **options)`` → MetricContext over tiny waves."""

    def make(questions, frames, **kw):
        return build_ctx(project, questions, frames, tmp_path, **kw)

    return make
