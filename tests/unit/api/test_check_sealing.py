"""Sealing of check secrets: what is stored, what opens, what is stale after a rotation."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr, ValidationError

from grokpipe.api.checks.sealing import Sealer, generate_key, valid_key
from grokpipe.api.checks.settings import CheckSettings
from grokpipe.settings import format_validation_error


def sealer(*keys: str) -> Sealer:
    return Sealer([SecretStr(k) for k in keys])


def test_sealed_values_are_not_in_the_stored_document_and_open_again() -> None:
    key = generate_key()
    stored = sealer(key).seal_all({"password": "hunter2", "token": "t0k"})
    assert "hunter2" not in json.dumps(stored)
    assert "t0k" not in json.dumps(stored)
    opened = sealer(key).open_all(stored)
    assert (opened.secrets, opened.unopened, opened.stale) == ({"password": "hunter2", "token": "t0k"}, {}, False)


def test_each_seal_differs_so_equal_secrets_do_not_show() -> None:
    stored = sealer(generate_key()).seal_all({"a": "same", "b": "same"})
    assert stored["a"] != stored["b"]


def test_without_keys_secrets_are_plain_and_not_stale() -> None:
    stored = sealer().seal_all({"password": "hunter2"})
    assert stored == {"password": "hunter2"}
    assert sealer().open_all(stored).stale is False


def test_plain_secrets_are_stale_once_a_key_is_set() -> None:
    opened = sealer(generate_key()).open_all({"password": "hunter2"})
    assert (opened.secrets, opened.stale) == ({"password": "hunter2"}, True)


def test_a_secret_sealed_under_the_second_key_opens_and_is_stale() -> None:
    old, new = generate_key(), generate_key()
    stored = sealer(old).seal_all({"password": "hunter2"})
    opened = sealer(new, old).open_all(stored)
    assert (opened.secrets, opened.stale) == ({"password": "hunter2"}, True)
    assert sealer(new, old).open_all(sealer(new, old).seal_all(opened.secrets)).stale is False


def test_a_secret_sealed_under_a_missing_key_is_named_not_opened() -> None:
    stored = sealer(generate_key()).seal_all({"password": "hunter2"}) | {"plain": "p"}
    opened = sealer(generate_key()).open_all(stored)
    assert (opened.secrets, opened.unopened) == ({"plain": "p"}, {"password": stored["password"]})  # kept as stored
    assert list(sealer().open_all(stored).unopened) == ["password"]  # no keys at all


def test_a_stored_value_that_is_no_token_is_unopened_not_an_error() -> None:
    opened = sealer(generate_key()).open_all({"password": {"sealed": "ünïcode, not a token"}})
    assert list(opened.unopened) == ["password"]


@pytest.mark.parametrize(
    "key", ["", "short", "x" * 44, generate_key()[:-4]], ids=["empty", "short", "not-a-key", "cut"]
)
def test_invalid_keys_are_refused_by_position_without_their_value(key: str) -> None:
    assert not valid_key(key)
    with pytest.raises(ValidationError) as info:
        CheckSettings.model_validate({"secrets_keys": [generate_key(), key]})
    message = format_validation_error(info.value, "api.yml")
    assert "secrets_keys: Value error, key 1 is not 32 bytes" in message
    assert not key or key not in message
