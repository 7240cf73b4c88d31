"""HTTP servers as test layers, for real browsers and HTTP clients.

The layers live in the submodules :mod:`gocept.httpserverlayer.wsgi`,
:mod:`gocept.httpserverlayer.static` and :mod:`gocept.httpserverlayer.custom`;
framework integrations ship as separate distributions that install further
subpackages of this package (``zopeappwsgi``, ``plonetesting``, ``zope2``).
"""

# The integrations are separate distributions that each install one
# subpackage of ``gocept.httpserverlayer``. Extending ``__path__`` lets them
# be found whether they are installed normally, in editable mode or through
# PYTHONPATH, which a plain package ``__init__`` does not allow.
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)

__version__ = "5.0.dev0"

from gocept.httpserverlayer._payload import Fields  # noqa: E402
from gocept.httpserverlayer._payload import Upload  # noqa: E402
from gocept.httpserverlayer._records import Request  # noqa: E402
from gocept.httpserverlayer._records import RequestLog  # noqa: E402

__all__ = ["Fields", "Request", "RequestLog", "Upload", "__version__"]
