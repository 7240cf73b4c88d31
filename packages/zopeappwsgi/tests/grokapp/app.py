"""The application: grokked, no ZCML of its own but ftesting.zcml."""

import grok


class Notes(grok.Application, grok.Container):
    """The application object, installed in the root folder."""


class Note(grok.Model):
    def __init__(self, text):
        super().__init__()
        self.text = text


class AddNotes(grok.Permission):
    grok.name("grokapp.AddNotes")


class Index(grok.View):
    """Lists the notes (public)."""

    grok.context(Notes)

    def render(self):
        self.response.setHeader("Content-Type", "text/plain")
        notes = [note.text for _, note in sorted(self.context.items())]
        return " ".join(notes) or "no notes"


class Add(grok.View):
    """Adds a note (needs grokapp.AddNotes: log in)."""

    grok.context(Notes)
    grok.require("grokapp.AddNotes")

    def render(self, text):
        self.context[str(len(self.context))] = Note(text)
        self.response.setHeader("Content-Type", "text/plain")
        return f"added by {self.request.principal.id}"
