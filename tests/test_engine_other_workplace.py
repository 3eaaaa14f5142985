"""A worker whose workplace is not listed is asked which one it is, and it reaches the partner."""

import pytest

from handlers.io import Command
from handlers.questionnaire import QuestionnaireError, load_default, parse
from tests.engine_harness import Worker

NAME_AND_TOWN = "Write its name and town."


async def walk_to_another_workplace(worker: Worker) -> None:
    await worker.command(Command.START)
    for label in ["English", "I have read this", "Yes, continue", "Thailand"]:
        await worker.press(label)
    await worker.press("Another workplace")


async def test_another_workplace_asks_for_its_name_and_town_and_warns_not_to_give_ones_own():
    worker = Worker()
    await walk_to_another_workplace(worker)
    prompt = worker.last
    assert NAME_AND_TOWN in prompt.text
    assert "your own name" in prompt.text
    assert "Skip" in [b.label for b in worker.buttons()]  # optional


async def test_the_workplace_typed_is_on_the_review_and_in_the_sealed_report():
    worker = Worker()
    await walk_to_another_workplace(worker)
    await worker.text("Golden Star Electronics, Bang Pa-in")
    assert worker.at("categories")
    await worker.press("Wages")
    await worker.press("Done")
    await worker.press("No")
    await worker.text("Wages withheld since March")
    for _ in range(4):
        await worker.press(
            "Skip" if worker.at("since_when") or worker.at("workers_affected") else "Done"
        )
    assert worker.at("review")
    assert "Golden Star Electronics, Bang Pa-in" in worker.last.text
    await worker.press("Send")
    (draft,) = worker.submitter.drafts
    assert draft.site is None  # routed to the country's partner
    assert draft.answers["site"] == "other"
    assert draft.answers["other_workplace"] == {"text": "Golden Star Electronics, Bang Pa-in"}
    assert draft.readable["other_workplace"]["answer"] == "Golden Star Electronics, Bang Pa-in"
    assert draft.readable["site"]["answer"] == "Another workplace"


async def test_a_listed_workplace_or_prefer_not_to_say_is_not_asked_which_one():
    for choice in ["Lamphun Plant 2", "I prefer not to say"]:
        worker = Worker()
        await worker.walk_to("site")
        await worker.press(choice)
        assert worker.at("categories")


async def test_changing_to_a_listed_workplace_drops_the_typed_name():
    worker = Worker()
    await walk_to_another_workplace(worker)
    await worker.text("Golden Star Electronics, Bang Pa-in")
    await worker.press("Back")
    await worker.press("Back")
    assert worker.at("site")
    await worker.press("Lamphun Plant 2")
    assert worker.at("categories")
    assert "other_workplace" not in worker.conv.draft.answers


def test_a_step_can_depend_on_the_workplace_being_another_one_and_on_nothing_else():
    default = load_default()
    step = next(s for s in default.steps if s.id == "other_workplace")
    assert step.when is not None and step.when.step == "site"
    assert step.when.includes == {"other"}
    assert default.version == 2  # a new question: reports of v1 never had it
    text = """
[[steps]]
id = "language"
type = "language"
prompt = "Language?"
[[steps]]
id = "country"
type = "country"
prompt = "Country?"
[[steps]]
id = "site"
type = "site"
prompt = "Workplace?"
other = "Another"
undisclosed = "Rather not say"
[[steps]]
id = "which"
type = "text"
prompt = "Which?"
when = { step = "site", includes = ["lamphun-2"] }
[[steps]]
id = "review"
type = "review"
prompt = "Check."
"""
    with pytest.raises(QuestionnaireError, match="not answers of 'site'"):
        parse(text)
