The tests now run on CPython 3.12 and 3.13 as well as 3.11, the versions
the classifiers name.
