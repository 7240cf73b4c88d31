``HTTP_SERVER`` honours Plone's ``WSGI_SERVER_HOST``/``WSGI_SERVER_PORT``
(and ``ZSERVER_HOST``/``ZSERVER_PORT``) when ``GOCEPT_HTTP_APP_HOST`` and
``GOCEPT_HTTP_APP_PORT`` are unset. With HTTPS on, Zope sees https: in the
requests it serves (``absolute_url()``, redirects) and in the test's own
request (``absolute_url()`` in the test). ``log_in(browser, portal, login)``
logs a Selenium WebDriver or a Playwright page in as a Plone user with
plone.session's cookie, or with HTTP basic authentication given a password,
without the login form. Tested on a real Plone site with both browser
tools and through pytest-plone's ``fixtures_factory`` with
pytest-playwright's ``page``.
