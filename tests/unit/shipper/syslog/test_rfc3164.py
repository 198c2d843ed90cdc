"""rsyslog's RFC 3164 rules for what follows the timestamp (hostname, TAG, MSG), and the TAG's parts."""

from __future__ import annotations

import pytest

from grokpipe.shipper.syslog.rfc3164 import host_and_tag, program, untimed_tag


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("host tag: msg", ("host", "tag", "msg")),
        ("host tag msg", ("host", "tag", "msg")),  # no colon: still the TAG
        ("host tag:msg", ("host", "tag", "msg")),
        ("host tag  msg", ("host", "tag", " msg")),  # only the first space goes
        ("host  msg", ("host", "", "msg")),  # a space right after the hostname: empty TAG
        ("host", ("host", "", "")),  # the hostname alone
        ("host ", ("host", "", "")),
        ("", (None, "", "")),
        ("host- tag: m", (None, "host-", "tag: m")),  # a hostname ends in a letter or digit
        ("h@st tag: m", (None, "h@st", "tag: m")),  # '@' is no hostname character (permit.AtSignsInHostname off)
        ("2001:db8::1 app: m", (None, "2001", "db8::1 app: m")),  # nor ':'
        ("app[42]: m", (None, "app[42]", "m")),  # Docker's unix format: no hostname
        ("#001 MSWinEventLog 0", (None, "#001", "MSWinEventLog 0")),
        ("h snare\tlog\tWed Mar", ("h", "snare\tlog\tWed", "Mar")),  # a tab does not end the TAG
        ("h " + "t" * 600 + " m", ("h", "t" * 510, "t" * 90 + " m")),  # at most 510 characters
    ],
)
def test_host_and_tag(rest: str, expected: tuple[str | None, str, str]) -> None:
    assert host_and_tag(rest) == expected


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("app: text", ("app", "text")),
        ("app[7] text", ("app[7]", "text")),
        ("hello from Python", ("", "hello from Python")),  # without a timestamp a bare word is text
        ("1 file copied", ("", "1 file copied")),
    ],
)
def test_untimed_tag(rest: str, expected: tuple[str, str]) -> None:
    assert untimed_tag(rest) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("named[12345]", ("named", "12345")),
        ("sshd(pam_unix)[12750]", ("sshd(pam_unix)", "12750")),
        ("postfix/smtpd[42]", ("postfix/smtpd", "42")),  # rsyslog would cut at '/'; see the module docstring
        ("tag", ("tag", "")),
        ("tag[unclosed", ("tag", "")),
        ("[audit]", ("", "audit")),
    ],
)
def test_program(tag: str, expected: tuple[str, str]) -> None:
    assert program(tag) == expected
