"""Gettext catalogs, one folder a language (`<lang>/LC_MESSAGES/messages.po`); source: English.

A package only so that the catalogs install with the code; it holds no code.
"""
