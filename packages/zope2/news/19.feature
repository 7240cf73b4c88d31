The tests now run on CPython 3.12 and 3.13 as well as 3.11, and with Zope
5.14 (and plone.testing 9) as well as Zope 6; the classifiers name Zope 5
too.
