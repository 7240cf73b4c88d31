"""Test code shared by the tests of the gocept.httpserverlayer distributions.

Not published and not an API: see this distribution's README.rst for what
each module holds.
"""

__version__ = "0"
