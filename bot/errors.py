"""Mistakes an operator can make, each with one sentence the command line prints as is."""


class UserError(Exception):
    """A mistake in a command, a setting or an argument; never a bug."""
