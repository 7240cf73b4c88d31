New ``gocept.httpserverlayer.asgi.Layer``: serves an ASGI 3 application
(Starlette, FastAPI, Django's ASGI handler, ...) with the resources and
per-test guarantees of ``wsgi.Layer``, lifespan at setUp and tearDown, and
websockets over ``ws://`` and ``wss://``, recorded in ``http_requests`` with
their close code. Websockets still open at testTearDown are closed with code
1001 and reported. Install the ``asgi`` extra
(``pip install 'gocept.httpserverlayer[asgi]'``); the pytest factory takes
``asgi=app``.

``http_live_server`` serves an ASGI 3 application that ``http_live_app``
returns (websockets, lifespan and pytest-playwright's ``page`` included);
``http_server`` refuses an ASGI ``http_app`` and names the routes to take.

``python -m gocept.httpserverlayer serve LAYER --control`` works for an
``asgi.Layer`` too: the control endpoint resets the test between the tests of
another process (Cypress, Playwright Test) as for the WSGI layers.
