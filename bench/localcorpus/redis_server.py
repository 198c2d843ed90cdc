"""redis-server: a master and two replicas in a folder of their own, loglevel verbose, one log file
(the ``pid:role`` prefix tells them apart), driven over RESP from many client addresses: writes that
trigger the save policy, BGSAVE/SAVE/BGREWRITEAOF, protocol errors, killed clients, replicas that
are promoted and re-attached, a replica and then the master restarted (RDB loading, resyncs, refused
reconnects)."""

from __future__ import annotations

import contextlib
import random
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from localcorpus.base import Log, Program, events, free_port, wait_port

SESSIONS = 260


def produce(work: Path, rng: random.Random) -> None:
    ports = [free_port() for _ in range(3)]
    master, replicas = ports[0], ports[1:]
    with contextlib.ExitStack() as stack:
        servers = {port: stack.enter_context(_server(work, port, master)) for port in ports}
        time.sleep(1)
        for number in range(SESSIONS):
            port = rng.choice([master, master, master, *replicas])
            _session(port, master, rng)
            if number == SESSIONS // 3:
                servers[replicas[0]].terminate()
                servers[replicas[0]].wait()
                servers[replicas[0]] = stack.enter_context(_server(work, replicas[0], master))
            if number == 2 * SESSIONS // 3:
                _command(master, "127.0.0.1", "SHUTDOWN")
                servers[master].wait()
                time.sleep(1.5)  # the replicas retry their master once a second
                servers[master] = stack.enter_context(_server(work, master, master))
        time.sleep(5.5)  # serverCron's keyspace line every 5 s


@contextlib.contextmanager
def _server(work: Path, port: int, master: int) -> Iterator[subprocess.Popen[bytes]]:
    argv = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--protected-mode",
        "no",
        "--dir",
        str(work),
        "--dbfilename",
        f"{port}.rdb",
        "--logfile",
        str(work / "redis.log"),
        "--loglevel",
        "verbose",
        "--save",
        "3 20",
        "--appendfilename",
        f"{port}.aof",
        "--appenddirname",
        f"aof-{port}",
        "--enable-debug-command",
        "yes",
    ]
    if port != master:
        argv += ["--replicaof", "127.0.0.1", str(master)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)


def _session(port: int, master: int, rng: random.Random) -> None:
    """One client from a random loopback address: a few commands, sometimes a protocol error or an admin command."""
    source = f"127.0.{rng.randint(0, 3)}.{rng.randint(2, 254)}"
    commands: list[tuple[str, ...] | bytes] = []
    for _ in range(rng.randint(1, 6)):
        key = f"{rng.choice(['user', 'session', 'cart', 'rate'])}:{rng.randint(1, 5000)}"
        commands.append(
            rng.choice([("SET", key, str(rng.random())), ("GET", key), ("INCR", key), ("EXPIRE", key, "30")])
        )
    admin = rng.random()
    if admin < 0.08:
        commands.append(
            rng.choice(
                [("BGSAVE",), ("SAVE",), ("BGREWRITEAOF",), ("CONFIG", "SET", "appendonly", rng.choice(["yes", "no"]))]
            )
        )
    elif admin < 0.16:
        commands.append(
            rng.choice([b"*1\r\n$4\r\nPI", b"*3\r\n$3\r\nSET\r\n$x\r\n", b'GET a b c\r\n"unbalanced\r\n', b"*-5\r\n"])
        )
    elif admin < 0.2:
        commands.append(("CLIENT", "KILL", "TYPE", "normal"))
    elif admin < 0.24:
        commands.append(
            rng.choice([("REPLICAOF", "NO", "ONE"), ("REPLICAOF", "127.0.0.1", str(master)), ("DEBUG", "SLEEP", "0.1")])
        )
    elif admin < 0.28:
        commands.append(("FLUSHALL",))
    _command(port, source, *commands)


