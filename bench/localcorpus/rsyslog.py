"""rsyslogd's own messages: runs with configs that each hold a few mistakes (modules that do not
exist, unknown parameters, directives and templates, missing folders and rulesets) and actions that
fail at run time (a forward to a port nobody listens on, a file under a path that is a file), its
internal messages written to a file in the traditional format; HUP and TERM as a service manager
sends them. ``processInternalMessages`` keeps them in rsyslog (Debian's build sends them to the
journal otherwise)."""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import time
from pathlib import Path

from localcorpus.base import Log, Program, events, free_port, wait_port

RUNS = 40
WORDS = ("foo", "json", "kafka", "elastic", "relp", "mysql", "queue", "rate", "batch", "size", "file", "tls")


def produce(work: Path, rng: random.Random) -> None:
    (work / "blocker").write_text("")
    for run in range(RUNS):
        udp, tcp = free_port(), free_port()
        (work / "rsyslog.conf").write_text(_config(work, run, udp, tcp, rng))
        proc = subprocess.Popen(
            ["rsyslogd", "-n", "-f", str(work / "rsyslog.conf"), "-i", str(work / "rsyslogd.pid")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_port(tcp)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                for number in range(rng.randint(1, 6)):
                    tag = rng.choice(["app", "cron", "audit", "kernel"])
                    sock.sendto(
                        f"<{rng.randint(0, 191)}>{tag}[{rng.randint(100, 9999)}]: message {number}".encode(),
                        ("127.0.0.1", udp),
                    )
            time.sleep(rng.uniform(0.5, 1.5))
            if rng.random() < 0.5:
                proc.send_signal(signal.SIGHUP)
                time.sleep(0.3)
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def _config(work: Path, run: int, udp: int, tcp: int, rng: random.Random) -> str:
    """A config that works (internal messages to the log, two inputs) plus a few mistakes."""
    head = [
        f'global(workDirectory="{work}" processInternalMessages="on")',
        'module(load="imudp")',
        f'input(type="imudp" port="{udp}" address="127.0.0.1")',
        'module(load="imtcp")',
        f'input(type="imtcp" port="{tcp}" address="127.0.0.1")',
    ]
    word, number = rng.choice(WORDS), rng.randint(1, 99)
    mistakes = [
        f'module(load="im{word}{number}")',
        f'input(type="imudp" port{word}="{number}")',
        f'template(name="t{run}" type="string" string="%msg%" {word}="x")',
        f"${word.capitalize()}Directive on",
        f'action(type="om{word}{number}")',
        f'*.* action(type="omfile" file="{work}/t{number}.log" template="{word}{number}")',
        f"$WorkDirectory {work}/missing-{word}-{number}",
        f'template(name="p{run}" type="list") {{ property(name="{word}{number}") }}',
        f'input(type="imudp" port="{free_port()}" ruleset="{word}{number}")',
    ]
    failing = [
        f'*.* action(type="omfwd" target="127.0.0.1" port="{free_port()}" protocol="{rng.choice(["tcp", "udp"])}")',
        f':syslogtag, startswith, "audit" action(type="omfile" file="{work}/blocker/{word}.log")',
    ]
    internal = (
        f'if $programname startswith "rsyslogd" then {{ action(type="omfile" file="{work}/rsyslog.log" '
        'template="RSYSLOG_TraditionalFileFormat") stop }'
    )
    lines = [*head, *rng.sample(mistakes, rng.randint(1, 4)), internal, *rng.sample(failing, rng.randint(0, 2))]
    return "\n".join(lines) + "\n"


# The traditional file format (RSYSLOG_TraditionalFileFormat): "Mmm dd hh:mm:ss host tag: msg"; an error's
# tag carries its code ("rsyslogd-2207:") and errmsg.c LogError appends " [v8... try https://www.rsyslog.com/e/N ]".
HEADER = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ rsyslogd(?:-\d+)?: "
TAIL = r"(?: \[v[\d.]+(?: try https://www\.rsyslog\.com/e/\d+ )?\])?"
ORIGIN = r'\[origin software="rsyslogd" swVersion="[\d.]+" x-pid="\d+" x-info="https://www\.rsyslog\.com"\] '
#: rsconf.c parser_errmsg prefixes "error during parsing file %s, on or before line %d: " to its caller's
#: format string: the event is the caller's.
PARSING = r"error during parsing file \S+, on or before line \d+: "
TABLE = [
    # tools/rsyslogd.c initAll
    ('[origin software="rsyslogd" swVersion="%s" x-pid="%d" x-info="https://www.rsyslog.com"] start', ORIGIN + "start"),
    ("[origin ...] exiting on signal %d.", ORIGIN + r"exiting on signal \d+\."),  # tools/rsyslogd.c deinitAll
    ("[origin ...] rsyslogd was HUPed", ORIGIN + "rsyslogd was HUPed"),  # tools/rsyslogd.c doHUP
    (
        "action '%s' suspended (module '%s'), retry %d. There should be messages before this one giving the reason"
        " for suspension.",
        r"action '[^']*' suspended \(module '[^']*'\), retry \d+\. There should be messages before this one giving"
        r" the reason for suspension\.",
    ),  # action.c actionSuspend
    (
        "action '%s' suspended (module '%s'), next retry is %s, retry nbr %d. There should be messages before this"
        " one giving the reason for suspension.",
        r"action '[^']*' suspended \(module '[^']*'\), next retry is .*, retry nbr \d+\. There should be messages"
        r" before this one giving the reason for suspension\.",
    ),  # action.c actionSuspend
    # action.c actionCommitted / actionDoRetry
    ("action '%s' resumed (module '%s')", r"action '[^']*' resumed \(module '[^']*'\)"),
    # grammar/rainerscript.c nvlstChkUnused
    (
        "parameter '%s' not known -- typo in config file?",
        PARSING + r"parameter '[^']*' not known -- typo in config file\?",
    ),
    # grammar/rainerscript.c nvlstGetParams
    (
        "parameter '%s' required but not specified - fix config",
        PARSING + r"parameter '[^']*' required but not specified - fix config",
    ),
    # runtime/rsconf.c cnfDoObj
    ("errors occurred in file '%s' around line %d", PARSING + r"errors occurred in file '[^']*' around line \d+"),
    ("invalid property '%s'", PARSING + r"invalid property '[^']*'"),  # template.c createPropertyTpe
    # runtime/module-template.h std_checkRuleset_genErrMsg
    (
        "%s: ruleset '%s' for %s not found - using default ruleset instead",
        r"imudp: ruleset '[^']*' for \S+ not found - using default ruleset instead",
    ),
    ("module name '%s' is unknown", r"module name '[^']*' is unknown"),  # action.c actionNewInst
    # runtime/cfsysline.c processCfSysLineCommand
    (
        "invalid or yet-unknown config file command '%s' - have you forgotten to load a module?",
        r"invalid or yet-unknown config file command '[^']*' - have you forgotten to load a module\?",
    ),
    ("could not load module '%s', errors: %s", r"could not load module '[^']*', errors: .*"),  # runtime/modules.c Load
    # action.c addAction
    (" Could not find template %d '%s' - action disabled", r" ?Could not find template \d+ '[^']*' - action disabled"),
    # runtime/glbl.c setWorkDir
    (
        "$WorkDirectory: %s can not be accessed, probably does not exist - directive ignored",
        r"\$WorkDirectory: \S+ can not be accessed, probably does not exist - directive ignored",
    ),
    ("file '%s': open error: %s", r"file '[^']*': open error: .*"),  # tools/omfile.c prepareFile
    ("cannot connect to %s:%s: %s", r"cannot connect to \S+:\d+: .*"),  # runtime/nsd_ptcp.c Connect
]

PROGRAM = Program(
    name="rsyslog",
    packages=("rsyslog",),
    produce=produce,
    logs=(Log("rsyslog", "rsyslog.log", events(HEADER, TABLE, TAIL)),),
)
