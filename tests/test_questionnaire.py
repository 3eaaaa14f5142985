"""The questionnaire file: the default one loads, and mistakes are named with their step."""

import pytest

from handlers.conversation import Conversation
from handlers.engine import Engine
from handlers.io import Command, CommandInput, Press, Text
from handlers.questionnaire import QuestionnaireError, StepType, load_default, parse
from tests.engine_harness import SCRUBBER, FakeDirectory, RecordingSubmitter

HEAD = """
[[steps]]
id = "language"
type = "language"
prompt = "Choose your language."
"""
COUNTRY_SITE = """
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
"""
TAIL = """
[[steps]]
id = "review"
type = "review"
prompt = "Check."
"""


def questionnaire(middle: str = "") -> str:
    return HEAD + COUNTRY_SITE + middle + TAIL


def test_the_default_questionnaire_covers_the_codes_topics():
    default = load_default()
    categories = next(s for s in default.steps if s.id == "categories")
    assert len(categories.options) == 12
    assert {s.type for s in default.steps} >= {
        StepType.LANGUAGE, StepType.INFO, StepType.CONSENT, StepType.COUNTRY, StepType.SITE,
        StepType.MULTI, StepType.YES_NO, StepType.TEXT, StepType.APPROX_DATE, StepType.NUMBER,
        StepType.ATTACHMENTS, StepType.REVIEW,
    }  # fmt: skip
    assert next(s for s in default.steps if s.id == "danger").danger


@pytest.mark.parametrize(
    ("middle", "message"),
    [
        ('[[steps]]\nid = "x"\ntype = "essay"\nprompt = "?"\n', "unknown type 'essay'"),
        ('[[steps]]\nid = "country"\ntype = "info"\nprompt = "?"\ncontinue = "OK"\n', "used twice"),
        ('[[steps]]\nid = "x"\ntype = "text"\n', "needs a prompt"),
        ('[[steps]]\nid = "x"\ntype = "text"\nprompt = "?"\ncolour = "red"\n', "unknown keys"),
        ('[[steps]]\nid = "x"\ntype = "single"\nprompt = "?"\noptions = []\n', "two options"),
        ('[[steps]]\nid = "x"\ntype = "number"\nprompt = "?"\nmin = 5\nmax = 1\n', "min < max"),
        ('[[steps]]\nid = "x"\ntype = "info"\nprompt = "?"\n', "'continue' button text"),
        (
            '[[steps]]\nid = "x"\ntype = "text"\nprompt = "?"\nwhen = { step = "later", '
            'includes = ["a"] }\n',
            "not an earlier step",
        ),
        (
            '[[steps]]\nid = "x"\ntype = "yes_no"\nprompt = "?"\n\n[[steps]]\nid = "y"\n'
            'type = "text"\nprompt = "?"\nwhen = { step = "x", includes = ["maybe"] }\n',
            "['maybe'] are not answers of 'x'",
        ),
        ('[[steps]]\nid = "x"\ntype = "review"\nprompt = "?"\n', "only it, must be the review"),
        ('[[steps]]\nid = "x"\ntype = "consent"\nprompt = "?"\nagree = "a"\ndecline = "b"\n'
         "optional = true\n", "cannot be optional"),
    ],
    ids=[
        "unknown type", "duplicate id", "no prompt", "unknown key", "no options", "bad range",
        "missing button text", "condition on a later step", "condition on an unknown answer",
        "two reviews", "optional consent",
    ],
)  # fmt: skip
def test_mistakes_are_named_with_their_step(middle, message):
    with pytest.raises(QuestionnaireError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(questionnaire(middle), "mine.toml")


def test_not_toml_at_all():
    with pytest.raises(QuestionnaireError, match=r"mine\.toml: not valid TOML"):
        parse("[[steps]\n", "mine.toml")


def test_the_language_step_comes_first_and_the_site_after_the_country():
    with pytest.raises(QuestionnaireError, match="first step must be the language"):
        parse(COUNTRY_SITE + HEAD + TAIL)
    country, site = COUNTRY_SITE.split("\n\n")
    with pytest.raises(QuestionnaireError, match="site step must come after the country"):
        parse(HEAD + site + "\n\n" + country + TAIL)


SINGLE = """
[[steps]]
id = "shift"
type = "single"
title = "Shift"
prompt = "Which shift?"
options = [ { id = "day", label = "Day shift" }, { id = "night", label = "Night shift" } ]

[[steps]]
id = "night_transport"
type = "yes_no"
title = "Transport"
prompt = "Is there safe transport at night?"
when = { step = "shift", includes = ["night"] }

[[steps]]
id = "details"
type = "text"
title = "Details"
prompt = "Tell us more."
optional = true
max_length = 20
"""


async def test_a_single_choice_and_a_condition_on_it_in_an_operators_questionnaire():
    engine = Engine(
        parse(questionnaire(SINGLE)), FakeDirectory(), RecordingSubmitter(), scrubber=SCRUBBER
    )
    conv = Conversation(key="k")

    async def press(label):
        reply = last[0]
        button = next(b for row in reply.messages[-1].buttons for b in row if label in b.label)
        last[0] = await engine.handle(conv, Press(button.data))
        return last[0]

    last = [await engine.handle(conv, CommandInput(Command.START))]
    await press("English")
    await press("Thailand")
    await press("Another")
    reply = await press("Night shift")
    assert "safe transport" in reply.messages[-1].text
    await press("Yes")
    last[0] = await engine.handle(conv, Text("x" * 21))
    assert "under 20 characters" in last[0].messages[0].text
    last[0] = await engine.handle(conv, Text("No bus after 22:00"))
    review = last[0].messages[-1].text
    assert "Shift: Night shift" in review and "Transport: Yes" in review
    reply = await press("Back")
    reply = await press("Back")
    reply = await press("Back")
    await press("Day shift")
    assert "night_transport" not in conv.draft.answers
