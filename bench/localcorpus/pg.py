"""PostgreSQL 15: initdb and pg_ctl in a folder of their own (as the postgres user: the server refuses
root), Debian's log_line_prefix, connections, disconnections, checkpoints, lock waits, temporary files
and statements over 40 ms logged; driven by psql: logins with wrong passwords, unknown roles and
databases, queries that fail (missing tables and columns, syntax, constraints, permissions, timeouts,
lock waits), slow queries, DDL; a restart half-way.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import threading
from pathlib import Path

from localcorpus.base import Log, Program, events, free_port, run

BIN = Path("/usr/lib/postgresql/15/bin")
ROLES = {"app": "app-secret", "report": "report-secret", "etl": "etl-secret"}
DATABASES = ("shop", "analytics")
SETTINGS = {
    "log_line_prefix": "%m [%p] %q%u@%d ",  # Debian's postgresql.conf
    "log_connections": "on",
    "log_disconnections": "on",
    "log_checkpoints": "on",
    "log_lock_waits": "on",
    "deadlock_timeout": "100ms",
    "log_min_duration_statement": "40ms",
    "log_temp_files": "0",
    "work_mem": "64kB",
    "log_statement": "ddl",
    "listen_addresses": "127.0.0.1",
    "checkpoint_timeout": "30s",
}
SCHEMA = """CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE orders (id serial PRIMARY KEY, customer int REFERENCES customers, total numeric CHECK (total >= 0));
INSERT INTO customers SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 200) g;
GRANT SELECT, INSERT ON customers, orders TO app; GRANT USAGE ON SEQUENCE orders_id_seq TO app;
GRANT SELECT ON customers, orders TO report;"""


def produce(work: Path, rng: random.Random) -> None:
    data, port = work / "data", free_port()
    shutil.chown(work, "postgres")
    (work / "pw").write_text("postgres-secret\n")
    _as_postgres(
        [str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(work / "pw"), "-A", "scram-sha-256"]
    )
    options = " ".join(f"-c {key}='{value}'" for key, value in SETTINGS.items())
    ctl = [
        str(BIN / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(work / "postgresql.log"),
        "-w",
        "-o",
        f"-p {port} -k {work} {options}",
    ]
    _as_postgres([*ctl, "start"])
    try:
        psql = Psql(port)
        for role, password in ROLES.items():
            psql("postgres", "postgres", f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        for database in DATABASES:
            psql("postgres", "postgres", f"CREATE DATABASE {database}")
            psql("postgres", database, SCHEMA)
        for number in range(220):
            if number == 110:
                _as_postgres([*ctl, "restart", "-m", "fast"])
            _session(psql, rng)
        psql("postgres", "shop", "CHECKPOINT")
    finally:
        _as_postgres([*ctl, "stop", "-m", "fast"])


class Psql:
    """psql over TCP as a role with a password; what it prints does not matter, the server's log does."""

    def __init__(self, port: int) -> None:
        self.port = port

    def __call__(self, user: str, database: str, sql: str, password: str | None = None) -> None:
        env = {**os.environ, "PGPASSWORD": password or ROLES.get(user, "postgres-secret"), "PGCONNECT_TIMEOUT": "5"}
        argv = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", database, "-X", "-q", "-c", sql]
        run(argv, env=env)


def _session(psql: Psql, rng: random.Random) -> None:
    user, database = rng.choice(["app", "app", "report", "etl"]), rng.choice(DATABASES)
    kind = rng.choices(["ok", "slow", "error", "login", "lock", "sort", "ddl"], weights=[20, 15, 30, 20, 5, 5, 5])[0]
    if kind == "login":
        wrong = rng.choice(
            [
                (user, database, f"guess{rng.randint(1, 99)}"),
                (f"{rng.choice(['admin', 'root', 'bob'])}{rng.randint(1, 9)}", database, "x"),
                (user, f"{rng.choice(['prod', 'test', 'shop'])}_{rng.randint(1, 99)}", None),
            ]
        )
        psql(wrong[0], wrong[1], "SELECT 1", wrong[2])
    elif kind == "ok":
        psql(user, database, f"SELECT email FROM customers WHERE id = {rng.randint(1, 300)}")
    elif kind == "slow":
        psql(
            user,
            database,
            f"SELECT pg_sleep({rng.randint(5, 30) / 100}), count(*) FROM customers WHERE id > {rng.randint(1, 200)}",
        )
    elif kind == "sort":
        psql(
            user, database, f"SELECT g FROM generate_series(1, {rng.randint(20, 60) * 1000}) g ORDER BY g DESC LIMIT 1"
        )
    elif kind == "ddl":
        table = f"tmp_{rng.randint(1, 9999)}"
        psql("postgres", database, f"CREATE TABLE {table} (id int); DROP TABLE {table}")
    elif kind == "lock":
        _lock_wait(psql, database, rng)
    else:
        psql(
            user,
            database,
            rng.choice(
                [
                    f"SELECT * FROM {rng.choice(['invoices', 'payments', 'users'])}_{rng.randint(1, 9)}",
                    f"SELECT {rng.choice(['name', 'phone', 'created'])} FROM customers",
                    f"SELEC id FROM customers WHERE id = {rng.randint(1, 99)}",
                    f"SELECT {rng.randint(1, 99)} / 0",
                    f"INSERT INTO customers VALUES ({rng.randint(1, 200)}, 'dup@example.com')",
                    f"INSERT INTO orders (customer, total) VALUES ({rng.randint(300, 900)}, 10)",
                    f"INSERT INTO orders (customer, total) VALUES (1, -{rng.randint(1, 99)})",
                    "DELETE FROM customers",
                    f"SET statement_timeout = '{rng.randint(20, 50)}ms'; SELECT pg_sleep(0.2)",
                    f"SELECT '{rng.choice(['abc', '12x', 'tomorrow'])}'::int",
                ]
            ),
        )


