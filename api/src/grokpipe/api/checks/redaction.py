"""Secret values out of a check's results: every form the check itself may have sent them in.

A check sends a secret literally, or encoded by the request it builds: percent-encoded in a query
(``params``: ``a b@c`` → ``a+b%40c``), in a URL's path, query or user info, in a form body written
with Jinja's ``urlencode``; JSON-escaped in a ``json`` body (``"``, ``\\``, non-ASCII as ``\\u00fc``);
base64 in the ``Authorization: Basic`` header httpx makes from a URL's user info. A target that echoes
any of these (a response body, a redirect URL), as sent or JSON-escaped in its own JSON answer, must not
put the secret in front of read keys, so :func:`encodings` lists them all and :func:`redact` replaces
each, longest first, by ``[redacted]``.

Base64 of a longer text that holds the secret (``user:secret``) depends on where the secret starts
modulo 3: for secrets of 8 bytes and more, the run of whole base64 groups that only the secret's bytes
make is redacted at each of the 3 alignments; for shorter ones, the exact user info of the run's URLs.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterable
from typing import Any

import httpx

REDACTED = "[redacted]"
#: base64 fragments shorter than this (characters) are not redacted on their own: they would match by chance
MIN_FRAGMENT = 8


def encodings(secret: str) -> list[str]:
    """``secret`` and each encoding a check's request may give it, longest first."""
    if not secret:
        return []
    sent = {secret} | _url_forms(secret) | _json_forms(secret) | _base64_forms(secret.encode())
    echoed = {escaped for form in sent for escaped in _json_forms(form)}  # a target's JSON answer quoting it
    return sorted((f for f in sent | echoed if f), key=lambda f: (-len(f), f))


def basic_auth(urls: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """The base64 credentials httpx sends for each URL whose user info holds a secret."""
    wanted = [s for s in secrets if s]
    out: set[str] = set()
    for text in urls:
        try:
            url = httpx.URL(text)
        except httpx.InvalidURL:
            continue
        if not url.userinfo:
            continue
        user, _, password = url.userinfo.decode("ascii", errors="replace").partition(":")
        plain = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
        if any(s in plain for s in wanted):
            for encode in (base64.b64encode, base64.urlsafe_b64encode):
                whole = encode(plain.encode()).decode()
                out |= {whole, whole.rstrip("=")}
    return sorted(out, key=lambda f: (-len(f), f))


def redact(value: Any, forms: list[str]) -> Any:
    """``value`` (JSON-like) with every string's occurrences of ``forms`` replaced, in order."""
    if not forms:
        return value
    if isinstance(value, str):
        for form in forms:
            value = value.replace(form, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: redact(v, forms) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, forms) for v in value]
    return value


def urls_in(value: Any) -> list[str]:
    """Every ``url`` string of a result (the request's, or the response's after redirects)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "url" and isinstance(item, str):
                found.append(item)
            else:
                found.extend(urls_in(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(urls_in(item))
    return found


def _url_forms(secret: str) -> set[str]:
    forms = {
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret, safe="/"),  # Jinja's urlencode filter
        urllib.parse.quote_plus(secret, safe=""),
        urllib.parse.quote_plus(secret, safe="/"),
        str(httpx.QueryParams({"k": secret}))[2:],  # a check's params
    }
    try:  # as httpx writes it in a URL's path, query and user info
        base = httpx.URL("http://h/")
        forms.add(base.copy_with(path="/" + secret).raw_path.decode()[1:])
        forms.add(httpx.URL("http://h/?q=" + secret.replace("#", "%23")).query.decode()[2:])
        forms.add(base.copy_with(username=secret).userinfo.decode())
    except (httpx.InvalidURL, ValueError):  # a secret no URL can hold is not sent in one
        pass
    return forms


def _json_forms(secret: str) -> set[str]:
    ascii_ = json.dumps(secret)[1:-1]
    native = json.dumps(secret, ensure_ascii=False)[1:-1]
    return {ascii_, native, ascii_.replace("/", "\\/"), native.replace("/", "\\/")}


def _base64_forms(data: bytes) -> set[str]:
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode()
        forms |= {whole, whole.rstrip("=")}
        for skip in range(3):  # the secret starting at each offset modulo 3 of a longer encoded text
            rest = data[skip:]
            forms.add(encode(rest[: len(rest) // 3 * 3]).decode())
    return {f for f in forms if len(f) >= MIN_FRAGMENT}
