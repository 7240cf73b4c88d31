Browsers from a Selenium Grid: ``gocept.httpserverlayer.grid`` (extra
``grid``) starts a Chromium session on the hub named by
``GOCEPT_SELENIUM_GRID_URL`` for a layer, trusts an HTTPS layer's
certificate by the hash in the session's capabilities, and says in one line
which variable to change when the grid or the layer cannot be reached.
``python -m gocept.httpserverlayer serve package.module.LAYER`` serves a
layer stack to tests in another process (Robot Framework, Cypress,
Playwright Test), with a loopback-only control endpoint (``--control``)
that starts a fresh test between theirs; SIGINT and SIGTERM tear the stack
down.