def _lock_wait(psql: Psql, database: str, rng: random.Random) -> None:
    """Two sessions on one row: the second waits past deadlock_timeout (a lock-wait line), then gets it."""
    row = rng.randint(1, 200)
    holder = threading.Thread(
        target=psql,
        args=(
            "postgres",
            database,
            f"BEGIN; UPDATE customers SET email = email WHERE id = {row}; SELECT pg_sleep(0.4); COMMIT",
        ),
    )
    holder.start()
    threading.Event().wait(0.1)
    psql("postgres", database, f"UPDATE customers SET email = email WHERE id = {row}")
    holder.join()


def _as_postgres(argv: list[str]) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], capture_output=True, check=True, timeout=120)


# elog.c log_line_prefix "%m [%p] %q%u@%d " and the severity, two spaces after it (send_message_to_server_log);
# an ERROR with a cursor position gets " at character N" (elog.c), not part of the format string. A
# message of several lines (a statement with newlines, a DETAIL of two) continues on lines of its own
# that carry no prefix: they are left out, they are the same record.
HEADER = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \w+ \[\d+\] (?:\S*@\S* )?"
CURSOR = r"(?: at character \d+)?"
TABLE = [
    # postmaster/postmaster.c BackendInitialize
    ("LOG: connection received: host=%s port=%s", r"LOG:  connection received: host=\S+ port=\d+"),
    # libpq/auth.c set_authn_id
    (
        'LOG: connection authenticated: identity="%s" method=%s (%s:%d)',
        r'LOG:  connection authenticated: identity=".*" method=\S+ \(.*:\d+\)',
    ),
    # utils/init/postinit.c PerformAuthentication
    (
        "LOG: connection authorized: user=%s database=%s application_name=%s",
        r"LOG:  connection authorized: user=\S+ database=\S+ application_name=\S+",
    ),
    # tcop/postgres.c log_disconnections
    (
        "LOG: disconnection: session time: %d:%02d:%02d.%03d user=%s database=%s host=%s%s%s",
        r"LOG:  disconnection: session time: \d+:\d\d:\d\d\.\d{3} user=\S+ database=\S+ host=\S+ port=\d+",
    ),
    # tcop/postgres.c exec_simple_query
    ("LOG: duration: %s ms  statement: %s", r"LOG:  duration: [\d.]+ ms  statement: .*"),
    # tcop/postgres.c exec_simple_query, statement logged already
    ("LOG: duration: %s ms", r"LOG:  duration: [\d.]+ ms"),
    ("LOG: statement: %s", r"LOG:  statement: .*"),  # tcop/postgres.c exec_simple_query (log_statement)
    # storage/file/fd.c ReportTemporaryFileUsage
    ('LOG: temporary file: path "%s", size %lu', r'LOG:  temporary file: path ".*", size \d+'),
    # storage/lmgr/proc.c ProcSleep
    (
        "LOG: process %d still waiting for %s on %s after %ld.%03d ms",
        r"LOG:  process \d+ still waiting for \w+ on .* after [\d.]+ ms",
    ),
    # storage/lmgr/proc.c ProcSleep
    ("LOG: process %d acquired %s on %s after %ld.%03d ms", r"LOG:  process \d+ acquired \w+ on .* after [\d.]+ ms"),
    # storage/lmgr/proc.c ProcSleep
    (
        "DETAIL: Process holding the lock: %s. Wait queue: %s.",
        r"DETAIL:  Process holding the lock: [\d, ]+\. Wait queue: [\d, ]*\.",
    ),
    # storage/lmgr/lmgr.c XactLockTableWaitErrorCb
    (
        'CONTEXT: while updating tuple (%u,%u) in relation "%s"',
        r'CONTEXT:  while updating tuple \(\d+,\d+\) in relation ".*"',
    ),
    ("STATEMENT: %s", r"STATEMENT:  .*"),  # utils/error/elog.c send_message_to_server_log
    # catalog/aclchk.c aclcheck_error
    ("ERROR: permission denied for table %s", r"ERROR:  permission denied for table \S+"),
    # parser/parse_relation.c parserOpenTable
    ('ERROR: relation "%s" does not exist', rf'ERROR:  relation ".*" does not exist{CURSOR}'),
    # parser/parse_relation.c errorMissingColumn
    ('ERROR: column "%s" does not exist', rf'ERROR:  column ".*" does not exist{CURSOR}'),
    # parser/scan.l scanner_yyerror
    ('ERROR: syntax error at or near "%s"', rf'ERROR:  syntax error at or near ".*"{CURSOR}'),
    ("ERROR: division by zero", r"ERROR:  division by zero"),  # utils/adt/int.c int4div
    # utils/adt/numutils.c pg_strtoint32
    ('ERROR: invalid input syntax for type %s: "%s"', rf'ERROR:  invalid input syntax for type \w+: ".*"{CURSOR}'),
    # access/nbtree/nbtinsert.c _bt_check_unique
    (
        'ERROR: duplicate key value violates unique constraint "%s"',
        r'ERROR:  duplicate key value violates unique constraint ".*"',
    ),
    # access/nbtree/nbtinsert.c _bt_check_unique
    ("DETAIL: Key %s already exists.", r"DETAIL:  Key \(.*\)=\(.*\) already exists\."),
    # utils/adt/ri_triggers.c ri_ReportViolation
    (
        'ERROR: insert or update on table "%s" violates foreign key constraint "%s"',
        r'ERROR:  insert or update on table ".*" violates foreign key constraint ".*"',
    ),
    # utils/adt/ri_triggers.c ri_ReportViolation
    (
        'DETAIL: Key (%s)=(%s) is not present in table "%s".',
        r'DETAIL:  Key \(.*\)=\(.*\) is not present in table ".*"\.',
    ),
    # executor/execMain.c ExecConstraints
    (
        'ERROR: new row for relation "%s" violates check constraint "%s"',
        r'ERROR:  new row for relation ".*" violates check constraint ".*"',
    ),
    # executor/execMain.c ExecConstraints
    ("DETAIL: Failing row contains %s.", r"DETAIL:  Failing row contains \(.*\)\."),
    # tcop/postgres.c ProcessInterrupts
    ("ERROR: canceling statement due to statement timeout", r"ERROR:  canceling statement due to statement timeout"),
    # libpq/auth.c auth_failed
    ('FATAL: password authentication failed for user "%s"', r'FATAL:  password authentication failed for user ".*"'),
    # libpq/auth.c auth_failed
    (
        'DETAIL: Connection matched pg_hba.conf line %d: "%s"',
        r'DETAIL:  Connection matched pg_hba\.conf line \d+: ".*"',
    ),
    ('DETAIL: Role "%s" does not exist.', r'DETAIL:  Role ".*" does not exist\.'),  # libpq/crypt.c get_role_password
    # utils/init/postinit.c InitPostgres
    ('FATAL: database "%s" does not exist', r'FATAL:  database ".*" does not exist'),
    # access/transam/xlog.c LogCheckpointStart
    ("LOG: checkpoint starting: %s%s%s%s%s%s%s%s", r"LOG:  checkpoint starting:[\w ]+"),
    # access/transam/xlog.c LogCheckpointEnd
    ("LOG: checkpoint complete: wrote %d buffers (%.1f%%); ...", r"LOG:  checkpoint complete: wrote \d+ buffers .*"),
    ("LOG: starting %s", r"LOG:  starting PostgreSQL .*"),  # postmaster/postmaster.c PostmasterMain
    # libpq/pqcomm.c StreamServerPort
    ('LOG: listening on %s address "%s", port %d', r'LOG:  listening on IPv\d address ".*", port \d+'),
    ('LOG: listening on Unix socket "%s"', r'LOG:  listening on Unix socket ".*"'),  # libpq/pqcomm.c StreamServerPort
    # access/transam/xlog.c StartupXLOG
    ("LOG: database system was shut down at %s", r"LOG:  database system was shut down at .*"),
    # postmaster/postmaster.c reaper
    ("LOG: database system is ready to accept connections", r"LOG:  database system is ready to accept connections"),
    ("LOG: received fast shutdown request", r"LOG:  received fast shutdown request"),  # postmaster/postmaster.c pmdie
    # postmaster/postmaster.c pmdie
    ("LOG: aborting any active transactions", r"LOG:  aborting any active transactions"),
    # postmaster/postmaster.c LogChildExit
    (
        "LOG: %s (PID %d) exited with exit code %d",
        r'LOG:  background worker ".*" \(PID \d+\) exited with exit code \d+',
    ),
    ("LOG: shutting down", r"LOG:  shutting down"),  # access/transam/xlog.c ShutdownXLOG
    # postmaster/postmaster.c PostmasterStateMachine
    ("LOG: database system is shut down", r"LOG:  database system is shut down"),
]

PROGRAM = Program(
    name="postgresql",
    packages=("postgresql-15", "postgresql-client-15"),
    produce=produce,
    logs=(Log("postgresql", "postgresql.log", events(HEADER, TABLE)),),
)
