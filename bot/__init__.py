"""The server side: configuration, command line, administration (and later the Telegram bot)."""
