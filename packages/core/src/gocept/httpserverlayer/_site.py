"""What a protocol needs from its server: the site and the test gate.

A protocol (the WSGI engine, the ``http.server`` handler route, and
whatever a later layer plugs in) is given a :class:`Site` and nothing
else: the application, where requests and errors are recorded, the names
the server goes by, and the :class:`TestGate` between two tests. The
server (:mod:`._server`) owns the site and its gate; the layer
(:mod:`._layer`) fills in the application.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from gocept.httpserverlayer._connection import HELD
from gocept.httpserverlayer._connection import IDLE
from gocept.httpserverlayer._errors import Rejected
from gocept.httpserverlayer._records import Request
from gocept.httpserverlayer._records import RequestLog
from gocept.httpserverlayer._records import ServerError
from gocept.httpserverlayer._report import report_exception

if TYPE_CHECKING:
    from gocept.httpserverlayer._connection import Connection
    from gocept.httpserverlayer._parser import RequestHead


class TestGate:
    """Holds requests that arrive between two tests, until the next one.

    The server closes it at testTearDown (:meth:`close`) and opens it at
    the next testSetUp (:meth:`open`); :meth:`stop` opens it for good when
    the server shuts down. It also tells the server's settle() when a
    connection becomes idle or held, through the server's condition.

    :param changed: the condition settle() waits on.
    """

    # Not a test case, whatever the name suggests to a test collector.
    __test__ = False

    def __init__(self, changed: threading.Condition) -> None:
        self._open = threading.Event()
        self._open.set()
        #: Whether requests run at once (a test is running); an attribute,
        #: not a look at the event, as every request reads it.
        self.is_open = True
        self._changed = changed
        #: True once the server shuts down: requests are no longer run.
        self.stopped = False
        #: True while settle() waits for busy connections to become idle.
        self.settling = False

    def open(self) -> None:
        """Let requests run, those held included (a test started)."""
        self.is_open = True
        self._open.set()

    def close(self) -> None:
        """Hold the requests that arrive from now on (a test ended)."""
        # A request that reads is_open before this runs at once, as one
        # that came a moment earlier would; hold() waits on the event.
        self.is_open = False
        self._open.clear()

    def stop(self) -> None:
        """Release every held request for good: the server stops."""
        self.stopped = True
        self.is_open = True
        self._open.set()

    def idle(self, connection: Connection) -> None:
        """Mark ``connection`` as waiting for a request; tell settle()."""
        connection.phase = IDLE
        if self.settling:
            with self._changed:
                self._changed.notify_all()

    def hold(self, connection: Connection) -> bool:
        """Hold a request on ``connection`` until the next test starts.

        Returns False when the server stops instead.
        """
        connection.phase = HELD
        with self._changed:
            self._changed.notify_all()  # settle() need not wait for it
        self._open.wait()
        return not self.stopped


def asks_for_control(control: tuple[str, Any] | None, path: str) -> bool:
    """Whether a request for ``path`` goes to the control endpoint
    ``control`` (``(path, application)`` or None): its path or below."""
    if control is None:
        return False
    return path == control[0] or path.startswith(control[0] + "/")


@dataclass(eq=False)
class Site:
    """What a protocol may use to answer requests, and nothing more.

    :ivar name: the server's name in messages (``HTTP server of layer X``).
    :ivar server_name: the host name clients use (``SERVER_NAME``).
    :ivar server_port: the port the server listens on.
    :ivar url_scheme: ``http`` or ``https``.
    :ivar gate: the gate that holds requests between two tests.
    :ivar app: what the protocol serves (a WSGI application, for the WSGI
        engine and the ``wsgiref`` handler route); the layer sets it.
    :ivar records: the requests answered during the current test.
    :ivar errors: the exceptions caught during the current test.
    :ivar verbose: write a log line per request.
    :ivar control: ``(path, application)``: requests for ``path`` and
        below go to this WSGI application (the control endpoint of ``python
        -m gocept.httpserverlayer serve``) instead of ``app``: at once, also
        between tests, unrecorded, and settle() neither waits for them nor
        closes their connection (one of them may be what called settle()).
        None (the default): no path is reserved.
    :ivar crowded: True while connections wait for a worker thread: a
        protocol then hands its connection back to the server between two
        requests (see :func:`~._connection.serve`), so that the ones that
        wait get a turn; the server sets it.
    """

    name: str
    server_name: str
    server_port: int
    url_scheme: str
    gate: TestGate
    app: Any = None
    records: RequestLog = field(default_factory=RequestLog)
    errors: list[ServerError] = field(default_factory=list)
    verbose: bool = False
    control: tuple[str, Any] | None = None
    crowded: bool = False

    def is_control(self, head: RequestHead) -> bool:
        """Whether ``head`` asks for the control endpoint (see ``control``)."""
        return asks_for_control(self.control, head.path)

    def new_record(self, head: RequestHead) -> Request:
        """The record of the request ``head`` starts, not yet added.

        The protocol fills in its status and adds it (:meth:`add_record`)
        just before the response's head goes out, so that a test that
        has read the response finds the request recorded.
        """
        return Request(head.method, head.target, 0, None, head.headers)

    def add_record(self, record: Request, status: int, started: float) -> None:
        """Add ``record``, answered with ``status``, to the records."""
        record.status = status
        record.duration = time.perf_counter() - started
        self.records.add(record)

    def reject(self, rejected: Rejected) -> None:
        """Record a request the server rejects (as far as it was read)."""
        self.records.add(
            Request(
                rejected.method, rejected.target, rejected.status, None, ()
            )
        )

    def report_error(self, connection: Connection, what: str) -> None:
        """Report the exception being handled, once, and keep it.

        :param what: what failed, as in ``exception in the application``.
        """
        served = connection.describe()
        self.errors.append(
            ServerError(
                served,
                report_exception(
                    f"{self.name}: {what} while serving {served}"
                ),
            )
        )
