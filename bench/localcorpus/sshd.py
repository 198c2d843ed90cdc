"""openssh-server's sshd on a high port with its own config and host key, LogLevel VERBOSE to a file
(``-E``), driven by the ``ssh`` client: unknown users, wrong passwords, keys nobody authorised, too
many tries, ciphers and key exchanges it refuses, bytes that are not SSH, and logins that work.

sshd runs as root: run as another user it cannot read the shadow file, so every account looks locked
and every user "invalid", which no real server logs. ``-r`` (no re-exec) keeps the children on the
``-E`` file. With ``-E`` sshd writes the bare message, no timestamp (log.c do_log: ``"%s\\r\\n"``).
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from localcorpus.base import Log, Program, events, free_port, run, running

CONNECTIONS = 260
INVALID = ("admin", "test", "oracle", "ubnt", "guest", "user", "git", "deploy", "pi", "ftpuser", "support", "alice")
#: Client keys: the ones authorised for root, and others nobody authorised.
OK = ("ed25519-a", "ed25519-b", "ecdsa-a", "rsa-a")
BAD = ("rsa-b", "ecdsa-b", "ed25519-c")
VALID = ("root", "daemon", "bin", "sync", "postgres", "www-data", "nobody", "mail", "cloudsdk", "news")


def produce(work: Path, rng: random.Random) -> None:
    port = free_port()
    for name in ("ed25519-host", *OK, *BAD):
        run(["ssh-keygen", "-q", "-t", name.split("-")[0], "-N", "", "-f", str(work / name)])
    (work / "keys").mkdir()
    (work / "keys" / "root").write_text("".join((work / f"{name}.pub").read_text() for name in OK))
    askpass = work / "askpass"
    askpass.write_text("#!/bin/sh\necho wrong-$$\n")
    askpass.chmod(0o755)
    (work / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {work}/ed25519-host\nPidFile {work}/sshd.pid\n"
        f"LogLevel VERBOSE\nUsePAM no\nStrictModes no\nAuthorizedKeysFile {work}/keys/%u\n"
        "PasswordAuthentication yes\nMaxAuthTries 4\nDenyUsers daemon bin\nSubsystem backup /bin/false\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # the privilege separation directory the package's unit creates
    env = {**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force"}
    plans = [_plan(work, port, rng) for _ in range(CONNECTIONS)]
    argv = ["/usr/sbin/sshd", "-D", "-r", "-f", str(work / "sshd_config"), "-E", str(work / "sshd.log")]
    with running(argv, port=port), ThreadPoolExecutor(12) as pool:
        list(pool.map(lambda plan: _connect(plan, port, env), plans))


def _plan(work: Path, port: int, rng: random.Random) -> list[str] | tuple[str, bytes]:
    """One client: an ssh command line, or raw bytes sent to the port from a source address."""
    source = f"127.0.{rng.randint(0, 3)}.{rng.randint(2, 254)}"
    options = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=QUIET"
    base = ["ssh", "-p", str(port), "-b", source, *options.split(), "-o", "IdentitiesOnly=yes"]
    kind = rng.choices(["password", "badkey", "login", "refuse", "garbage"], weights=[45, 15, 25, 8, 7])[0]
    if kind == "password":
        invalid = f"{rng.choice(INVALID)}{rng.choice(['', rng.randint(1, 99)])}"
        user = rng.choice(VALID) if rng.random() < 0.5 else invalid
        tries = rng.choice([1, 2, 3, 5])
        password = f"-o PreferredAuthentications=password -o NumberOfPasswordPrompts={tries}".split()
        return [*base, *password, f"{user}@127.0.0.1"]
    if kind == "badkey":
        user = rng.choice(VALID + INVALID)
        return [*base, "-o", "BatchMode=yes", "-i", str(work / rng.choice(BAD)), f"{user}@127.0.0.1", "true"]
    if kind == "login":
        login = [*base, "-o", "BatchMode=yes", "-i", str(work / rng.choice(OK)), "root@127.0.0.1"]
        what = rng.choice(["command", "command", "tty", "subsystem", "forward"])
        if what == "tty":
            return [*login[:1], "-tt", *login[1:], f"exit {rng.randint(0, 3)}"]
        if what == "subsystem":
            return [*login, "-s", rng.choice(["sftp", "backup", "netconf"])]
        if what == "forward":
            return [*login, "-W", f"127.0.0.1:{rng.randint(1, 1023)}"]
        return [*login, rng.choice(["true", "false", "id -u", f"sleep 0.{rng.randint(1, 5)}", "ls /nonexistent"])]
    if kind == "refuse":
        option = rng.choice(
            ["Ciphers=aes128-cbc", "KexAlgorithms=diffie-hellman-group1-sha1", "HostKeyAlgorithms=ssh-dss"]
        )
        mac = "MACs=hmac-md5" if rng.random() < 0.3 else "Compression=no"
        return [*base, "-o", option, "-o", mac, "root@127.0.0.1"]
    return source, rng.choice(
        [b"", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"SSH-1.5-Client\r\n", rng.randbytes(40), b"\r\n"]
    )


def _connect(plan: list[str] | tuple[str, bytes], port: int, env: dict[str, str]) -> None:
    if isinstance(plan, list):
        with contextlib.suppress(subprocess.TimeoutExpired):
            run(plan, timeout=20, env=env, stdin=subprocess.DEVNULL)
        return
    source, data = plan
    with socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0)) as sock:
        sock.sendall(data)
        with contextlib.suppress(OSError):
            sock.recv(256)


IP = r"\d+\.\d+\.\d+\.\d+"
# sshd -E writes the bare message; the monitor adds " [preauth]" to what the pre-auth child logs (log.c).
PREAUTH = r"(?: \[preauth\])?"
#: auth.c auth_log() logs "%s %s%s%s for %s%.100s from %.200s port %d ssh2%s%s" with authmsg one of
#: Failed / Accepted / Postponed: each word is its own event (LogHub labels them so too); the method
#: ("password", "publickey") and "invalid user " are parameters.
TABLE = [
    ("Server listening on %s port %s.", r"Server listening on \S+ port \d+\."),  # sshd.c server_listen
    ("Received signal %d; terminating.", r"Received signal \d+; terminating\."),  # sshd.c server_accept_loop
    # sshd.c main
    (
        "Connection from %s port %d on %s port %d%s%s%s",
        rf'Connection from {IP} port \d+ on {IP} port \d+ rdomain "[^"]*"',
    ),
    # sshd.c drop_connection: more clients at once than MaxStartups' 10 unauthenticated ones
    ("beginning MaxStartups throttling", r"beginning MaxStartups throttling"),
    (
        "drop connection #%d from [%s]:%d on [%s]:%d past MaxStartups",
        rf"drop connection #\d+ from \[{IP}\]:\d+ on \[{IP}\]:\d+ past MaxStartups",
    ),
    (
        "exited MaxStartups throttling after %s, %u connections dropped",
        r"exited MaxStartups throttling after \S+, \d+ connections dropped",
    ),
    ("Invalid user %.100s from %.100s port %d", rf"Invalid user \S* from {IP} port \d+"),  # auth.c getpwnamallow
    # auth.c allowed_user
    ("User %.100s not allowed because account is locked", r"User \S+ not allowed because account is locked"),
    # auth.c allowed_user
    (
        "User %.100s from %.100s not allowed because listed in DenyUsers",
        rf"User \S+ from {IP} not allowed because listed in DenyUsers",
    ),
    # auth-shadow.c auth_shadow_pwexpired
    ("Could not get shadow information for %.100s", r"Could not get shadow information for \S+"),
    # auth.c auth_log
    (
        "Failed %s for %s%.100s from %.200s port %d ssh2%s%s",
        rf"Failed \S+ for (?:invalid user )?\S* from {IP} port \d+ ssh2(?:: .*)?",
    ),
    # auth.c auth_log
    (
        "Accepted %s for %s%.100s from %.200s port %d ssh2%s%s",
        rf"Accepted \S+ for (?:invalid user )?\S* from {IP} port \d+ ssh2(?:: .*)?",
    ),
    # auth.c auth_log
    (
        "Postponed %s for %s%.100s from %.200s port %d ssh2%s%s",
        rf"Postponed \S+ for (?:invalid user )?\S* from {IP} port \d+ ssh2{PREAUTH}",
    ),
    # auth.c auth_maxtries_exceeded
    (
        "maximum authentication attempts exceeded for %s%.100s from %.200s port %d ssh2",
        rf"maximum authentication attempts exceeded for (?:invalid user )?\S* from {IP} port \d+ ssh2{PREAUTH}",
    ),
    # auth2-pubkeyfile.c auth_check_authkey_line
    ("Accepted key %s %s found at %s", r"Accepted key \S+ \S+ found at \S+:\d+"),
    # packet.c sshpkt_vfatal (before or during auth, "[invalid |authenticating ]user U IP port N") and
    # serverloop.c process_input ("IP port N" after auth) print the same text: one event.
    (
        "Connection closed by %s",
        rf"Connection closed by (?:(?:invalid |authenticating )?user \S* )?{IP} port \d+{PREAUTH}",
    ),
    # packet.c ssh_packet_disconnect
    (
        "Disconnecting %s: %.100s",
        rf"Disconnecting (?:(?:invalid |authenticating )?user \S* )?{IP} port \d+: .*{PREAUTH}",
    ),
    # packet.c sshpkt_vfatal
    ("Disconnected from %s", rf"Disconnected from (?:(?:invalid |authenticating )?user \S* )?{IP} port \d+{PREAUTH}"),
    # packet.c ssh_packet_read_poll_seqnr
    ("Received disconnect from %s port %d:%u: %.400s", rf"Received disconnect from {IP} port \d+:\d+: .*{PREAUTH}"),
    # packet.c sshpkt_vfatal
    (
        "Unable to negotiate with %s: %s. Their offer: %s",
        rf"Unable to negotiate with {IP} port \d+: .*\. Their offer: \S+{PREAUTH}",
    ),
    # sshd.c main, sshpkt_fatal(ssh, r, "banner exchange")
    ("banner exchange: Connection %s %s: %s", rf"banner exchange: Connection from {IP} port \d+: .*"),
    # dispatch.c ssh_dispatch_run_fatal
    (
        "ssh_dispatch_run_fatal: Connection %s %s: %s",
        rf"ssh_dispatch_run_fatal: Connection from {IP} port \d+: .*{PREAUTH}",
    ),
    # kex.c
    (
        "kex_exchange_identification: Connection closed by remote host",
        r"kex_exchange_identification: Connection closed by remote host",
    ),
    # kex.c
    (
        'kex_exchange_identification: client sent invalid protocol identifier "%.256s"',
        r'kex_exchange_identification: client sent invalid protocol identifier ".*"',
    ),
    # kex.c
    (
        "kex_exchange_identification: banner line contains invalid characters",
        r"kex_exchange_identification: banner line contains invalid characters",
    ),
    # kex.c kex_exchange_identification
    ("send_error: write: %s", r"send_error: write: .*"),  # kex.c send_error: the client left before the reply
    ("Protocol major versions differ: %d vs. %d", r"Protocol major versions differ: \d+ vs\. \d+"),
    ("Transferred: sent %llu, received %llu bytes", r"Transferred: sent \d+, received \d+ bytes"),  # sshd.c main
    ("Closing connection to %.500s port %d", rf"Closing connection to {IP} port \d+"),  # sshd.c main
    # session.c do_exec
    (
        "Starting session: %s%s%s for %s from %.200s port %d id %d",
        rf"Starting session: .* for \S+ from {IP} port \d+ id \d+",
    ),
    # session.c session_close
    ("Close session: user %s from %.200s port %d id %d", rf"Close session: user \S+ from {IP} port \d+ id \d+"),
    # session.c session_subsystem_req
    (
        "subsystem request for %.100s by user %s failed, subsystem not found",
        r"subsystem request for \S+ by user \S+ failed, subsystem not found",
    ),
    ("connect_to %.100s port %d: failed.", rf"connect_to {IP} port \d+: failed\."),  # channels.c connect_to
    # loginrec.c syslogin_perform_logout
    ("%s: logout() returned an error", r"syslogin_perform_logout: logout\(\) returned an error"),
]
PROGRAM = Program(
    name="sshd",
    packages=("openssh-server", "openssh-client"),
    produce=produce,
    logs=(Log("sshd", "sshd.log", events("", TABLE)),),
)
