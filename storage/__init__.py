"""Persistence for the grievance channel: models, repositories and migrations.

Storage only ever sees opaque ciphertext, public keys and day-granular dates: nothing here can
read a report or tell who sent it, so a database dump alone reveals neither.
"""
