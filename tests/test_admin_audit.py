"""`grievance admin audit`: the administrators read who changed what, day by day; an event is a
day, an actor, an action and a subject, and nothing else."""

from __future__ import annotations

from datetime import date

import pytest
from admin_world import add_partner, admin_deployment
from casework import run, run_json

from storage import days


@pytest.fixture
def history(database_url, tmp_path, monkeypatch, capsys):
    """A partner added on 1 March, a site on 5 March, a credential issued on 9 March 2031."""
    env = admin_deployment(database_url, tmp_path, monkeypatch, capsys)
    for day, command in (
        (date(2031, 3, 1), lambda: add_partner(capsys, env)),
        (date(2031, 3, 5), lambda: run_json(capsys, "admin", "site", "add", "lamphun-2",
                                            "--name", "Lamphun Plant 2", "--country", "TH",
                                            "--partner", "mekong-workers")),
        (date(2031, 3, 9), lambda: run_json(capsys, "admin", "credential", "issue",
                                            "mekong-workers", "--label", "office laptop")),
    ):  # fmt: skip
        with monkeypatch.context() as on_that_day:
            on_that_day.setattr(days, "today", lambda day=day: day)
            command()
    return env


def test_the_audit_log_lists_day_actor_action_and_subject_oldest_first(history, capsys):
    read = run_json(capsys, "admin", "audit")
    assert read["events"] == [
        {"day": "2031-03-01", "actor": "admin", "action": "partner.add",
         "subject": "mekong-workers"},
        {"day": "2031-03-05", "actor": "admin", "action": "site.add", "subject": "lamphun-2"},
        {"day": "2031-03-09", "actor": "admin", "action": "credential.issue",
         "subject": "mekong-workers credential:1"},
    ]  # fmt: skip
    assert read["database"]
    status, out, err = run(capsys, "admin", "audit")
    assert status == 0
    assert out.splitlines() == [
        "2031-03-01  admin  partner.add       mekong-workers",
        "2031-03-05  admin  site.add          lamphun-2",
        "2031-03-09  admin  credential.issue  mekong-workers credential:1",
    ]
    assert err.startswith("grievance: database: ")
    # The credential's label is the administrators' own note, but an event never carries it.
    assert "office laptop" not in out


def test_since_and_limit_keep_the_newest_events(history, capsys):
    def actions(*argv):
        return [e["action"] for e in run_json(capsys, "admin", "audit", *argv)["events"]]

    assert actions("--since", "2031-03-05") == ["site.add", "credential.issue"]
    assert actions("--since", "2031-03-10") == []
    assert actions("--limit", "2") == ["site.add", "credential.issue"]
    assert actions("--since", "2031-03-01", "--limit", "1") == ["credential.issue"]
    assert run(capsys, "admin", "audit", "--since", "2031-03-10")[1] == "No events.\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "March"], "'March' is not a day; write it as YYYY-MM-DD"),
        (["--since", "2031-02-30"], "is not a day"),
        (["--limit", "0"], "is not a number of events"),
        (["--limit", "-3"], "is not a number of events"),
    ],
)
def test_a_malformed_since_or_limit_is_one_line_with_status_2(history, capsys, argv, message):
    status, out, err = run(capsys, "admin", "audit", *argv)
    assert status == 2 and out == ""
    assert err.startswith("grievance: error: ") and message in err and err.count("\n") == 1
