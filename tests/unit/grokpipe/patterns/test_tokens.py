"""Token masking: variable parts glued to words become one placeholder; literal words stay."""

from __future__ import annotations

import time

import pytest

from grokpipe.patterns.tokens import MAX_TOKENS, VAR, key_tokens, mask_token, split

TOKENS = [
    ("blk_-6952295868487656571", "blk_<*>"),  # a sign glued to the number is part of it
    ("blk_38865049064139660", "blk_<*>"),
    ("rdd_2_0", "rdd_<*>"),  # values and the punctuation between them: one placeholder
    ("broadcast_9_piece0", "broadcast_<*>_piece<*>"),
    ("30546173_4261722401", "<*>"),
    ("10.251.73.220:50010", "<*>"),
    ("/10.251.42.84", "/<*>"),
    ("0x0b85eee0", "<*>"),
    ("mask=ffffffff", "mask=<*>"),  # hex letters without a digit
    ("PopupWindow:317e46", "PopupWindow:<*>"),
    ("-127633188", "<*>"),
    ("node-246", "node-<*>"),  # a dash between a word and a number is not a sign
    ("core.2275", "core.<*>"),
    ("storage234", "storage<*>"),
    ("user=root", "user=<*>"),  # name=value: the value whatever it holds
    ("rhost=massive.merukuru.org", "rhost=<*>"),
    ("environment:os.name=Linux", "environment:<*>"),
    ("dsl.static.example.net", "<*>"),  # a DNS name
    ("(FE80:0000:0000:0000:D8A5:90FF:FEF5:7FFF)", "<*>"),  # IPv6
    ("5c:50:15:4c:18:13", "<*>"),  # MAC
    ("sshd(pam_unix)[19939]:", "sshd(pam_unix)[<*>]:"),
    ("terminating", "terminating"),
    ("org.apache.hadoop.mapreduce.v2.app.MRAppMaster", "org.apache.hadoop.mapreduce.v<*>.app.MRAppMaster"),
    ("a\x00\x01b", "<*>"),  # binary garbage is a value
]


@pytest.mark.parametrize(("token", "masked"), TOKENS)
def test_mask_token(token: str, masked: str) -> None:
    assert mask_token(token) == masked


MESSAGES = [
    (
        "BLOCK* ask 10.251.74.79:50010 to delete  blk_2244903517044280975 blk_-5231235445689843839",
        ["BLOCK*", "ask", "<*>", "to", "delete", "blk_<*>"],  # a list of one kind of value is one slot
    ),
    ("Block broadcast_9 stored (estimated size 5.2 KB, free 14.0 KB)", None),
    ("close, 0 bytes sent, lifetime <1 sec", ["close,", "<*>", "sent,", "lifetime", "<<*>"]),  # units fold
    ("connection from 1.2.3.4 () at Wed Jun 22 13:16:30 2005 ", ["connection", "from", "<*>", "()", "at", "<*>"]),
    ('acquire lock=1, tag="View Lock", uid=2', ["acquire", "lock=<*>,", "tag=<*>,", "uid=<*>"]),  # quoted, spaces
    ('acquire lock=1, tag="*launch*", uid=2', ["acquire", "lock=<*>,", "tag=<*>,", "uid=<*>"]),
    ('he said "a b" then x="c d"', ["he", "said", '"a', 'b"', "then", "x=<*>"]),  # only a named value folds
    ('open() "/usr/share/nginx/html/x.png" failed', ["open()", '"<*>"', "failed"]),  # a path is a value
    ("GET /latest/meta-data/ and /v2/ab/servers at http://h/x", ["GET", "<*>", "and", "<*>", "at", "<*>"]),
    ("visible com.tencent.qt/com.tencent.Player /", ["visible", "com.tencent.qt/com.tencent.Player", "/"]),
    ("key SHA256:bLzOS78+3pc1f4RhNTad/8k and storage234", ["key", "SHA<*>", "and", "storage<*>"]),  # base64
]


@pytest.mark.parametrize(("message", "expected"), MESSAGES)
def test_split(message: str, expected: list[str] | None) -> None:
    tokens = split(message)
    if expected is not None:
        assert tokens == expected
    assert all(VAR in t or not any(c.isdigit() for c in t) for t in tokens)


def test_key_tokens_use_one_placeholder() -> None:
    assert key_tokens(["Block", "rdd_<*>", "stored", "<*>", "(<*>)"]) == ("Block", "<*>", "stored", "<*>")
    assert key_tokens(["Block", "broadcast_<*>_piece<*>", "stored"]) == ("Block", "<*>", "stored")


@pytest.mark.parametrize(
    "message",
    [
        "x" * (1 << 20),  # a line of 1 MiB
        " ".join(f"t{i}" for i in range(100_000)),  # 100,000 tokens
        bytes(range(256)).decode("latin-1") * 4096,  # binary garbage
        b"caf\xc3\x28 \xff\xfe".decode("utf-8", "replace") * 50_000,  # invalid UTF-8, replaced
    ],
    ids=["1MiB", "100k-tokens", "binary", "invalid-utf8"],
)
def test_bad_input_is_bounded(message: str) -> None:
    tokens = split(message)
    assert len(tokens) <= MAX_TOKENS + 1
    assert sum(len(t) for t in tokens) <= 4096 + MAX_TOKENS * 3


def test_no_time_assertion_only_bounds() -> None:
    # the bound is on the work, not on a clock: the same message twice gives the same tokens
    start = time.perf_counter()
    first = split("a " * 500_000)
    assert first == split("a " * 500_000)
    assert time.perf_counter() >= start
