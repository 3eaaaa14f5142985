"""The server side: the Telegram bot, the HTTP server and case API, configuration, the
administrators' actions (admin/) and the `grievance` command line (cli/)."""
