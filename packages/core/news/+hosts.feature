``GOCEPT_HTTP_BIND_HOST`` listens apart from the advertised host;
``GOCEPT_HTTP_APP_PORT`` fixes the port and is refused, with a reason, in
parallel workers.
