``custom.Layer`` (any ``http.server`` handler, plain
``BaseHTTPRequestHandler`` subclasses included) and the
``request_handler_class`` of ``wsgi.Layer`` now get every request through
the server's parser, connection loop and test gate: bad input never reaches
the handler, a chunked body arrives de-chunked with its Content-Length,
requests are recorded with the status the handler wrote and held between two
tests, an exception is reported, kept in ``http_errors`` (and fails the test
when asked) and answered 500, and an HTTP/1.1 handler keeps the connection
alive. New: ``gocept.httpserverlayer.resources(layer)``, the resources typed
for ``mypy --strict``; ``gocept.httpserverlayer.rules``, the HTTP rules the
integrations share; ``Error``, ``ConfigurationError``, ``BindError`` and
``ServerError`` importable from ``gocept.httpserverlayer``.
