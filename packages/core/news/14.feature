The request record keeps each request's body, up to
``http_requests.max_body`` bytes (64 KiB) with ``body_truncated`` when it
was cut, also when the application never read it; ``json()``, ``form``,
``files`` and ``args`` parse it. ``find``, ``assert_requested`` and the new
``wait(..., timeout=)`` match on ``query``, ``headers`` and ``where`` too.
