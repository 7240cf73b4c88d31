Tested on CPython 3.11, 3.12 and 3.13, which the classifiers now name.
