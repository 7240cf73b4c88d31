Tested on CPython 3.11, 3.12 and 3.13, with Zope 5.14 (and plone.testing 9)
as well as Zope 6, and on real Plone 6.1 and 6.2 sites, which the classifiers
now name.
