"""The HTTP side of the server: the aiohttp application (health check, Telegram's webhook) and the
partner-scoped case API the desk and the console talk to (docs/openapi.yaml is its contract).

server.py builds the application and keeps its logs anonymous; case_api.py mounts the API with
its guard; calls.py is what every endpoint shares (the caller, errors, bodies, scoped lookups);
case_routes.py and entry_routes.py are the endpoints; answers.py the JSON they answer with;
request_shapes.py the request bodies and queries, validated before use.
"""
