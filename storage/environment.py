"""The two environment variables that say where the database is, by name.

Standard library only: a command line names them in its --help without loading SQLAlchemy.
`storage.db.database_url_from_env` reads them.
"""

from typing import Final

DATABASE_URL_VARIABLE: Final = "GRIEVANCE_DATABASE_URL"
DATA_DIR_VARIABLE: Final = "GRIEVANCE_DATA_DIR"
