"""The server side of intake: the engine's ports implemented on the database and the crypto."""
