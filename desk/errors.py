"""The desk's one kind of mistake, apart from the module that raises most of them (the HTTP
client), so that the command line can name it without loading the client."""


class DeskError(Exception):
    """Something the caseworker can act on, said in one calm sentence."""
