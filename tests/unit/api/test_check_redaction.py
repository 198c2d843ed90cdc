"""Every encoding a check gives a secret is redacted (pure: the encoders, and what redaction leaves)."""

from __future__ import annotations

import base64
import json
import urllib.parse

import httpx
import pytest

from grokpipe.api.checks.redaction import REDACTED, basic_auth, encodings, redact, urls_in

SECRET = 'p@ss/w+rd&x=1 ü"\\é'


def _b64_in(prefix: str, secret: str) -> str:
    return base64.b64encode((prefix + secret).encode()).decode()


SENT = [
    ("literal", SECRET),
    ("params (httpx)", str(httpx.QueryParams({"q": SECRET}))[2:]),
    ("form, quote_plus", urllib.parse.quote_plus(SECRET)),
    ("urlencode filter", urllib.parse.quote(SECRET, safe="/")),
    ("percent, nothing safe", urllib.parse.quote(SECRET, safe="")),
    ("URL path (httpx)", httpx.URL("http://h/").copy_with(path="/" + SECRET).raw_path.decode()[1:]),
    ("JSON", json.dumps(SECRET)[1:-1]),
    ("JSON, unicode kept", json.dumps(SECRET, ensure_ascii=False)[1:-1]),
    ("JSON, slash escaped", json.dumps(SECRET)[1:-1].replace("/", "\\/")),
    ("JSON echo of JSON", json.dumps(json.dumps(SECRET)[1:-1])[1:-1]),
    ("JSON echo of a query", json.dumps(str(httpx.QueryParams({"q": SECRET}))[2:])[1:-1]),
    ("base64", base64.b64encode(SECRET.encode()).decode()),
    ("base64 in 'user:…' (offset 5)", _b64_in("user:", SECRET)),
    ("base64 in 'ab:…' (offset 3)", _b64_in("ab:", SECRET)),
    ("base64 in 'a:…' (offset 2)", _b64_in("a:", SECRET)),
    ("urlsafe base64", base64.urlsafe_b64encode(SECRET.encode()).decode()),
]


@pytest.mark.parametrize(("how", "form"), SENT)
def test_no_encoding_of_the_secret_survives(how: str, form: str) -> None:
    text = f"before {form} after"
    redacted = redact(text, encodings(SECRET))
    assert REDACTED in redacted
    for part in (SECRET, urllib.parse.quote(SECRET), json.dumps(SECRET)[1:-1], "w+rd&x=1"):
        assert part not in redacted


def test_forms_are_longest_first_and_short_base64_is_not_a_form() -> None:
    forms = encodings("pw")
    assert forms == sorted(forms, key=lambda f: (-len(f), f))
    assert "cHc" not in forms  # 3 characters of base64 would match by chance
    assert encodings("") == []


def test_basic_auth_of_a_short_secret_from_the_urls_of_the_run() -> None:
    result = {"rows": [{"steps": [{"url": "http://qa:pw%21@h/x"}, {"url": "http://h/y"}]}]}
    urls = urls_in(result)
    assert urls == ["http://qa:pw%21@h/x", "http://h/y"]
    forms = basic_auth(urls, ["pw!"])
    assert base64.b64encode(b"qa:pw!").decode() in forms
    assert basic_auth(urls, ["other"]) == []
    assert redact({"auth": "Basic cWE6cHch"}, forms) == {"auth": f"Basic {REDACTED}"}
