"""The caseworker's side: key pair, passphrase, the case client, the desk's command line and the
console; shared command-line conventions (commandline.py). Never imports storage or the server."""
