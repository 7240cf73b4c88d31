"""The application's content and its browser views."""

import threading
import time

import persistent
import ZODB.POSException
from zope.container.contained import Contained
from zope.publisher.browser import BrowserView
from zope.security.proxy import removeSecurityProxy


class Note(persistent.Persistent, Contained):
    """A piece of text in the root folder."""

    def __init__(self, text):
        self.text = text


class Read(BrowserView):
    """Shows the notes in the root folder (public)."""

    def __call__(self):
        self.request.response.setHeader("Content-Type", "text/plain")
        folder = removeSecurityProxy(self.context)
        items = sorted(folder.items())
        notes = [f"{name}={note.text}" for name, note in items]
        return " ".join(notes) or "no notes"


class Write(BrowserView):
    """Adds the note ``name`` with ``text`` (needs ztkapp.Edit)."""

    def __call__(self, name="note", text=""):
        folder = removeSecurityProxy(self.context)
        folder[name] = Note(text)
        self.request.response.setHeader("Content-Type", "text/plain")
        return f"wrote {name} as {self.request.principal.id}"


class Broken(BrowserView):
    """Raises an exception (public)."""

    def __call__(self):
        raise RuntimeError("broken on purpose")


class Conflict(BrowserView):
    """Writes, then raises ConflictError the first ``fail`` calls."""

    calls = 0
    fail = 0

    def __call__(self):
        # browser:page serves a subclass it makes: count on this class.
        Conflict.calls += 1
        folder = removeSecurityProxy(self.context)
        folder["conflict"] = Note(str(Conflict.calls))
        if Conflict.calls <= Conflict.fail:
            raise ZODB.POSException.ConflictError()
        return f"called {Conflict.calls} times"


class Rendezvous(BrowserView):
    """Writes a note, then waits until ``Rendezvous.expected`` requests are
    inside a view at the same time (public; the tests set the counter).

    Tells which ZODB connection served it, and what it read back.
    """

    expected = 2
    arrived = 0
    condition = threading.Condition()

    def __call__(self, name="note"):
        folder = removeSecurityProxy(self.context)
        folder[name] = Note(name)
        cls = Rendezvous  # not type(self): browser:page subclasses it
        with cls.condition:
            cls.arrived += 1
            cls.condition.notify_all()
            met = cls.condition.wait_for(
                lambda: cls.arrived >= cls.expected, timeout=10
            )
        self.request.response.setHeader("Content-Type", "text/plain")
        seen = sorted(folder.keys())
        return f"{id(folder._p_jar)} {met} {','.join(seen)}"


# The pages of the stress tests (test_stress.py), as layerstress expects
# them: TINY_BODY, SLOW_SECONDS, BIG_SIZE. Not imported from there: the
# application must import without the stress suite on the path.
TINY_BODY = b"Hello, world!"
SLOW_SECONDS = 0.05
BIG_SIZE = 16 * 1024 * 1024


class StressTiny(BrowserView):
    """The 13-byte page of the stress tests' load (public)."""

    def __call__(self):
        self.request.response.setHeader("Content-Type", "text/plain")
        return TINY_BODY


class StressSlow(StressTiny):
    """The 13-byte page, after SLOW_SECONDS (public)."""

    def __call__(self):
        time.sleep(SLOW_SECONDS)
        return super().__call__()


class StressBig(BrowserView):
    """BIG_SIZE bytes, for clients that stop reading (public)."""

    def __call__(self):
        self.request.response.setHeader("Content-Type", "text/plain")
        return b"x" * BIG_SIZE
