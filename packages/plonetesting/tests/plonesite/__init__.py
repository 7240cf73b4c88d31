# Tests on a real Plone site (the `plone` tox env); the `plonetesting` env,
# which has no Plone, leaves this package out.
