``http_errors`` lists the exceptions the server caught during the current
test; ``fail_on_server_errors`` (or ``GOCEPT_HTTP_FAIL_ON_SERVER_ERRORS``)
fails that test with the server's traceback.
