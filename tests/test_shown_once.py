"""A new API token waits for the one page that shows it (orcon.web.app)."""

from orcon.web.app import _ShownOnce


def test_a_token_is_taken_once_and_not_after_its_minute():
    waiting = _ShownOnce()
    key = waiting.keep("orc_secret")
    assert waiting.take(key) == "orc_secret"
    assert waiting.take(key) is None  # a reload shows it no more
    assert waiting.take("") is None and waiting.take("not a key") is None
    stale = _ShownOnce(ttl_s=0)
    assert stale.take(stale.keep("orc_old")) is None
