"""The conversation engine and the domain rules behind it (routing, trusted keys). No Telegram."""
