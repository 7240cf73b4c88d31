Initial release: ``FixupMiddleware``, moved here from
``gocept.httpserverlayer.wsgi`` (which still imports it). It accepts the
two-argument ``start_response`` call that Zope's publisher makes,
normalises a merged duplicate ``CONTENT_LENGTH`` (``12, 12``), answers a
malformed one with 400, removes every hop-by-hop response header and
passes streaming bodies, ``wsgi.file_wrapper`` and ``close()`` through
untouched.
