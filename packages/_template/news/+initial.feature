Initial release.
