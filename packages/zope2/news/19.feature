Tested on CPython 3.11, 3.12 and 3.13 and with Zope 5.14 (and plone.testing
9) as well as Zope 6, which the classifiers now name.
