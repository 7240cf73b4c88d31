Rewrite: a multi-threaded HTTP/1.1 server with keep-alive behind every
layer, fast bounded tearDown, a static layer that never touches a document
root it did not create, and clear errors for bad input.