def _command(port: int, source: str, *commands: tuple[str, ...] | bytes | str) -> None:
    """Send RESP commands (or raw bytes) on one connection and read what comes back."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 3, (source, 0)) as sock:
        for command in commands:
            parts = (command,) if isinstance(command, str) else command
            data = parts if isinstance(parts, bytes) else _resp(parts)
            sock.sendall(data)
            sock.recv(65536)


def _resp(parts: tuple[str, ...]) -> bytes:
    return f"*{len(parts)}\r\n".encode() + b"".join(f"${len(p)}\r\n{p}\r\n".encode() for p in parts)


# server.c serverLogRaw: "pid:role DD Mon YYYY HH:MM:SS.mmm level-char msg"; the signal handlers' own
# "pid:signal-handler (unix time) msg" (serverLogFromHandler).
HEADER = r"\d+:(?:[XCSM] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#]|signal-handler \(\d+\)) "
HOST = r"\d+\.\d+\.\d+\.\d+:\d+"
CLIENT = r"id=\d+ addr=\S+ laddr=\S+ fd=\d+ name=.*"  # networking.c catClientInfoString
TABLE = [
    # server.c main, initServer, finishShutdown, serverCron
    ("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo", r"oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
    (
        "Redis version=%s, bits=%d, commit=%s, modified=%d, pid=%d, just started",
        r"Redis version=[\d.]+, bits=\d+, commit=\w+, modified=\d, pid=\d+, just started",
    ),
    ("Configuration loaded", r"Configuration loaded"),
    ("monotonic clock: %s", r"monotonic clock: .*"),
    ("Running mode=%s, port=%d.", r"Running mode=\w+, port=\d+\."),  # server.c redisAsciiArt, without the logo
    ("Server initialized", r"Server initialized"),
    # server.c main, syscheck.c checkOvercommit's text
    ("WARNING %s", r"WARNING Memory overcommit must be enabled! .*"),
    ("Ready to accept connections", r"Ready to accept connections"),
    ("DB %d: %lld keys (%lld volatile) in %lld slots HT.", r"DB \d+: \d+ keys \(\d+ volatile\) in \d+ slots HT\."),
    ("%d changes in %d seconds. Saving...", r"\d+ changes in \d+ seconds\. Saving\.\.\."),
    # server.c sendChildInfoGeneric
    (
        "Fork CoW for %s: current %zu MB, peak %zu MB, average %llu MB",
        r"Fork CoW for [\w ]+: current \d+ MB, peak \d+ MB, average \d+ MB",
    ),
    ("User requested shutdown...", r"User requested shutdown\.\.\."),  # server.c prepareForShutdown
    ("Saving the final RDB snapshot before exiting.", r"Saving the final RDB snapshot before exiting\."),
    ("%d of %d replicas are in sync when shutting down.", r"\d+ of \d+ replicas are in sync when shutting down\."),
    ("There is a child saving an .rdb. Killing it!", r"There is a child saving an \.rdb\. Killing it!"),
    ("Redis is now ready to exit, bye bye...", r"Redis is now ready to exit, bye bye\.\.\."),
    # server.c sigShutdownHandler
    ("There is a child rewriting the AOF. Killing it!", r"There is a child rewriting the AOF\. Killing it!"),
    ("Killing running AOF rewrite child: %ld", r"Killing running AOF rewrite child: \d+"),  # aof.c killAppendOnlyChild
    ("Received SIGTERM scheduling shutdown...", r"Received SIGTERM scheduling shutdown\.\.\."),
    # server.c sigKillChildHandler
    ("Received SIGUSR1 in child, exiting now.", r"Received SIGUSR1 in child, exiting now\."),
    # networking.c
    ("Accepted %s:%d", rf"Accepted {HOST}"),  # acceptCommonHandler
    ("Client closed connection %s", rf"Client closed connection {CLIENT}"),  # readQueryFromClient
    ("Protocol error (%s) from client: %s. %s", rf"Protocol error \(.*\) from client: {CLIENT}"),  # setProtocolError
    ("Connection with master lost.", r"Connection with master lost\."),  # freeClient
    ("Connection with replica %s lost.", rf"Connection with replica {HOST} lost\."),  # freeClient
    # rdb.c
    ("DB saved on disk", r"DB saved on disk"),  # rdbSave
    ("Background saving started by pid %ld", r"Background saving started by pid \d+"),  # rdbSaveBackground
    # backgroundSaveDoneHandlerDisk
    ("Background saving terminated with success", r"Background saving terminated with success"),
    # backgroundSaveDoneHandlerDisk
    ("Background saving terminated by signal %d", r"Background saving terminated by signal \d+"),
    # rdbSaveToSlavesSockets
    ("Background RDB transfer started by pid %ld", r"Background RDB transfer started by pid \d+"),
    # backgroundSaveDoneHandlerSocket
    ("Background RDB transfer terminated with success", r"Background RDB transfer terminated with success"),
    # rdbPipeReadHandler
    (
        "Diskless rdb transfer, done reading from pipe, %d replicas still up.",
        r"Diskless rdb transfer, done reading from pipe, \d+ replicas still up\.",
    ),
    ("Loading RDB produced by version %.*s", r"Loading RDB produced by version [\d.]+"),  # rdbLoadRioWithLoadingCtx
    ("RDB age %ld seconds", r"RDB age \d+ seconds"),
    ("RDB memory usage when created %.2f Mb", r"RDB memory usage when created [\d.]+ Mb"),
    (
        "Done loading RDB, keys loaded: %lld, keys expired: %lld.",
        r"Done loading RDB, keys loaded: \d+, keys expired: \d+\.",
    ),
    ("DB loaded from disk: %.3f seconds", r"DB loaded from disk: [\d.]+ seconds"),  # server.c loadDataFromDisk
    # replication.c
    ("Connecting to MASTER %s:%d", rf"Connecting to MASTER {HOST}"),  # connectWithMaster
    ("MASTER <-> REPLICA sync started", r"MASTER <-> REPLICA sync started"),  # connectWithMaster
    # syncWithMaster
    ("Non blocking connect for SYNC fired the event.", r"Non blocking connect for SYNC fired the event\."),
    # syncWithMaster
    ("Master replied to PING, replication can continue...", r"Master replied to PING, replication can continue\.\.\."),
    ("Error condition on socket for SYNC: %s", r"Error condition on socket for SYNC: .*"),  # syncWithMaster
    # receiveSynchronousResponse
    ("Failed to read response from the server: %s", r"Failed to read response from the server: .*"),
    (
        "Master did not respond to command during SYNC handshake",
        r"Master did not respond to command during SYNC handshake",
    ),
    ("Master did not reply to PSYNC, will try later", r"Master did not reply to PSYNC, will try later"),
    # slaveTryPartialResynchronization
    (
        "Partial resynchronization not possible (no cached master)",
        r"Partial resynchronization not possible \(no cached master\)",
    ),
    (
        "Trying a partial resynchronization (request %s:%s).",
        r"Trying a partial resynchronization \(request \w+:\d+\)\.",
    ),
    (
        "Master is currently unable to PSYNC but should be in the future: %s",
        r"Master is currently unable to PSYNC but should be in the future: .*",
    ),
    ("Full resync from master: %s:%lld", r"Full resync from master: \w+:\d+"),
    ("Successful partial resynchronization with master.", r"Successful partial resynchronization with master\."),
    (
        "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.",
        r"MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization\.",
    ),
    ("Master replication ID changed to %s", r"Master replication ID changed to \w+"),
    # readSyncBulkPayload
    (
        "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF %s",
        r"MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF .*",
    ),
    # replicationDiscardCachedMaster
    ("Discarding previously cached master state.", r"Discarding previously cached master state\."),
    ("MASTER <-> REPLICA sync: Flushing old data", r"MASTER <-> REPLICA sync: Flushing old data"),
    ("MASTER <-> REPLICA sync: Loading DB in memory", r"MASTER <-> REPLICA sync: Loading DB in memory"),
    ("MASTER <-> REPLICA sync: Finished with success", r"MASTER <-> REPLICA sync: Finished with success"),
    ("Replica %s asks for synchronization", rf"Replica {HOST} asks for synchronization"),  # syncCommand
    ("Full resync requested by replica %s", rf"Full resync requested by replica {HOST}"),  # syncCommand
    # masterTryPartialResynchronization
    (
        "Partial resynchronization request from %s accepted. Sending %lld bytes of backlog starting from offset %lld.",
        rf"Partial resynchronization request from {HOST} accepted\. Sending \d+ bytes of backlog starting from"
        rf" offset \d+\.",
    ),
    ("Partial resynchronization not accepted: %s", r"Partial resynchronization not accepted: .*"),
    # syncCommand
    (
        "Replication backlog created, my new replication IDs are '%s' and '%s'",
        r"Replication backlog created, my new replication IDs are '\w+' and '\w+'",
    ),
    ("Delay next BGSAVE for diskless SYNC", r"Delay next BGSAVE for diskless SYNC"),  # syncCommand
    # syncCommand
    (
        "Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC",
        r"Current BGSAVE has socket target\. Waiting for next BGSAVE for SYNC",
    ),
    # startBgsaveForReplication
    (
        "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC",
        r"Can't attach the replica to the current BGSAVE\. Waiting for next BGSAVE for SYNC",
    ),
    ("Starting BGSAVE for SYNC with target: %s", r"Starting BGSAVE for SYNC with target: .*"),
    # updateSlavesWaitingBgsave
    (
        "Streamed RDB transfer with replica %s succeeded (socket). Waiting for REPLCONF ACK from slave to enable"
        " streaming",
        rf"Streamed RDB transfer with replica {HOST} succeeded \(socket\)\. Waiting for REPLCONF ACK from slave to"
        rf" enable streaming",
    ),
    # replicaPutOnline
    ("Synchronization with replica %s succeeded", rf"Synchronization with replica {HOST} succeeded"),
    ("Caching the disconnected master state.", r"Caching the disconnected master state\."),  # replicationCacheMaster
    ("Reconnecting to MASTER %s:%d", rf"Reconnecting to MASTER {HOST}"),  # replicationHandleMasterDisconnection
    # replicaofCommand
    ("MASTER MODE enabled (user request from '%s')", rf"MASTER MODE enabled \(user request from '{CLIENT}'\)"),
    # replicaofCommand
    ("REPLICAOF %s:%d enabled (user request from '%s')", rf"REPLICAOF {HOST} enabled \(user request from '{CLIENT}'\)"),
    (
        "REPLICAOF would result into synchronization with the master we are already connected with. No operation"
        " performed.",
        r"REPLICAOF would result into synchronization with the master we are already connected with\. No operation"
        r" performed\.",
    ),
    # replicationCacheMasterUsingMyself
    (
        "Before turning into a replica, using my own master parameters to synthesize a cached master: %s",
        r"Before turning into a replica, using my own master parameters to synthesize a cached master: .*",
    ),
    # shiftReplicationId
    (
        "Setting secondary replication ID to %s, valid up to offset: %lld. New replication ID is %s",
        r"Setting secondary replication ID to \w+, valid up to offset: \d+\. New replication ID is \w+",
    ),
    # aof.c
    # rewriteAppendOnlyFileBackground
    (
        "Background append only file rewriting started by pid %ld",
        r"Background append only file rewriting started by pid \d+",
    ),
    # rewriteAppendOnlyFile
    ("Successfully created the temporary AOF base file %s", r"Successfully created the temporary AOF base file \S+"),
    # openNewIncrAofForAppend
    ("Creating AOF incr file %s on background rewrite", r"Creating AOF incr file \S+ on background rewrite"),
    # backgroundRewriteDoneHandler
    ("Background AOF rewrite terminated with success", r"Background AOF rewrite terminated with success"),
    (
        "Successfully renamed the temporary AOF base file %s into %s",
        r"Successfully renamed the temporary AOF base file \S+ into \S+",
    ),
    (
        "Successfully renamed the temporary AOF incr file %s into %s",
        r"Successfully renamed the temporary AOF incr file \S+ into \S+",
    ),
    # aofDelHistoryFiles
    ("Removing the history file %s in the background", r"Removing the history file \S+ in the background"),
    ("Background AOF rewrite finished successfully", r"Background AOF rewrite finished successfully"),
    ("Background AOF rewrite signal handler took %lldus", r"Background AOF rewrite signal handler took \d+us"),
    ("Calling fsync() on the AOF file.", r"Calling fsync\(\) on the AOF file\."),  # flushAppendOnlyFile
    # startAppendOnly
    (
        "AOF was enabled but there is already another background operation. An AOF background was scheduled to start"
        " when possible.",
        r"AOF was enabled but there is already another background operation\. An AOF background was scheduled to"
        r" start when possible\.",
    ),
]

PROGRAM = Program(
    name="redis",
    packages=("redis-server",),
    produce=produce,
    logs=(Log("redis", "redis.log", events(HEADER, TABLE)),),
)
