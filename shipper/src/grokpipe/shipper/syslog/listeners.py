"""The syslog sockets: one asyncio loop on its own thread serves every listener of an input.

The loop only reads and frames; parsing and spooling happen on the input's worker thread, which
hands the loop back-pressure: while the worker is behind (the spool full, the disk slow), stream
connections stop being read, so TCP senders block in their kernel buffers instead of losing
messages; UDP sockets stop being read too, so datagrams wait in the kernel's receive buffer (what
overflows it is counted from ``/proc/net/udp``) instead of being read only to be dropped; unix
datagram sockets are still read (a full one would block local senders) and what the worker cannot
take is dropped and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from grokpipe.shipper.syslog.config import ListenAddress, SyslogInputSettings
from grokpipe.shipper.syslog.framing import Frame, FrameDecoder
from grokpipe.shipper.syslog.slots import ConnectionAdmission
from grokpipe.shipper.syslog.sources import Held, shed_candidate, source_key

log = logging.getLogger(__name__)

Peer = tuple[str, int] | None


@dataclass(slots=True)
class Received:
    """Frames of one read (a stream chunk or one datagram), in arrival order."""

    listener: ListenAddress
    peer: Peer
    frames: list[Frame]
    size: int


#: The worker's entry point; False when it refused the datagram (it is full).
Deliver = Callable[[Received], bool]


class ListenerError(OSError):
    """A listener could not be opened (address in use, no permission, bad certificate)."""

    retriable = False


class Listeners:
    """Opens every ``listen`` address at ``start`` (raising if any fails) and serves them until ``stop``.

    A worker process of a multi-worker input passes its share of the addresses, ``reuse_port`` (every
    worker binds the same address; Linux spreads connections and datagrams over them) and the
    admission that counts connections over all workers."""

    def __init__(
        self,
        settings: SyslogInputSettings,
        deliver: Deliver,
        events: ListenerEvents,
        *,
        addresses: Sequence[ListenAddress] | None = None,
        reuse_port: bool = False,
        admission: ConnectionAdmission | None = None,
    ) -> None:
        self._settings = settings
        self._addresses = list(settings.addresses if addresses is None else addresses)
        self._reuse_port = reuse_port
        self._admission = admission or ConnectionAdmission(settings.max_connections)
        self._deliver = deliver
        self._events = events
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=f"syslog-{settings.name}", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._closers: list[Callable[[], Any]] = []
        self._streams: set[_Stream] = set()
        self._per_source: dict[tuple[ListenAddress, str], int] = {}  # open connections of each TCP/TLS source
        self._datagram_readers: list[_Datagrams] = []
        self._paused = False
        self._unix_paths: list[str] = []
        self._datagram_sockets: list[tuple[ListenAddress, int]] = []  # (listener, socket inode)
        self.bound: list[str] = []  # actual addresses (port 0 resolved), for tests and logs

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self.stop()
            raise self._error

    def stop(self) -> None:
        """Close the sockets; each stream's last unterminated message is delivered."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        for path in self._unix_paths:
            with contextlib.suppress(OSError):
                os.unlink(path)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def connections(self) -> int:
        return len(self._streams)

    def pause(self) -> None:
        self._loop.call_soon_threadsafe(self._set_paused, True)

    def resume(self) -> None:
        self._loop.call_soon_threadsafe(self._set_paused, False)

    # -- the loop thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._open_all())
        except BaseException as exc:  # noqa: BLE001 -- handed to start(), which raises it
            self._error = exc if isinstance(exc, OSError) else ListenerError(str(exc))
        self._ready.set()
        if self._error is None:
            sweeper = self._loop.create_task(self._sweep())
            self._loop.run_forever()
            sweeper.cancel()
            self._loop.run_until_complete(asyncio.gather(sweeper, return_exceptions=True))
        self._close_all()
        # let the closed transports call connection_lost, which hands over each stream's last frame
        self._loop.run_until_complete(asyncio.sleep(0.05))
        self._loop.close()

    async def _open_all(self) -> None:
        for address in self._addresses:
            try:
                await self._open(address)
            except OSError as exc:
                raise ListenerError(f"listen {address}: {exc.strerror or exc}") from exc
            except ssl.SSLError as exc:
                raise ListenerError(f"listen {address}: TLS: {exc}") from exc

    async def _open(self, address: ListenAddress) -> None:
        loop = self._loop
        if address.transport in {"udp", "unix"}:
            sock = self._datagram_socket(address)
            reader = _Datagrams(self, address, sock)
            reader.set_reading(True)
            self._datagram_readers.append(reader)
            self._closers.append(reader.close)
            self._note_bound(address, sock)
            self._datagram_sockets.append((address, os.fstat(sock.fileno()).st_ino))
            return

        def factory() -> _Stream:
            return _Stream(self, address)

        if address.transport == "unix-stream":
            self._prepare_unix_path(address.path)
            server = await loop.create_unix_server(factory, path=address.path, backlog=512)
            os.chmod(address.path, self._settings.socket_mode)
            self._unix_paths.append(address.path)
        else:
            tls = self._tls_context() if address.transport == "tls" else None
            server = await loop.create_server(
                factory,
                address.host,
                address.port,
                ssl=tls,
                backlog=512,
                reuse_address=True,
                reuse_port=self._reuse_port,
            )
        self._closers.append(server.close)
        for sock in server.sockets:
            self._note_bound(address, sock)

    def _datagram_socket(self, address: ListenAddress) -> socket.socket:
        if address.transport == "unix":
            self._prepare_unix_path(address.path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(address.path)
            os.chmod(address.path, self._settings.socket_mode)
            self._unix_paths.append(address.path)
        else:
            family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self._reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if self._settings.receive_buffer_bytes:
                set_receive_buffer(sock, self._settings.receive_buffer_bytes)
            sock.bind((address.host, address.port))
        sock.setblocking(False)
        return sock

    @staticmethod
    def _prepare_unix_path(path: str) -> None:
        """Replace a socket file a previous run left behind; never anything else."""
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISSOCK(os.lstat(path).st_mode):
                raise ListenerError(f"{path} exists and is not a socket")
            os.unlink(path)

    def _tls_context(self) -> ssl.SSLContext:
        tls = self._settings.tls
        assert tls is not None  # the settings validator requires it for tls:// listeners
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(tls.cert, tls.key)
        if tls.client_ca is not None:
            context.load_verify_locations(tls.client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
        return context

    def _note_bound(self, address: ListenAddress, sock: socket.socket) -> None:
        if address.path:
            self.bound.append(str(address))
            return
        host, port = sock.getsockname()[:2]
        self.bound.append(str(ListenAddress(address.transport, host, port, "")))

    async def _sweep(self) -> None:
        """Close idle stream connections; refresh gauges."""
        idle = self._settings.idle_timeout
        while True:
            await asyncio.sleep(min(1.0, idle / 2))
            now = time.monotonic()
            for stream in list(self._streams):
                if now - stream.last_read > idle and not self._paused:
                    stream.close("idle")
            for listener, drops in kernel_drops(self._datagram_sockets):
                self._events.kernel_drops(listener, drops)
            self._events.tick()

    def _close_all(self) -> None:
        for close in self._closers:
            with contextlib.suppress(Exception):
                close()
        for stream in list(self._streams):
            stream.close("stop")

    def _set_paused(self, paused: bool) -> None:
        if paused == self._paused:
            return
        self._paused = paused
        for stream in self._streams:
            stream.set_reading(not paused)
        for reader in self._datagram_readers:
            if reader.listener.transport == "udp":  # they wait in the kernel's receive buffer meanwhile
                reader.set_reading(not paused)

    # -- called by the protocols (loop thread) --------------------------------------------------

    def _admit(self, stream: _Stream) -> bool:
        """``max_connections_per_source``, then ``max_connections`` (a full listener sheds first; see sources.py)."""
        listener, source = stream.listener, stream.source
        if (
            source is not None
            and self._per_source.get((listener, source), 0) >= self._settings.max_connections_per_source
        ):
            self._events.refused(listener)
            return False
        if not self._admission.admit(listener) and not self._shed_for(stream):
            self._events.refused(listener)
            return False
        self._streams.add(stream)
        if source is not None:
            self._per_source[listener, source] = self._per_source.get((listener, source), 0) + 1
        self._events.opened(listener)
        if self._paused:
            stream.set_reading(False)
        return True

    def _shed_for(self, stream: _Stream) -> bool:
        """Close the connection the busiest source can spare, and take its slot for ``stream``. Not while
        paused: a connection we are not reading only looks silent."""
        if stream.source is None or self._paused:
            return False
        held = [s for s in self._streams if s.listener == stream.listener and s.source is not None]
        index = shed_candidate(
            [Held(s.source or "", s.last_read, s.decoder.buffered) for s in held], stream.source, time.monotonic()
        )
        if index is None:
            return False
        held[index].shed()
        self._events.shed(stream.listener)
        return self._admission.admit(stream.listener)

    def _gone(self, stream: _Stream) -> None:
        if stream in self._streams:
            self._streams.discard(stream)
            self._admission.release(stream.listener)
            if stream.source is not None:
                key = (stream.listener, stream.source)
                left = self._per_source.get(key, 1) - 1
                if left > 0:
                    self._per_source[key] = left
                else:
                    self._per_source.pop(key, None)
            self._events.closed(stream.listener)

    def _stream_frames(self, item: Received) -> None:
        self._deliver(item)  # a stream is never refused: the worker pauses us instead

    def _datagram(self, item: Received) -> None:
        if not self._deliver(item):
            self._events.dropped(item.listener, len(item.frames))


class ListenerEvents:
    """What the listeners report, for metrics; no-ops here."""

    def opened(self, listener: ListenAddress) -> None: ...

    def closed(self, listener: ListenAddress) -> None: ...

    def refused(self, listener: ListenAddress) -> None: ...

    def shed(self, listener: ListenAddress) -> None: ...

    def dropped(self, listener: ListenAddress, count: int) -> None: ...

    def kernel_drops(self, listener: ListenAddress, total: int) -> None: ...

    def tick(self) -> None: ...


def set_receive_buffer(sock: socket.socket, size: int) -> None:
    """SO_RCVBUF of a datagram socket: past ``net.core.rmem_max`` where allowed (SO_RCVBUFFORCE needs
    CAP_NET_ADMIN), else capped by it; best effort either way."""
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    if force is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, force, size)
            return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


def kernel_drops(sockets: list[tuple[ListenAddress, int]]) -> list[tuple[ListenAddress, int]]:
    """Datagrams the kernel dropped because a socket's receive buffer was full: the last column of
    Linux's ``/proc/net/udp`` and ``udp6``, matched by socket inode (unix sockets have no such count)."""
    if not sockets:
        return []
    drops: dict[int, int] = {}
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as f:
                next(f, None)
                for line in f:
                    fields = line.split()
                    if len(fields) >= 13 and fields[9].isdigit():
                        drops[int(fields[9])] = int(fields[-1])
        except OSError:
            continue
    return [(listener, drops[inode]) for listener, inode in sockets if inode in drops]


class _Stream(asyncio.Protocol):
    def __init__(self, owner: Listeners, listener: ListenAddress) -> None:
        self.owner = owner
        self.listener = listener
        self.decoder = FrameDecoder(owner._settings.max_message_bytes)
        self.transport: asyncio.Transport | None = None
        self.peer: Peer = None
        self.source: str | None = None  # what max_connections_per_source counts; None for unix sockets
        self.last_read = time.monotonic()
        self.reading = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            self.peer = (str(peer[0]), int(peer[1]))
            self.source = source_key(self.peer[0])
        if not self.owner._admit(self):
            transport.abort()
            self.transport = None

    def data_received(self, data: bytes) -> None:
        self.last_read = time.monotonic()
        frames = self.decoder.feed(data)
        if frames:
            self.owner._stream_frames(Received(self.listener, self.peer, frames, len(data)))

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is None:
            return
        frames = self.decoder.finish()
        if frames:
            self.owner._stream_frames(Received(self.listener, self.peer, frames, 0))
        self.owner._gone(self)
        self.transport = None

    def set_reading(self, reading: bool) -> None:
        if self.transport is None or reading == self.reading:
            return
        self.reading = reading
        with contextlib.suppress(RuntimeError):
            if reading:
                self.transport.resume_reading()
            else:
                self.transport.pause_reading()

    def close(self, why: str) -> None:
        if self.transport is not None:
            log.debug("closing syslog connection", extra={"reason": why, "source.ip": self.peer})
            self.transport.close()

    def shed(self) -> None:
        """Close now and give the slot back at once (it holds no partial message: nothing to hand over)."""
        transport = self.transport
        if transport is None:
            return
        log.debug("shedding a silent syslog connection for a new source", extra={"source.ip": self.peer})
        self.owner._gone(self)
        self.transport = None  # connection_lost has nothing left to do
        transport.close()


class _Datagrams:
    """Reads a datagram socket straight from the loop's selector: every datagram waiting at each
    wake-up (up to a batch), where asyncio's datagram transport reads one per loop iteration and
    pays a whole iteration (a select call and the callback machinery) for each."""

    BATCH = 512  # datagrams per wake-up, so stream connections are served between batches
    BUFFER = 256 * 1024  # larger than any UDP datagram; unix datagram sockets may send more

    def __init__(self, owner: Listeners, listener: ListenAddress, sock: socket.socket) -> None:
        self.owner = owner
        self.listener = listener
        self.sock = sock
        self.max = owner._settings.max_message_bytes
        self.reading = False

    def set_reading(self, reading: bool) -> None:
        """Paused while the parser is behind: reading datagrams only to drop them would take the CPU
        the parser needs; the kernel buffer holds them meanwhile (and counts what overflows it)."""
        if reading == self.reading or self.sock.fileno() < 0:
            return
        self.reading = reading
        if reading:
            self.owner._loop.add_reader(self.sock.fileno(), self.ready)
        else:
            self.owner._loop.remove_reader(self.sock.fileno())

    def ready(self) -> None:
        recvfrom, deliver, listener, limit = self.sock.recvfrom, self.owner._datagram, self.listener, self.max
        for _ in range(self.BATCH):
            try:
                data, addr = recvfrom(self.BUFFER)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("syslog datagram receive error", extra={"listener": str(listener), "error": str(exc)})
                return
            data = data.rstrip(b"\n\x00")
            if not data:
                continue
            peer = (addr[0], addr[1]) if isinstance(addr, tuple) else None
            frame = Frame(data[:limit], True) if len(data) > limit else Frame(data, False)
            deliver(Received(listener, peer, [frame], len(data)))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.set_reading(False)
        self.sock.close()
