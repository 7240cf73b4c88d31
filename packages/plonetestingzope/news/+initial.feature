Initial release: the module ``gocept.httpserverlayer.plonetestingzope`` of
gocept.httpserverlayer 3.x and 4.x as a distribution of its own, an alias of
``gocept.httpserverlayer.plonetesting``.
