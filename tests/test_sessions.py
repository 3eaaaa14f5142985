"""Conversations in memory: keyed by a hash of the chat, forgotten when idle, limited per chat."""

from handlers.sessions import SessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_chat_is_known_only_by_a_keyed_hash_that_changes_with_every_start():
    first, second = SessionStore(), SessionStore()
    key = first.key(777000111)
    assert "777000111" not in key
    assert key == first.key(777000111)
    assert key != second.key(777000111)
    assert key != first.key(777000112)


def test_an_idle_conversation_is_forgotten_and_wiped():
    clock = Clock()
    store = SessionStore(idle_seconds=1800, clock=clock)
    key = store.key(1)
    session = store.session(key)
    session.conversation.draft.answers["what_happened"] = {"text": "draft"}
    clock.now += 1799
    assert store.session(key) is session
    clock.now += 1801
    assert store.sweep() == 1
    assert session.conversation.draft.answers == {}
    assert len(store) == 0
    assert store.session(key).conversation.draft.answers == {}


def test_a_conversation_idle_too_long_starts_afresh_even_before_the_sweep():
    clock = Clock()
    store = SessionStore(idle_seconds=60, clock=clock)
    key = store.key(1)
    store.session(key).conversation.draft.answers["x"] = 1
    clock.now += 61
    assert store.session(key).conversation.draft.answers == {}


def test_flooding_is_answered_once_then_ignored_until_the_chat_calms_down():
    clock = Clock()
    store = SessionStore(messages_per_window=20, window_seconds=10, clock=clock)
    key = store.key(1)
    results = [store.allow_message(key) for _ in range(50)]
    assert results[:20] == [(True, False)] * 20
    assert results[20] == (False, True)
    assert results[21:] == [(False, False)] * 29
    assert store.allow_message(store.key(2)) == (True, False)
    clock.now += 11
    assert store.allow_message(key) == (True, False)


def test_reports_per_day_are_limited_per_chat():
    store = SessionStore(reports_per_day=2)
    key, other = store.key(1), store.key(2)
    allowed = []
    for _ in range(3):
        allowed.append(store.allow_report(key))
        store.record_report(key)
    assert allowed == [True, True, False]
    assert store.allow_report(other)


def test_an_undelivered_receipt_outlives_the_draft_for_two_days_then_goes():
    from handlers.io import Effect, Message

    clock = Clock()
    store = SessionStore(idle_seconds=1800, clock=clock)
    key = store.key(1)
    session = store.session(key)
    session.conversation.language = "th"
    session.conversation.draft.answers["what_happened"] = {"text": "a new draft"}
    session.hold([Message("receipt", must_see=True)], [Effect.DELETE_CONVERSATION], clock.now)

    clock.now += 3 * 3600
    assert store.sweep() == 0
    assert session.conversation.draft.answers == {}  # the draft went at its usual time
    assert store.session(key) is session  # the receipt did not
    assert [m.text for m in session.pending] == ["receipt"]
    assert session.conversation.language == "th"

    clock.now += 48 * 3600
    assert store.sweep() == 1
    assert session.pending == []
    assert store.session(key).pending == []
