"""A view of the example add-on: it fails, to show the site's 500."""

from Products.Five.browser import BrowserView


class Broken(BrowserView):
    def __call__(self):
        raise RuntimeError("broken on purpose")


class GoHome(BrowserView):
    """Redirects to the site's front page."""

    def __call__(self):
        return self.request.response.redirect(self.context.absolute_url())
