"""Correcting the directory: `site rename/move/remove` and `partner edit`, audited, refusing what
would make routing ambiguous or silently leave workers with nobody to report to."""

import pytest
from admin_world import add_partner, admin_deployment, audit_events
from casework import run, run_json


@pytest.fixture
def env(database_url, tmp_path, monkeypatch, capsys):
    env = admin_deployment(database_url, tmp_path, monkeypatch, capsys)
    add_partner(capsys, env, "mekong-workers", ("TH",))
    add_partner(capsys, env, "pearl-river", ("CN",))
    run_json(
        capsys, "admin", "site", "add", "lamphun-2", "--name", "Lamphun Plant 2",
        "--country", "TH", "--partner", "mekong-workers",
    )  # fmt: skip
    return env


def sites(capsys):
    return {s["slug"]: s for s in run_json(capsys, "admin", "site", "list")["sites"]}


def partners(capsys):
    return {p["slug"]: p for p in run_json(capsys, "admin", "partner", "list")["partners"]}


def refused(capsys, *argv):
    status, out, err = run(capsys, *argv)
    assert status == 1 and out == "", (status, out, err)
    assert err.count("\n") == 1 and err.startswith("grievance: error: ")
    return err


def test_a_site_is_renamed_and_its_slug_corrected(env, capsys):
    renamed = run_json(
        capsys, "admin", "site", "rename", "lamphun-2", "--name", "Lamphun Plant Two",
        "--slug", "lamphun-plant-2",
    )  # fmt: skip
    assert renamed["site"] == "lamphun-plant-2" and renamed["name"] == "Lamphun Plant Two"
    assert set(sites(capsys)) == {"lamphun-plant-2"}
    assert ("admin", "site.rename", "lamphun-2 -> lamphun-plant-2") in audit_events(env["url"])


def test_a_site_moves_to_another_partner_and_country(env, capsys):
    moved = run_json(
        capsys, "admin", "site", "move", "lamphun-2", "--partner", "pearl-river", "--country", "CN"
    )
    assert (moved["partner"], moved["country"]) == ("pearl-river", "CN")
    assert sites(capsys)["lamphun-2"]["partner"] == "pearl-river"
    assert ("admin", "site.move", "lamphun-2 -> pearl-river CN") in audit_events(env["url"])


def test_a_site_is_removed(env, capsys):
    status, out, _err = run(capsys, "admin", "site", "remove", "lamphun-2")
    assert status == 0 and "removed" in out and "stay with partner 'mekong-workers'" in out
    assert sites(capsys) == {}
    assert ("admin", "site.remove", "lamphun-2") in audit_events(env["url"])


def test_a_partner_is_renamed_and_its_countries_corrected(env, capsys):
    edited = run_json(
        capsys, "admin", "partner", "edit", "mekong-workers", "--name", "Mekong Workers' Centre",
        "--add-country", "mm", "--add-country", "LA",
    )  # fmt: skip
    assert edited["countries"] == ["LA", "MM", "TH"]
    listed = partners(capsys)["mekong-workers"]
    assert listed["name"] == "Mekong Workers' Centre" and listed["countries"] == ["LA", "MM", "TH"]
    run_json(
        capsys, "admin", "partner", "edit", "mekong-workers", "--remove-country", "LA", "--force"
    )
    assert partners(capsys)["mekong-workers"]["countries"] == ["MM", "TH"]
    assert audit_events(env["url"]).count(("admin", "partner.edit", "mekong-workers")) == 2


def test_two_sites_of_one_country_never_share_a_name(env, capsys):
    run_json(
        capsys, "admin", "site", "add", "lamphun-3", "--name", "Lamphun Plant 3",
        "--country", "TH", "--partner", "mekong-workers",
    )  # fmt: skip
    err = refused(capsys, "admin", "site", "rename", "lamphun-3", "--name", "lamphun  plant 2")
    assert "already has a site named 'Lamphun Plant 2'" in err
    err = refused(
        capsys, "admin", "site", "add", "copy", "--name", "LAMPHUN PLANT 2", "--country", "TH",
        "--partner", "pearl-river",
    )  # fmt: skip
    assert "workers could not tell the two apart" in err
    assert sites(capsys)["lamphun-3"]["name"] == "Lamphun Plant 3"


def test_a_country_has_one_default_partner(env, capsys):
    err = refused(capsys, "admin", "partner", "edit", "pearl-river", "--add-country", "TH")
    assert "TH is already covered by partner 'mekong-workers'" in err
    assert partners(capsys)["pearl-river"]["countries"] == ["CN"]


def test_leaving_a_country_with_nobody_to_report_to_needs_force(env, capsys):
    err = refused(capsys, "admin", "partner", "edit", "pearl-river", "--remove-country", "CN")
    assert "would leave workers in CN with no organisation" in err and "--force" in err
    assert partners(capsys)["pearl-river"]["countries"] == ["CN"]
    # Thailand keeps its default partner when its site goes: allowed without --force.
    assert run(capsys, "admin", "site", "remove", "lamphun-2")[0] == 0
    run_json(capsys, "admin", "partner", "edit", "pearl-river", "--remove-country", "CN", "--force")
    assert partners(capsys)["pearl-river"]["countries"] == []


def test_the_last_route_of_a_country_goes_only_with_force(env, capsys):
    run_json(capsys, "admin", "partner", "edit", "mekong-workers", "--remove-country", "TH")
    # Now only the site carries Thailand.
    err = refused(capsys, "admin", "site", "remove", "lamphun-2")
    assert "workers in TH" in err
    assert "lamphun-2" in sites(capsys)
    assert run(capsys, "admin", "site", "remove", "lamphun-2", "--force")[0] == 0
    assert sites(capsys) == {}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["site", "rename", "nowhere", "--name", "X"], "no site named 'nowhere'"),
        (["site", "rename", "lamphun-2"], "say what changes"),
        (["site", "rename", "lamphun-2", "--slug", "Bad Slug"], "is not a valid site name"),
        (["site", "rename", "lamphun-2", "--name", "two\nlines"], "one line of printable text"),
        (["site", "rename", "lamphun-2", "--name", "x" * 201], "at most 200 characters"),
        (["site", "move", "lamphun-2"], "say where it moves"),
        (["site", "move", "lamphun-2", "--partner", "nobody"], "no partner named 'nobody'"),
        (["site", "move", "lamphun-2", "--country", "XX"], "not an ISO 3166-1 alpha-2"),
        (["site", "remove", "nowhere"], "no site named 'nowhere'"),
        (["partner", "edit", "nobody", "--name", "X"], "no partner named 'nobody'"),
        (["partner", "edit", "pearl-river"], "say what changes"),
        (["partner", "edit", "pearl-river", "--remove-country", "TH"], "does not cover TH"),
        (["partner", "edit", "pearl-river", "--name", "   "], "needs a name"),
    ],
)
def test_mistakes_are_one_clear_line_and_change_nothing(env, capsys, argv, message):
    before = (sites(capsys), partners(capsys), audit_events(env["url"]))
    assert message in refused(capsys, "admin", *argv)
    assert (sites(capsys), partners(capsys), audit_events(env["url"])) == before
