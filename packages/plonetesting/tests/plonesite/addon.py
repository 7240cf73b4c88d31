"""The test layers of a Plone add-on, with a real HTTP server.

An add-on's ``testing.py`` would hold this: its fixture (a
PloneSandboxLayer that loads the add-on's ZCML and installs its profile),
the usual integration and functional layers, and a layer with
``HTTP_SERVER`` mixed in for tests that need a browser or an HTTP client.
"""

import plone.app.testing
import plone.testing

from gocept.httpserverlayer import browser
from gocept.httpserverlayer.plonetesting import HTTP_SERVER

# What the add-on's configure.zcml would register; a real add-on loads it
# with self.loadZCML(package=my.addon).
ZCML = """\
<configure xmlns="http://namespaces.zope.org/zope"
           xmlns:browser="http://namespaces.zope.org/browser">
  <include package="Products.Five" file="meta.zcml" />
  <browser:page name="broken" for="*" class="plonesite.views.Broken"
                permission="zope2.View" />
  <browser:page name="go-home" for="*" class="plonesite.views.GoHome"
                permission="zope2.View" />
</configure>
"""


class MyAddonLayer(plone.app.testing.PloneSandboxLayer):
    """A Plone site (with plone.app.contenttypes) and the add-on's views."""

    defaultBases = (plone.app.testing.PLONE_FIXTURE,)

    def setUpZope(self, app, configurationContext):
        import zope.configuration.xmlconfig

        zope.configuration.xmlconfig.string(ZCML, context=configurationContext)


MY_ADDON_FIXTURE = MyAddonLayer(name="MyAddon")

MY_ADDON_FUNCTIONAL_TESTING = plone.app.testing.FunctionalTesting(
    bases=(MY_ADDON_FIXTURE,), name="MyAddon:Functional"
)

# The site over real HTTP, a fresh database for every test. HTTP_SERVER
# brings that database; plone.app.testing's FunctionalTesting adds the
# ``portal`` resource and logs TEST_USER_NAME in for the test's own code.
MY_ADDON_HTTP_TESTING = plone.app.testing.FunctionalTesting(
    bases=(MY_ADDON_FIXTURE, HTTP_SERVER), name="MyAddon:HTTP"
)

# The shortest form, for tests that only talk HTTP: resources ``app``,
# ``request`` and the server's, but no ``portal``.
MY_ADDON_HTTP = plone.testing.Layer(
    bases=(MY_ADDON_FIXTURE, HTTP_SERVER), name="MyAddon:HTTPOnly"
)

# A headless Chromium on the site over HTTP, through Selenium or Playwright
# (gocept.httpserverlayer[selenium] or [playwright]): started once, reset
# after each test. A browser layer trusts the certificate of the server
# under it when that serves HTTPS (GOCEPT_HTTP_HTTPS=1).
MY_ADDON_SELENIUM = browser.SeleniumLayer(
    bases=(MY_ADDON_HTTP_TESTING,),
    name="MyAddon:Selenium",
    module=__name__,
    chromium_args=["--window-size=1280,1024"],
)
MY_ADDON_PLAYWRIGHT = browser.PlaywrightLayer(
    bases=(MY_ADDON_HTTP_TESTING,), name="MyAddon:Playwright", module=__name__
)
