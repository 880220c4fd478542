"""Media keys: an MPRIS player on the session D-Bus while a session plays (jeepney, no system
bindings).

Desktop media keys, Bluetooth headphone buttons, ``playerctl``, GNOME's and KDE's media controls
and KDE Connect all speak MPRIS. :class:`MediaKeys` publishes ``org.mpris.MediaPlayer2.matcue``
(``….matcue.instance<pid>`` when another matcue has it) on a thread of its own, turns each
method call into a command of its own source (:mod:`matcue.playback.mpris_map` says which) and
answers the call only once the session has acted on it, so ``playerctl play-pause; playerctl
status`` reads the new state. It announces the track and the playback status with
``PropertiesChanged`` and jumps with ``Seeked``.

No bus, a broken address, a bus that does not answer within half a second: the service gives up
quietly (``note`` hears one line) and the session plays on; it never waits for the bus.

Measured pitfalls (DESIGN §4): the name is requested on the bare connection and its reply
matched by serial; jeepney returns D-Bus errors as messages; its own connection says Hello with
no time limit, so this one is made here with one.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from matcue.playback import mpris_map as m
from matcue.playback.commands import Commands, Source
from matcue.playback.nowplaying import NowPlaying

TIMEOUT = 0.5  # seconds the bus has to answer while connecting
TICK = 0.1  # seconds between looks at the session (status, track, jumps)
ACT = 10.0  # seconds a call waits for the session to act before it is answered anyway
DBUS = ("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus")
DO_NOT_QUEUE = 4  # RequestName flag
PRIMARY_OWNER = 1


class Playing(Protocol):
    def now_playing(self) -> NowPlaying | None:
        """The session now (None before it starts)."""
        ...


class Bus:
    """A blocking connection to a D-Bus bus with a time limit on every wait."""

    def __init__(self, path: str, timeout: float = TIMEOUT) -> None:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import DBusConnectionBase, prep_socket

        self._conn: Any = DBusConnectionBase(prep_socket(path, timeout=timeout))
        self.early: deque[Any] = deque()  # messages that came while waiting for a reply
        try:
            reply = self.call(message_bus.Hello(), timeout)
            self.unique_name = str(reply.body[0])
        except BaseException:
            self.close()
            raise

    def send(self, message: Any) -> int:
        serial = next(self._conn.outgoing_serial)
        data, _ = self._conn._serialise(message, serial)
        self._conn.sock.sendall(data)
        return int(serial)

    def receive(self, timeout: float) -> Any | None:
        """The next message, or None after ``timeout`` seconds."""
        from jeepney.io.blocking import timeout_to_deadline

        if self.early:
            return self.early.popleft()
        try:
            return self._conn._receive(timeout_to_deadline(timeout))
        except TimeoutError:
            return None

    def call(self, message: Any, timeout: float) -> Any:
        """Send a method call and return its reply (an error reply is a message too);
        TimeoutError after ``timeout`` seconds."""
        import time

        from jeepney import HeaderFields
        from jeepney.io.blocking import timeout_to_deadline

        serial = self.send(message)
        deadline = timeout_to_deadline(timeout)
        while True:
            msg = self._conn._receive(deadline)
            if msg.header.fields.get(HeaderFields.reply_serial) == serial:
                return msg
            self.early.append(msg)
            if time.monotonic() > deadline:
                raise TimeoutError

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.close()


class MediaKeys:
    """The MPRIS service of one playing session. ``commands``: the session's queue (a source of
    its own is opened in it at once, so a paused session waits for the media keys while they
    are up); ``player``: where the session is; ``address``: the bus's; ``note``: one line when
    the service cannot be had."""

    def __init__(
        self,
        player: Playing,
        commands: Commands,
        address: str,
        *,
        note: Callable[[str], object] | None = None,
        pid: int | None = None,
    ) -> None:
        self.player = player
        self.commands = commands
        self.address = address
        self.note = note
        self.pid = os.getpid() if pid is None else pid
        self.source: Source = commands.source("media keys")
        self.name: str | None = None  # the bus name, once published
        self.ready = threading.Event()  # set once published, or given up
        self._closing = threading.Event()
        self._bus: Bus | None = None
        self._thread = threading.Thread(target=self._run, name="matcue-mpris", daemon=True)

    def start(self) -> MediaKeys:
        self._thread.start()
        return self

    def close(self, timeout: float = 1.0) -> None:
        """Stop serving: the last status goes out, the name is released."""
        self._closing.set()
        self._thread.join(timeout)
        self.source.close()

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            bus = self._connect()
        except Exception as err:  # no bus: the session plays on without media keys
            self.source.close()
            self.ready.set()
            if self.note is not None:
                self.note(f"media keys off: no session D-Bus ({_reason(err)})")
            return
        self._bus = bus
        self.ready.set()
        try:
            self._serve(bus)
        except Exception as err:  # the bus went away: play on
            self.source.close()
            if self.note is not None:
                self.note(f"media keys off: the session D-Bus went away ({_reason(err)})")
        finally:
            bus.close()

    def _connect(self) -> Bus:
        from jeepney import DBusAddress, new_method_call

        path = m.socket_path(self.address)
        if path is None:
            raise ValueError(f"cannot use the address {self.address!r}")
        bus = Bus(path)
        try:
            daemon = DBusAddress(*DBUS)
            for name in (m.BUS_NAME, f"{m.BUS_NAME}.instance{self.pid}"):
                request = new_method_call(daemon, "RequestName", "su", (name, DO_NOT_QUEUE))
                reply = bus.call(request, TIMEOUT)
                if reply.body and reply.body[0] == PRIMARY_OWNER:
                    self.name = name
                    return bus
            raise ValueError("the MPRIS names are taken")
        except BaseException:
            bus.close()
            raise

    def _serve(self, bus: Bus) -> None:
        from jeepney import MessageType

        last = self.player.now_playing()
        while not self._closing.is_set():
            msg = bus.receive(TICK)
            if msg is not None and msg.header.message_type is MessageType.method_call:
                for out in self._answer(msg):
                    bus.send(out)
            now = self.player.now_playing()
            for out in self._signals(last, now):
                bus.send(out)
            last = now
        for out in self._signals(last, self.player.now_playing()):  # Stopped
            bus.send(out)

    def _signals(self, old: NowPlaying | None, new: NowPlaying | None) -> list[Any]:
        from jeepney import DBusAddress, new_signal

        out: list[Any] = []
        changed = m.changed(old, new)
        if changed:
            props = DBusAddress(m.PATH, interface=m.PROPERTIES)
            body: tuple[str, dict[str, m.Variant], list[str]] = (m.PLAYER, changed, [])
            out.append(new_signal(props, "PropertiesChanged", "sa{sv}as", body))
        if new is not None and m.jumped(old, new):
            player = DBusAddress(m.PATH, interface=m.PLAYER)
            out.append(new_signal(player, "Seeked", "x", (m.microseconds(new.position),)))
        return out

    # -- method calls ----------------------------------------------------------------------

    def _answer(self, msg: Any) -> list[Any]:
        """The reply to one method call (and nothing for a call that wants none)."""
        from jeepney import HeaderFields, MessageFlag, new_error, new_method_return

        fields = msg.header.fields
        interface = fields.get(HeaderFields.interface)
        member = fields.get(HeaderFields.member)
        try:
            if fields.get(HeaderFields.path) != m.PATH:
                raise _Error("org.freedesktop.DBus.Error.UnknownObject", "no such object")
            signature, body = self._call(interface, member, tuple(msg.body))
            reply = new_method_return(msg, signature, body)
        except _Error as err:
            reply = new_error(msg, err.name, "s", (err.text,))
        if msg.header.flags & MessageFlag.no_reply_expected:
            return []
        return [reply]

    def _call(
        self, interface: str | None, member: str | None, args: tuple[Any, ...]
    ) -> tuple[str | None, tuple[Any, ...]]:
        """(signature, body) of the reply to ``interface.member(*args)``."""
        if interface == m.PROPERTIES:
            return self._properties(member, args)
        if interface == "org.freedesktop.DBus.Introspectable" and member == "Introspect":
            return "s", (INTROSPECTION,)
        if interface == "org.freedesktop.DBus.Peer" and member == "Ping":
            return None, ()
        if interface in (m.ROOT, None) and member in ("Raise", "Quit"):
            if member == "Quit":
                self._act("Stop")
            return None, ()
        if interface in (m.PLAYER, None) and member in PLAYER_METHODS:
            self._act(member)
            return None, ()
        raise _Error("org.freedesktop.DBus.Error.UnknownMethod", f"no method {member}")

    def _act(self, method: str) -> None:
        """Give the session the method's command and wait until it has acted on it."""
        now = self.player.now_playing()
        if now is None or now.finished:
            return
        command = m.command_for(method, now.paused)
        if command is None:
            return
        ticket = self.source.put(command)
        if ticket is not None:
            self.commands.wait_handled(ticket, ACT)

    def _properties(
        self, member: str | None, args: tuple[Any, ...]
    ) -> tuple[str | None, tuple[Any, ...]]:
        interface = args[0] if args else ""
        table = self._table(interface)
        if member == "GetAll":
            return "a{sv}", (table,)
        if member == "Get" and len(args) == 2:
            if args[1] not in table:
                raise _Error("org.freedesktop.DBus.Error.UnknownProperty", str(args[1]))
            return "v", (table[args[1]],)
        if member == "Set":
            raise _Error("org.freedesktop.DBus.Error.PropertyReadOnly", "read-only")
        raise _Error("org.freedesktop.DBus.Error.UnknownMethod", f"no method {member}")

    def _table(self, interface: str) -> dict[str, m.Variant]:
        if interface == m.ROOT:
            return m.root_properties()
        if interface == m.PLAYER:
            return m.player_properties(self.player.now_playing())
        raise _Error("org.freedesktop.DBus.Error.UnknownInterface", str(interface))


