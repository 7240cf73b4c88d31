The tests now run on CPython 3.12 and 3.13 as well as 3.11, and on Zope
5.14 with plone.testing 9 (the Zope of Plone 6.1) as well as on Zope 6: the
classifiers name these versions, Zope 5 and Plone 6.1 included.
