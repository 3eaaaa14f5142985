"""The caseworker console: a web app served by the caseworker's own laptop, decrypting there.

It is a client of the case API like the desk's commands, and uses `desk.actions` for every
read and write: one crypto implementation. The server never sees plaintext; the browser sees it
only from 127.0.0.1, behind a per-start secret, and only while the console is unlocked.
"""
