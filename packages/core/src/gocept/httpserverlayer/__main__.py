"""``python -m gocept.httpserverlayer serve package.module.LAYER``: serve a
layer stack to tests that run in another process (see :mod:`._serve`)."""

import sys

from gocept.httpserverlayer._serve import main

if __name__ == "__main__":
    sys.exit(main())
