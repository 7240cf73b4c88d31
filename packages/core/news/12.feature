The extras of 4.x work again and install the distributions that replaced
them: ``gocept.httpserverlayer[plonetestingzope]``, ``[zopeappwsgi]`` and
(from 1.x–2.x) ``[plonetestingz2]``, so gocept.selenium's own extras bring
in the integrations.
