The tests now run on CPython 3.12 and 3.13 as well as 3.11, with Zope 5.14
(and plone.testing 9) as well as Zope 6, and on real Plone 6.1 sites as well
as 6.2; the classifiers name Zope 5 and Plone 6.1 too.
