from __future__ import annotations

import pytest
from pydantic import ValidationError

from grokpipe.multiline import Multiline, MultilineSettings


def join(settings: MultilineSettings, lines: list[str]) -> list[str]:
    ml = Multiline(settings)
    out: list[str] = []
    offset = 0
    for line in lines:
        end = offset + len(line) + 1
        out.extend("\n".join(b.lines) for b in ml.push(offset, end, line, set()))
        offset = end
    last = ml.flush()
    if last is not None:
        out.append("\n".join(last.lines))
    return out


JAVA = [
    "2026-11-22 10:00:00 ERROR [main] com.example.App - request failed",
    "java.lang.IllegalStateException: cart is empty",
    "\tat com.example.Cart.total(Cart.java:42)",
    "\tat com.example.App.main(App.java:10)",
    "Caused by: java.lang.NullPointerException",
    "\t... 3 more",
    "2026-11-22 10:00:01 INFO [main] com.example.App - next request",
]

PYTHON = [
    "2026-11-22 08:15:11,902 ERROR billing.worker Invoice 88121 failed",
    "Traceback (most recent call last):",
    '  File "/srv/billing/worker.py", line 77, in process',
    "    total = compute_total(invoice)",
    "ZeroDivisionError: division by zero",
    "",
    "During handling of the above exception, another exception occurred:",
    "",
    "Traceback (most recent call last):",
    '  File "/srv/billing/worker.py", line 80, in process',
    "billing.errors.InvoiceError: cannot total",
    "2026-11-22 08:15:12,004 WARNING billing.worker Retrying invoice 88121 in 30s",
]

PHP = [
    "[22-Nov-2026 08:15:08 UTC] PHP Fatal error:  Uncaught Error: Call to a member function x() on null in /a.php:57",
    "Stack trace:",
    "#0 /var/www/shop/public/cart.php(12): Shop\\Cart->summary()",
    "#1 {main}",
    "  thrown in /a.php on line 57",
    "[22-Nov-2026 08:17:40 UTC] PHP Warning:  Undefined array key in /b.php on line 88",
]


@pytest.mark.parametrize(
    ("preset", "lines", "sizes"),
    [("java", JAVA, [6, 1]), ("python", PYTHON, [11, 1]), ("php", PHP, [5, 1])],
)
def test_presets(preset: str, lines: list[str], sizes: list[int]) -> None:
    events = join(MultilineSettings(preset=preset), lines)  # type: ignore[arg-type]
    assert [e.count("\n") + 1 for e in events] == sizes
    assert "\n".join(events) == "\n".join(lines)


def test_negate_after_joins_non_matching_lines() -> None:
    settings = MultilineSettings(pattern=r"^\[", negate=True, match="after")
    assert join(settings, ["[1] a", "  b", "  c", "[2] d"]) == ["[1] a\n  b\n  c", "[2] d"]


def test_match_before_prepends_to_next_line() -> None:
    settings = MultilineSettings(pattern=r"\\$", negate=False, match="before")
    assert join(settings, ["one \\", "two \\", "three", "four"]) == ["one \\\ntwo \\\nthree", "four"]


def test_max_lines_starts_a_new_event_instead_of_dropping() -> None:
    settings = MultilineSettings(pattern=r"^\s", max_lines=3)
    events = join(settings, ["head", " 1", " 2", " 3", " 4"])
    assert events == ["head\n 1\n 2", " 3\n 4"]


def test_block_spans_first_offset_to_last_end() -> None:
    ml = Multiline(MultilineSettings(pattern=r"^\s"))
    ml.push(0, 5, "head", set())
    ml.push(5, 9, " ab", {"truncated"})
    (block,) = ml.push(9, 12, "xy", set())
    assert (block.offset, block.end, block.tags) == (0, 9, {"truncated"})


@pytest.mark.parametrize(
    "spec",
    [{}, {"preset": "java", "pattern": "x"}, {"pattern": "(unclosed"}, {"preset": "cobol"}],
)
def test_invalid_settings(spec: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        MultilineSettings(**spec)  # type: ignore[arg-type]
