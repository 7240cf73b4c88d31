New resources on every layer: ``http_requests`` (the requests answered
during the current test, with assertions), ``http_scheme`` and
``http_url``.
