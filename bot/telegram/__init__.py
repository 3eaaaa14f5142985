"""The Telegram side: the PTB adapter, its Bot API connection, long polling, and delivery."""
