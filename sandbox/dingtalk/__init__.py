"""An emulator of DingTalk's Stream-mode gateway and robot OpenAPI (see ``emulator.py``),
served over loopback HTTP + WebSocket on one port.

``DingTalkSandbox`` (``emulator.py``) stacks the shared state (``state.py``: the
organisation, tokens, sessions, faults, waiting), the gateway (``gateway.py``: tickets, the
WebSocket, frames and ACKs), the new ``/v1.0`` OpenAPI (``openapi.py``), the old oapi
endpoints (``oapi.py``: sessionWebhook, getbymobile) and the people tests play
(``people.py``); every call is checked against the documented shapes (``records.py``), and
refusals of badly shaped calls are listed in ``violations``.
"""

from sandbox.dingtalk.emulator import DingTalkSandbox
from sandbox.dingtalk.records import ApiError, Card, Sent

__all__ = ["ApiError", "Card", "DingTalkSandbox", "Sent"]
