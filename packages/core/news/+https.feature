HTTPS on request (``https = True`` or ``GOCEPT_HTTP_HTTPS``), with a
certificate made by trustme at setUp and the resources ``ca_bundle`` and
``ca_spki_hash``.
