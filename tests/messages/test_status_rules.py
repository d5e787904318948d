"""The status order of every channel: forward only, finals final."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.messages.status_rules import RULES


def test_words_match_ocas_table():
    assert RULES["whatsapp"].words == ("Submitted", "Delivered", "Read", "Rejected", "Failed")
    assert RULES["sms"].words == ("Submitted", "Sent", "Delivered", "Failed")
    assert RULES["sms_otp"].words == ("Submitted", "Sent", "Delivered", "Undelivered", "Failed")
    assert RULES["ivr"].words == ("In Call", "Answered", "RNA", "Failed")
    assert RULES["email"].words == ("Accepted", "Delivered", "Opened", "Clicked", "Failed", "Failed by mail server")


@pytest.mark.parametrize("channel,current,new,allowed", [
    ("whatsapp", "Read", "Delivered", False),       # a late Delivered never undoes Read
    ("whatsapp", "Delivered", "Read", True),
    ("whatsapp", "Submitted", "Read", True),        # delivered may be skipped
    ("whatsapp", "Read", "Failed", False),
    ("sms", "Sent", "Submitted", False),
    ("sms", "Submitted", "Sent", True),
    ("sms", "Delivered", "Failed", False),
    ("sms", "Failed", "Delivered", False),          # a final status is final
    ("sms_otp", "Sent", "Undelivered", True),
    ("ivr", "In Call", "RNA", True),
    ("ivr", "Answered", "RNA", False),
    ("email", "Opened", "Delivered", False),
    ("email", "Opened", "Clicked", True),
    ("email", "Delivered", "Failed by mail server", False),
    ("email", "Accepted", "Failed", True),
    ("sms", "Sent", "Sent", False),                 # duplicates change nothing
    ("sms", "Sent", "Bogus", False),
])
def test_moves(channel, current, new, allowed):
    assert RULES[channel].allows(current, new) is allowed


@given(st.sampled_from(sorted(RULES)), st.data())
def test_no_cycles_and_finals_are_final(channel, data):
    rules = RULES[channel]
    a = data.draw(st.sampled_from(rules.words))
    b = data.draw(st.sampled_from(rules.words))
    assert not (rules.allows(a, b) and rules.allows(b, a))
    if a in rules.failure or a == rules.success[-1]:
        assert not rules.allows(a, b)


def test_the_counter_table_has_a_number_for_every_status_word():
    from chalicelib.messages.models import Counter
    words = set().union(*(rules.words for rules in RULES.values()))
    assert {word for word in words if Counter.of(word)} == words
