"""The simulator can be asked whether it has a message, by Kirim's id (as sending.dispatch asks
before it sends again after an unknown outcome): it keeps a record of each message it took."""
from __future__ import annotations

import pytest
from ulid import ULID

from chalicelib.providers.base import Outbound, ProviderUnsure, can_look_up
from chalicelib.providers.simulator import SimulatorProvider


def sms(target: str) -> Outbound:
    return Outbound(str(ULID()), "sms", target, text="Halo")


def test_a_message_it_took_is_found_and_one_it_did_not_is_not(aws):
    simulator = SimulatorProvider()
    assert can_look_up(simulator)
    taken, other = sms("+6281234567890"), sms("+6281234567890")
    simulator.send(taken)
    assert simulator.lookup(taken.message_id) is True
    assert simulator.lookup(other.message_id) is False


def test_its_timeout_takes_nothing_and_says_so_when_asked(aws):
    simulator = SimulatorProvider()
    timing_out = sms("+6281200000005")
    with pytest.raises(ProviderUnsure):
        simulator.send(timing_out)
    assert simulator.lookup(timing_out.message_id) is False
    simulator.send(timing_out)                    # the second attempt goes through
    assert simulator.lookup(timing_out.message_id) is True