class _Error(Exception):
    def __init__(self, name: str, text: str) -> None:
        super().__init__(text)
        self.name = name
        self.text = text


def _reason(err: BaseException) -> str:
    return str(err) or type(err).__name__


PLAYER_METHODS = ("Next", "Previous", "Pause", "PlayPause", "Stop", "Play", "Seek", "SetPosition")

INTROSPECTION = """<node>
 <interface name="org.mpris.MediaPlayer2">
  <method name="Raise"/><method name="Quit"/>
  <property name="CanQuit" type="b" access="read"/>
  <property name="CanRaise" type="b" access="read"/>
  <property name="HasTrackList" type="b" access="read"/>
  <property name="Identity" type="s" access="read"/>
  <property name="SupportedUriSchemes" type="as" access="read"/>
  <property name="SupportedMimeTypes" type="as" access="read"/>
 </interface>
 <interface name="org.mpris.MediaPlayer2.Player">
  <method name="Next"/><method name="Previous"/><method name="Pause"/>
  <method name="PlayPause"/><method name="Stop"/><method name="Play"/>
  <method name="Seek"><arg direction="in" name="Offset" type="x"/></method>
  <method name="SetPosition">
   <arg direction="in" name="TrackId" type="o"/><arg direction="in" name="Position" type="x"/>
  </method>
  <signal name="Seeked"><arg name="Position" type="x"/></signal>
  <property name="PlaybackStatus" type="s" access="read"/>
  <property name="Rate" type="d" access="read"/>
  <property name="MinimumRate" type="d" access="read"/>
  <property name="MaximumRate" type="d" access="read"/>
  <property name="Volume" type="d" access="read"/>
  <property name="Metadata" type="a{sv}" access="read"/>
  <property name="Position" type="x" access="read"/>
  <property name="CanGoNext" type="b" access="read"/>
  <property name="CanGoPrevious" type="b" access="read"/>
  <property name="CanPlay" type="b" access="read"/>
  <property name="CanPause" type="b" access="read"/>
  <property name="CanSeek" type="b" access="read"/>
  <property name="CanControl" type="b" access="read"/>
 </interface>
 <interface name="org.freedesktop.DBus.Properties">
  <method name="Get">
   <arg direction="in" type="s"/><arg direction="in" type="s"/>
   <arg direction="out" type="v"/>
  </method>
  <method name="GetAll"><arg direction="in" type="s"/><arg direction="out" type="a{sv}"/></method>
  <signal name="PropertiesChanged">
   <arg type="s"/><arg type="a{sv}"/><arg type="as"/>
  </signal>
 </interface>
</node>
"""
