"""What the administrators do: partners and their signed keys, sites, caseworker credentials.

`from bot import admin` gives every module: `admin.partners.add_partner(...)`.
"""

from bot.admin import credentials, partners

__all__ = ["credentials", "partners"]
