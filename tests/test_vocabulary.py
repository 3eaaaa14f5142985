"""The shared words are the words of the API's contract: docs/openapi.yaml's enums and patterns
equal vocabulary.py's, so a status added in one place and not the other fails here. And the
module stays importable by every layer: standard library only (import-linter cannot check a
module that is not a package, so this test is that contract)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

import yaml

import vocabulary
from crypto.ids import new_case_id, new_entry_id
from vocabulary import (
    CASE_ID,
    ENTRY_ID,
    ID_ALPHABET,
    KEY_ID,
    Author,
    CaseStatus,
    CredentialRole,
    KeyStatus,
    Purpose,
    anchored,
    status_label,
)

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]


def test_the_vocabulary_imports_the_standard_library_only():
    tree = ast.parse((ROOT / "vocabulary.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}  # fmt: skip
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported  # the walk found the imports
    outside = {name for name in imported if name.split(".")[0] not in sys.stdlib_module_names}
    assert outside <= {"__future__"}, f"vocabulary.py imports {sorted(outside)}"


def test_the_api_names_the_statuses_of_the_vocabulary_in_their_order():
    assert SCHEMAS["Status"]["enum"] == list(CaseStatus)
    assert tuple(SCHEMAS["Status"]["enum"]) == vocabulary.STATUSES


def test_the_api_names_key_statuses_roles_purposes_and_authors_of_the_vocabulary():
    assert SCHEMAS["Key"]["properties"]["status"]["enum"] == list(KeyStatus)
    assert SCHEMAS["Caseworker"]["properties"]["role"]["enum"] == list(CredentialRole)
    assert SCHEMAS["Entry"]["properties"]["purpose"]["enum"] == list(Purpose)
    assert SCHEMAS["Entry"]["properties"]["author"]["enum"] == list(Author)
    # a desk adds only what a caseworker writes
    added = DOCUMENT["paths"]["/api/v1/cases/{case_id}/entries"]["post"]["requestBody"]
    purposes = added["content"]["application/json"]["schema"]["properties"]["purpose"]["enum"]
    assert set(purposes) == {Purpose.REPLY, Purpose.NOTE}


def test_the_api_writes_the_id_patterns_of_the_vocabulary():
    assert SCHEMAS["CaseId"]["pattern"] == anchored(CASE_ID)
    assert SCHEMAS["EntryId"]["pattern"] == anchored(ENTRY_ID)
    assert SCHEMAS["KeyId"]["pattern"] == anchored(KEY_ID)


def test_the_id_patterns_take_exactly_the_ids_drawn():
    assert {c for c in map(chr, range(128)) if re.fullmatch(CASE_ID.pattern[:-4], c)} == set(
        ID_ALPHABET
    )
    assert all(CASE_ID.fullmatch(new_case_id()) for _ in range(50))
    assert all(ENTRY_ID.fullmatch(new_entry_id()) for _ in range(50))
    assert not CASE_ID.fullmatch("7KQ2M9XD4H1I")  # no I in Crockford's alphabet


def test_every_status_has_the_label_a_worker_reads():
    assert CaseStatus.ACKNOWLEDGED.label == "Seen by the organisation"
    assert status_label("investigating") == "Being looked into"
    assert status_label("escalated") == "escalated"  # a word from a newer server, shown as is
    assert [s for s in CaseStatus if s.settled] == [CaseStatus.RESOLVED, CaseStatus.CLOSED]
