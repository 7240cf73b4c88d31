``static.Layer`` (and ``StaticFiles``) serve a small file with about half
the CPU time: a path is looked up with one ``lstat`` per name below the
root, and symbolic links are resolved (and checked against the root) only
where there are any, instead of resolving the whole path three times per
request; small files are read without a file object. What is served, and
what is refused, is unchanged. ``custom.Layer`` fills a plain handler's
``self.headers`` in one step.
