"""The grouping_key and fingerprint steps, through the shipped pipelines: the field contract of a grouped event."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from grokpipe.indexer.errors import PipelineError
from grokpipe.indexer.fields import get
from grokpipe.indexer.pipeline import Router

NGINX_SEED = (  # the exact line: the seeded "PHP fatal errors" rule must fire for it
    '2026/12/02 14:00:00 [error] 1234#0: *5 FastCGI sent in stderr: "PHP message: PHP Fatal error:  '
    "Uncaught Error: Call to undefined function foo() in /home/wwwroot/api.example.com/app/Http/Controller.php:57"
)
NGINX_ON_LINE = (
    '2026/12/02 14:00:01 [error] 1234#0: *6 FastCGI sent in stderr: "PHP message: PHP Fatal error:  '
    'Uncaught Error: Call to undefined function foo() in /x.php on line 57" while reading response header from '
    'upstream, client: 192.0.2.1, server: api.example.com, request: "GET / HTTP/1.1"'
)
PHP_FPM = (
    "[02-Dec-2026 14:00:00 UTC] PHP Fatal error:  Uncaught Error: Call to undefined function foo() in "
    "/home/wwwroot/api.example.com/app/Http/Controller.php:57\nStack trace:\n#0 {main}\n  thrown in "
    "/home/wwwroot/api.example.com/app/Http/Controller.php on line 57"
)
APACHE = (
    "[Wed Dec 02 14:00:00.123456 2026] [proxy_fcgi:error] [pid 4242:tid 140] [client 203.0.113.5:50412] "
    "AH01071: Got error 'PHP message: PHP Fatal error:  Uncaught Error: Call to undefined function foo() in "
    "/home/wwwroot/api.example.com/app/Http/Controller.php:57'"
)
PY_TRACEBACK = (
    "2026-12-02 14:00:00,123 ERROR billing.charge Charging order 42 failed\n"
    "Traceback (most recent call last):\n"
    '  File "/srv/app/billing/views.py", line 20, in post\n'
    "    charge(order)\n"
    '  File "/srv/app/billing/charge.py", line 31, in charge\n'
    "    response = requests.post(url, json=body)\n"
    '  File "/srv/venv/lib/python3.11/site-packages/requests/api.py", line 115, in post\n'
    "    return request('post', url, data=data, json=json, **kwargs)\n"
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pay.example.com', port=443): Max retries exceeded"
)
JAVA_TRACE = (
    "2026-12-02 14:00:00.123 ERROR [http-nio-8080-exec-1] com.example.shop.CartController - Request failed\n"
    "java.lang.IllegalStateException: cart 9f86d081884c7d65 is closed\n"
    "\tat java.base/java.util.Objects.requireNonNull(Objects.java:233)\n"
    "\tat com.example.shop.Cart.total(Cart.java:88)\n"
    "\tat com.example.shop.CartController.view(CartController.java:57)\n"
    "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)\n"
    "Caused by: java.sql.SQLException: timeout\n"
    "\tat com.example.shop.Db.query(Db.java:12)\n"
    "\t... 4 more"
)
PY_ERROR_LINE = "2026-12-02 14:00:00,500 ERROR billing.db connect to 10.0.0.3:5432 timed out after 3000ms"


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load()


def run(router: Router, dataset: str, message: str, **fields: Any) -> dict[str, Any]:
    return router({"message": message, "event": {"dataset": dataset}, **fields})


CONTRACT = ["error.grouping_key", "error.title", "error.culprit", "log.origin.file.name", "log.origin.file.line",
            "log.origin.function", "log.level"]  # fmt: skip


@pytest.mark.parametrize(
    ("dataset", "message", "expected"),
    [
        (
            "nginx.error",
            NGINX_SEED,
            {
                "error.title": "Error: Call to undefined function foo()",
                "error.culprit": "/home/wwwroot/api.example.com/app/Http/Controller.php:57",
                "log.origin.file.name": "/home/wwwroot/api.example.com/app/Http/Controller.php",
                "log.origin.file.line": 57,
                "log.origin.function": None,
                "log.level": "critical",
            },
        ),
        (
            "python.traceback",
            PY_TRACEBACK,
            {
                "error.title": "requests.exceptions.ConnectionError: HTTPSConnectionPool(host=<str>, port=<int>): "
                "Max retries exceeded",
                "error.culprit": "/srv/app/billing/charge.py in charge",  # innermost in-app, not requests
                "log.origin.file.name": "/srv/app/billing/charge.py",
                "log.origin.file.line": 31,
                "log.origin.function": "charge",
                "log.level": "error",
            },
        ),
        (
            "java.stacktrace",
            JAVA_TRACE,
            {
                "error.title": "java.lang.IllegalStateException: cart <hex> is closed",  # top-level, not Caused by
                "error.culprit": "com.example.shop.Cart.total",
                "log.origin.file.name": "com/example/shop/Cart.java",
                "log.origin.file.line": 88,
                "log.origin.function": "com.example.shop.Cart.total",
                "log.level": "error",
            },
        ),
        (
            "python.traceback",
            PY_ERROR_LINE,
            {
                "error.title": "connect to <host:port> timed out after <duration>",
                "error.culprit": "billing.db",
                "log.origin.file.name": None,
                "log.origin.file.line": None,
                "log.origin.function": None,
                "log.level": "error",
            },
        ),
    ],
    ids=["php-via-nginx", "python", "java", "plain-error-line"],
)
def test_field_contract(router: Router, dataset: str, message: str, expected: dict[str, Any]) -> None:
    event = run(router, dataset, message)
    assert len(get(event, "error.grouping_key")) == 32
    assert {path: get(event, path) for path in expected} == expected


def test_same_php_error_keys_identically_through_php_fpm_nginx_and_apache(router: Router) -> None:
    events = [
        run(router, "php.error", PHP_FPM),
        run(router, "nginx.error", NGINX_SEED),
        run(router, "nginx.error", NGINX_SEED + '" while reading response header from upstream, client: 192.0.2.1'),
        run(router, "apache.error", APACHE),
    ]
    assert len({get(e, "error.grouping_key") for e in events}) == 1
    assert {get(e, "error.title") for e in events} == {"Error: Call to undefined function foo()"}
    assert {get(e, "error.culprit") for e in events} == {"/home/wwwroot/api.example.com/app/Http/Controller.php:57"}
    assert {get(e, "log.level") for e in events} == {"critical"}
    other_line = run(router, "nginx.error", NGINX_SEED.replace("Controller.php:57", "Controller.php:58"))
    assert get(other_line, "error.grouping_key") != get(events[0], "error.grouping_key")


def seeded_rule_matches(event: dict[str, Any]) -> bool:
    # examples/api.yml: event.dataset:(php.error OR nginx.error) AND log.level:critical
    return get(event, "event.dataset") in ("php.error", "nginx.error") and get(event, "log.level") == "critical"


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        ("nginx.error", NGINX_SEED),
        ("nginx.error", NGINX_ON_LINE),
        ("nginx.error", NGINX_SEED.replace("Fatal error", "Parse error")),
        ("php.error", PHP_FPM),
        ("php.error", "[02-Dec-2026 14:00:00 UTC] PHP Parse error:  syntax error, unexpected end in /x.php on line 9"),
        ("apache.error", APACHE),
    ],
)  # fmt: skip
def test_php_fatal_and_parse_errors_are_critical_whichever_log(router: Router, dataset: str, message: str) -> None:
    event = run(router, dataset, message)
    assert get(event, "log.level") == "critical"
    assert seeded_rule_matches(event) or dataset == "apache.error"


def test_php_warning_through_nginx_keeps_nginx_level(router: Router) -> None:
    warning = NGINX_SEED.replace(
        "Fatal error:  Uncaught Error: Call to undefined function foo()", "Warning:  Undefined variable $x"
    )
    event = run(router, "nginx.error", warning)
    assert (get(event, "log.level"), get(event, "error.type")) == ("error", "Warning")
    assert len(get(event, "error.grouping_key")) == 32


def test_python_same_frame_other_line_same_group(router: Router) -> None:
    moved = PY_TRACEBACK.replace("line 31, in charge", "line 44, in charge").replace("order 42", "order 7")
    a, b = run(router, "python.traceback", PY_TRACEBACK), run(router, "python.traceback", moved)
    assert get(a, "error.grouping_key") == get(b, "error.grouping_key")
    assert get(b, "log.origin.file.line") == 44  # the event still says where it was raised, for git blame


def test_bare_python_traceback(router: Router) -> None:
    bare = PY_TRACEBACK.split("\n", 1)[1]  # an uncaught exception on stderr: no logging line before it
    event = run(router, "python.traceback", bare)
    assert (get(event, "log.level"), get(event, "error.culprit")) == ("error", "/srv/app/billing/charge.py in charge")
    assert get(event, "error.grouping_key") == get(run(router, "python.traceback", PY_TRACEBACK), "error.grouping_key")


def test_unparsed_and_info_lines_are_not_grouped(router: Router) -> None:
    for dataset, message in [
        ("python.traceback", "2026-12-02 14:00:00,500 INFO billing.db connected"),
        ("python.traceback", "some print() output"),
        ("nginx.error", "2026/12/02 14:00:00 [warn] 1#0: *1 an upstream response is buffered to a temporary file"),
        ("syslog", "Accepted publickey for deploy from 198.51.100.2 port 40022 ssh2"),
    ]:
        assert get(run(router, dataset, message), "error.grouping_key") is None, message


def test_syslog_severity_sets_the_level_and_errors_group(router: Router) -> None:
    def syslog(code: int, message: str) -> dict[str, Any]:
        return run(router, "syslog", message, log={"syslog": {"severity": {"code": code}, "appname": "postgres"}})

    names = [get(syslog(code, "x"), "log.level") for code in range(8)]
    assert names == ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"]
    a, b = (
        syslog(3, "could not connect to 10.0.0.3:5432: timeout"),
        syslog(2, "could not connect to 10.0.0.9:5432: timeout"),
    )
    assert get(a, "error.grouping_key") == get(b, "error.grouping_key")
    assert (get(a, "error.title"), get(a, "error.culprit")) == ("could not connect to <host:port>: timeout", "postgres")
    assert get(syslog(4, "could not connect"), "error") is None


def test_docker_errors_group_by_container_name_not_id(router: Router) -> None:
    def docker(container_id: str) -> dict[str, Any]:
        return run(router, "docker", "ERROR connect to 10.0.0.3:5432 timed out after 3000ms",
                   container={"id": container_id, "name": "billing"})  # fmt: skip

    a, b = docker("abc123def456"), docker("0123456789ab")
    assert get(a, "error.grouping_key") == get(b, "error.grouping_key")
    assert (get(a, "error.title"), get(a, "error.culprit")) == (
        "ERROR connect to <host:port> timed out after <duration>",
        "billing",
    )


# -- step options and the fingerprint step, on a pipeline of their own ----------------------------


def library(tmp_path: Path, steps: list[dict[str, Any]]) -> Path:
    (tmp_path / "patterns").mkdir(exist_ok=True)
    (tmp_path / "patterns" / "p").write_text("WORD \\b\\w+\\b\n")
    (tmp_path / "pipelines").mkdir(exist_ok=True)
    (tmp_path / "pipelines" / "x.yml").write_text(yaml.safe_dump({"steps": steps}))
    (tmp_path / "routing.yml").write_text("datasets: {x.app: x}\n")
    return tmp_path


def event(**fields: Any) -> dict[str, Any]:
    return {"message": "m", "event": {"dataset": "x.app"}, **fields}


ERROR = {"log": {"level": "error"}, "error": {"message": "payment 42 declined", "type": "Declined"},
         "service": {"name": "billing"}}  # fmt: skip


def test_fingerprint_step_overrides_the_key_from_chosen_fields(tmp_path: Path) -> None:
    def key(steps: list[dict[str, Any]], fields: dict[str, Any]) -> str | None:
        root = tmp_path / str(len(list(tmp_path.iterdir())))
        root.mkdir()
        found = get(Router.load(library(root, steps))(event(**fields)), "error.grouping_key")
        return found if isinstance(found, str) else None

    grouped: list[dict[str, Any]] = [{"grouping_key": {}}]
    by_service = [*grouped, {"fingerprint": {"fields": ["service.name", "error.type"]}}]
    with_default = [*grouped, {"fingerprint": {"fields": ["{{ default }}", "service.name"]}}]
    default_only = [*grouped, {"fingerprint": {"fields": ["{{default}}"]}}]
    other_message = ERROR | {"error": {"message": "totally different", "type": "Declined"}}
    other_service = ERROR | {"service": {"name": "shop"}}

    default = key(grouped, ERROR)
    assert default is not None
    assert key(default_only, ERROR) == default  # {{ default }} alone is the computed key
    assert key(by_service, ERROR) not in (None, default)
    assert key(by_service, ERROR) == key(by_service, other_message)  # the message no longer counts
    assert key(by_service, ERROR) != key(by_service, other_service)
    assert key(with_default, ERROR) != key(with_default, other_message)
    assert key(with_default, ERROR) != key(with_default, other_service)
    assert key(by_service, {"log": {"level": "info"}}) is None  # only grouped events are re-keyed
    when = [*grouped, {"fingerprint": {"fields": ["service.name"], "when": {"equals": {"service.name": "shop"}}}}]
    assert key(when, ERROR) == default
    assert key(when, other_service) != key(grouped, other_service)


def test_grouping_key_options(tmp_path: Path) -> None:
    steps = [{"grouping_key": {"levels": ["warning"], "target": "x.key", "logger_fields": ["service.name"],
                               "message_fields": ["log.message"]}}]  # fmt: skip
    router = Router.load(library(tmp_path, steps))
    out = router(event(log={"level": "WARNING", "message": "disk 91% full"}, service={"name": "db"}))
    assert len(get(out, "x.key")) == 32
    assert (get(out, "error.title"), get(out, "error.culprit")) == ("disk <int>% full", "db")
    assert get(router(event(log={"level": "error", "message": "x"})), "x.key") is None


def test_library_prefixes_options(tmp_path: Path) -> None:
    trace = PY_TRACEBACK.split("\n", 1)[1].rsplit("\n", 1)[0]
    fields = {"error": {"type": "ConnectionError", "stack_trace": trace}}
    extra = Router.load(library(tmp_path, [{"grouping_key": {"extra_library_prefixes": ["/srv/app/billing/charge"]}}]))
    assert get(extra(event(**fields)), "error.culprit") == "/srv/app/billing/views.py in post"
    (tmp_path / "pipelines" / "x.yml").write_text(
        yaml.safe_dump({"steps": [{"grouping_key": {"library_prefixes": []}}]})
    )
    none = Router.load(tmp_path)  # no library code at all: the innermost frame
    assert (
        get(none(event(**fields)), "error.culprit") == "/srv/venv/lib/python3.11/site-packages/requests/api.py in post"
    )


@pytest.mark.parametrize(
    ("step", "fragment"),
    [
        ({"grouping_key": {"levels": "error"}}, "'levels' must be a list"),
        ({"grouping_key": {"levels": [1]}}, "'levels' must be a list"),
        ({"grouping_key": {"library_prefixes": "site-packages"}}, "'library_prefixes' must be a list"),
        ({"grouping_key": {"extra_library_prefixes": [""]}}, "'extra_library_prefixes' must be a list"),
        ({"grouping_key": {"message_fields": None}}, "'message_fields' must be a list"),
        ({"grouping_key": {"logger_fields": {}}}, "'logger_fields' must be a list"),
        ({"grouping_key": {"target": ""}}, "'target' must be a field path"),
        ({"grouping_key": {"level": ["error"]}}, "unknown option(s) level"),
        ({"fingerprint": {}}, "'fields' must be a non-empty list"),
        ({"fingerprint": {"fields": []}}, "'fields' must be a non-empty list"),
        ({"fingerprint": {"fields": "service.name"}}, "'fields' must be a non-empty list"),
        ({"fingerprint": {"fields": ["a"], "title": "x"}}, "unknown option(s) title"),
    ],
)
def test_bad_options_fail_at_load_naming_the_option(tmp_path: Path, step: dict[str, Any], fragment: str) -> None:
    with pytest.raises(PipelineError) as raised:
        Router.load(library(tmp_path, [{"tag": {"tags": ["a"]}}, step]))
    assert fragment in str(raised.value)
    assert f"steps[1] ({next(iter(step))})" in str(raised.value)
