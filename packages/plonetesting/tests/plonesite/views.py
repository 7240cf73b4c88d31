"""A view of the example add-on: it fails, to show the site's 500."""

from Products.Five.browser import BrowserView


class Broken(BrowserView):
    def __call__(self):
        raise RuntimeError("broken on purpose")
