Initial release: the module ``gocept.httpserverlayer.plonetestingz2`` of
gocept.httpserverlayer 1.0 to 2.2 as a distribution of its own, an alias of
``gocept.httpserverlayer.plonetesting``.
