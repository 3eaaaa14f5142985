"""The caseworker's side: key pair, passphrase and the case client. Never imports storage."""
