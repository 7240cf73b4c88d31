A pytest plugin (``http_server_factory``, ``http_server``/``http_app``,
``static_server``) and the ``pytest`` extra.
