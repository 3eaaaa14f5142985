"""What the administrators do: partners and their signed keys, sites, caseworker credentials,
and reading the audit log. One module per thing administered; each function takes an open session
(the caller owns the transaction) and returns a typed result (a frozen dataclass) for the command
line to print.

Every change is recorded in the audit log (actor, action, subject, day: never anything about a
worker). `from bot import admin` gives every module: `admin.partners.add_partner(...)`.
"""

from bot.admin import audit, checks, credentials, partners, signing, sites

__all__ = ["audit", "checks", "credentials", "partners", "signing", "sites"]
