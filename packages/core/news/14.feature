The request record keeps each request's body, up to
``http_requests.max_body`` bytes (64 KiB) with ``body_truncated`` when it
was cut, also when the application never read it; ``json()``, ``form``,
``files`` and ``args`` parse it. ``find``, ``assert_requested`` and the new
``wait(..., timeout=)`` match on ``query``, ``headers`` and ``where`` too.

The pytest plugin: ``http_live_server`` serves the session-scoped
``http_live_app`` (pytest-playwright's ``base_url`` in one line); the
plugin's hooks reset every server it started around every test;
``http_server_factory`` takes ``https=``, ``host=``, ``bind_host=`` and
``fail_on_server_errors=``; servers have ``ca_bundle``, ``ca_spki_hash``,
``errors`` and ``check_errors()``; options and ini settings for host, bind
host, port, HTTPS and failing on server errors, and a header line that says
what is in force. Server errors fail tests under pytest too (plugin servers
and layers under zope.pytestlayer). A layer's resource read while it is not
set up raises an error that names the layer and the fix.

``gocept.httpserverlayer.browser`` (extras ``selenium`` and
``playwright``): start Debian's or any Chromium for Selenium and
Playwright, trusting an HTTPS layer's certificate by its SPKI hash;
``SeleniumLayer`` and ``PlaywrightLayer`` for zope.testrunner; a
screenshot, the page and the console log of a failing test, from
``BrowserTestCase`` and from the pytest plugin (pytest-playwright's
``page`` included).
