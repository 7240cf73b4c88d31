"""A small ZTK application: a root folder, a note, four views, one login."""
