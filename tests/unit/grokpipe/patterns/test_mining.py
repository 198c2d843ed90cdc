"""Template mining: slots that hold data fold, choices between a few literals stay apart."""

from __future__ import annotations

from collections import Counter

from grokpipe.patterns.mining import Key, generalise, mine, pattern_id, same_arity_pattern


def keys(*messages: str, times: int = 1) -> Counter[Key]:
    return Counter({tuple(m.split()): times for m in messages})


def test_many_rare_words_in_one_slot_are_a_parameter() -> None:
    users = ["webmaster", "test", "chen", "pgadmin", "utsims", "inspur", "oracle"]
    counts = keys(*[f"Invalid user {u} from <*>" for u in users])
    general = generalise(counts)
    assert {general[k] for k in counts} == {("Invalid", "user", "<*>", "from", "<*>")}


def test_a_few_frequent_words_are_literals() -> None:
    counts = keys(
        "attempt_<*> TaskAttempt Transitioned from NEW to UNASSIGNED",
        "attempt_<*> TaskAttempt Transitioned from UNASSIGNED to ASSIGNED",
        "attempt_<*> TaskAttempt Transitioned from ASSIGNED to RUNNING",
        times=40,
    )
    assert len({p.id for p in mine(counts).values()}) == 3


def test_the_first_word_of_a_short_message_names_the_event() -> None:
    counts = keys(*[f"{verb} (command <*>)" for verb in ("boot", "wait", "halt", "risBoot", "bootGenvmunix")])
    assert len({p.id for p in mine(counts).values()}) == 5


def test_masked_values_in_one_slot_fold() -> None:
    counts = keys("Block rdd_<*> stored as bytes", "Block broadcast_<*>_piece<*> stored as bytes")
    assert len({p.id for p in mine(counts).values()}) == 1


def test_a_slot_named_by_its_context_folds_elsewhere() -> None:
    counts = keys(*[f"session opened for user {u} by (uid=<*>)" for u in ("root", "news", "cyrus", "test")])
    counts.update(keys("session closed for user news", "session closed for user cyrus", times=30))
    patterns = mine(counts)
    assert len({patterns[k].id for k in counts if k[1] == "closed"}) == 1


def test_arity_runs_of_bare_values_join() -> None:
    a = ("<*>", "close,", "<*>", "(<*>)", "sent,", "<*>", "received,", "lifetime", "<*>")
    b = ("<*>", "close,", "<*>", "sent,", "<*>", "(<*>)", "received,", "lifetime", "<*>")
    assert same_arity_pattern(a, b)


def test_arity_runs_that_name_something_keep_keys_apart() -> None:
    a = ("authentication", "failure;", "logname=", "uid=<*>", "euid=<*>", "tty=ssh", "ruser=", "rhost=<*>")
    b = (*a, "user=<*>")
    assert not same_arity_pattern(a, b)


def test_pattern_id_is_stable() -> None:
    assert pattern_id(("a", "<*>")) == pattern_id(["a", "<*>"])
    assert pattern_id(("a", "<*>")) != pattern_id(("b", "<*>"))
    assert len(pattern_id(("a",))) == 12


def test_a_slot_after_a_naming_word_is_a_parameter_however_often_its_words_repeat() -> None:
    counts = keys(*[f"Invalid user {u} from <*>" for u in ("chen", "inspur", "oracle")], times=50)
    assert len({p.id for p in mine(counts).values()}) == 1


def test_dotted_subjects_of_a_long_message_fold() -> None:
    tail = "scheduler_evaluate_activity told me to run this job; however, the start time is later"
    counts = keys(
        *[f"com.apple.{name}: {tail}" for name in ("cts.heartbeat", "Safari.Update", "Escrow.daily")], times=9
    )
    assert len({p.id for p in mine(counts).values()}) == 1


def test_two_value_positions_fold_only_where_they_vary() -> None:
    counts = keys(
        '<*> "GET /v<*>/servers/detail HTTP/<*>" status: <*>',
        '<*> "GET /openstack/<*>/meta_data.json HTTP/<*>" status: <*>',
        '<*> "GET /latest/meta-data/ HTTP/<*>" status: <*>',
        '<*> "GET /latest/meta-data/placement/ HTTP/<*>" status: <*>',
    )
    patterns = mine(counts)
    assert {p.template for p in patterns.values()} == {'<*> "GET <*> HTTP/<*>" status: <*>'}


def test_upper_case_constants_are_a_choice_however_rare() -> None:
    counts = keys(*[f'<*> "{verb} <*> HTTP/<*>" status: <*>' for verb in ("GET", "POST", "DELETE")])
    counts.update(
        keys(*[f"[instance: <*>] VM {state} (Lifecycle Event)" for state in ("Paused", "Resumed", "Started")])
    )
    assert len({p.id for p in mine(counts).values()}) == 6


def test_constants_after_a_naming_word_stay_apart() -> None:
    counts = keys(*[f"Location icon should now be in state '{s}'" for s in ("Active", "Inactive")], times=5)
    counts.update(keys(*[f"session opened for user {u} now" for u in ("root", "news")], times=5))
    patterns = mine(counts)
    assert len({patterns[k].id for k in counts if k[0] == "Location"}) == 2
    assert len({patterns[k].id for k in counts if k[0] == "session"}) == 1
