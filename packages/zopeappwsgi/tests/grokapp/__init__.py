"""A Grok application: notes in a container, a login to add one."""
