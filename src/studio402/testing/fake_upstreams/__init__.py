"""Fake upstream model APIs speaking each vendor's real wire format, for tests.

One module per vendor: :mod:`.gemini`, :mod:`.openai`, :mod:`.bfl`, :mod:`.vertex`, :mod:`.fal`
(small ASGI apps served by uvicorn on a free 127.0.0.1 port) and :mod:`.xai` (a gRPC servicer).
Each records what it received and follows a :class:`Scenario`.
"""

from studio402.testing.fake_upstreams._base import FakeUpstream, Recorded, Scenario

__all__ = ["FakeUpstream", "Recorded", "Scenario"]
