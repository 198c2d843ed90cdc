"""The bounded template sandbox: every failure is a TemplateFailed with its reason, every bound holds."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import StrictUndefined

from grokpipe.api.sandbox import MAX_OUTPUT, BoundedSandbox, TemplateFailed, check, render

ENV = BoundedSandbox(autoescape=False, undefined=StrictUndefined)
CTX: dict[str, Any] = {"zero": 0, "big": 99999, "huge": 20_000_000, "s": "x" * 2000}

REFUSED_AT_RENDER = [
    ("{{ 1 / zero }}", "template: ZeroDivisionError: division by zero"),
    ("{{ 9 ** big }}", "template: '**' would make a 399,996-bit number, over 14,000"),
    ("{{ range(big + 2) | length }}", "template: ranges over 100,000 items in all"),
    ("{% for a in range(60000) %}{% for b in range(60000) %}{% endfor %}{% endfor %}", "template: ranges over"),
    ("{{ 'x' * huge }}", "template: '*' would make 20,000,000 items"),
    ("{{ [1] * huge }}", "template: '*' would make 20,000,000 items"),
    ("{{ s.ljust(huge) }}", "template: str.ljust would make 20,000,000 items"),
    ("{{ s | center(huge) }}", "template: the center filter's width would make 20,000,000 items"),
    ("{{ s | replace('x', s) }}", "template: replace would make 4,000,000 items"),
    ("{{ s.replace('x', s) }}", "template: str.replace would make 4,000,000 items"),
    ("{{ ('%0' ~ huge ~ 'd') | format(1) }}", "template: a format width"),
    ("{{ ('%0' ~ huge ~ 'd') % 1 }}", "template: a format width"),
    ("{{ ('{:>' ~ huge ~ '}').format(1) }}", "template: a format width"),
    ("{% set ns = namespace(v='x') %}{% for i in range(30) %}{% set ns.v = ns.v ~ ns.v %}{% endfor %}", "namespace"),
    ("{% for i in range(99999) %}{{ s[:20] }}{% endfor %}", "template: output over the limit of 1,000,000"),
    ("{% set l = [] %}{{ l.append(1) }}", "unsafe"),
    ("{{ s.__class__ }}", "unsafe"),
    ("{{ missing }}", "template: 'missing' is undefined"),
    ("{{ zero + none }}", "template: TypeError: unsupported operand"),
]


@pytest.mark.parametrize(("source", "reason"), REFUSED_AT_RENDER)
def test_a_failing_template_raises_one_type_with_its_reason(source: str, reason: str) -> None:
    with pytest.raises(TemplateFailed) as failed:
        render(ENV, source, CTX)
    assert reason in failed.value.reason


REFUSED_AT_PARSE = [
    ("{{ 1/0 }}", "template: ZeroDivisionError: division by zero", 1),
    ("\n{{ 9**99999 }}", "template: '**' would make a 399,996-bit number, over 14,000", 2),
    ("{{ range(100001) }}", "template: a range over 100,000 items", 1),
    ("{% include 'x' %}", "template: include is not allowed", 1),
    ("{% import 'x' as y %}", "template: import is not allowed", 1),
    ("{% from 'x' import y %}", "template: from ... import is not allowed", 1),
    ("{% extends 'x' %}", "template: extends is not allowed", 1),
    ("{{ 'x' * 20000000 }}", "template: '*' would make 20,000,000 items, over the limit of 1,000,000", 1),
    ("{{ x ", "template syntax error: unexpected end of template, expected 'end of print statement'.", 1),
]


@pytest.mark.parametrize(("source", "reason", "line"), REFUSED_AT_PARSE)
def test_what_can_never_render_is_refused_when_parsed(source: str, reason: str, line: int) -> None:
    with pytest.raises(TemplateFailed) as failed:
        check(ENV, source)
    assert (failed.value.reason, failed.value.line) == (reason, line)


ALLOWED = [
    ("{{ 2 ** 10 }} {{ 'ab' * 3 }} {{ range(3) | list }}", "1024 ababab [0, 1, 2]"),
    ("{{ 'a %s' % 'b' }} {{ '{:>3}'.format(1) }} {{ 'x' | center(5) }}", "a b   1   x  "),
    ("{% for i in range(3) %}{{ i }}{% endfor %}", "012"),
    ("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "6"),
    ("{{ ('x' * 1000) | length }}", "1000"),
]


@pytest.mark.parametrize(("source", "output"), ALLOWED)
def test_ordinary_templates_render(source: str, output: str) -> None:
    check(ENV, source)
    assert render(ENV, source, CTX) == output


def test_output_up_to_the_cap_renders() -> None:
    assert len(render(ENV, "{{ 'x' * n }}", {"n": MAX_OUTPUT})) == MAX_OUTPUT
