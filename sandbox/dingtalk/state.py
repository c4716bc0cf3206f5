"""The emulator's shared state: the organisation (people, groups), credentials, what the
bot sent, refusals and injected faults; plus waiting for any of it to change."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sandbox.dingtalk.records import ApiError, Card, Sent

T = TypeVar("T")

TOKEN_TTL = 7200  # seconds (spec §3)
SESSION_TTL_MS = 90 * 60 * 1000  # sessionWebhookExpiredTime - createAt (spec §8)


@dataclass
class User:
    staff_id: str
    nick: str
    mobile: str | None
    dingtalk_id: str  # the encrypted senderId ($:LWCP_v1:$...)
    private_cid: str  # conversationId of the user's 1:1 chat with the robot


@dataclass
class Group:
    conversation_id: str
    title: str
    members: list[str]
    robot_in: bool = True


@dataclass
class Fault:
    path: str
    status: int
    code: str
    message: str
    times: int


@dataclass
class Session:
    """A sessionWebhook: where a reply to one incoming message goes."""

    to: str  # staff id (1:1) or conversation id (group)
    is_group: bool
    expires_ms: int
    expired: bool = False


@dataclass
class Token:
    value: str
    expires_at: float
    valid: bool = True


@dataclass
class StoredFile:
    data: bytes
    url_key: str = field(default_factory=lambda: secrets.token_urlsafe(16))


def private_cid(staff_id: str) -> str:
    digest = hashlib.sha256(f"oto:{staff_id}".encode()).digest()[:24]
    return "cid" + base64.b64encode(digest).decode().rstrip("=") + "=="


class State:
    """Everything the emulator remembers, and waiting on it."""

    def __init__(
        self,
        client_id: str = "ding-test-app",
        client_secret: str = "test-secret",
        robot_code: str | None = None,
        corp_id: str = "ding-corp",
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.robot_code = robot_code or client_id  # robotCode == appKey for internal apps
        self.corp_id = corp_id
        self.app_id = str(hashlib.md5(client_id.encode()).hexdigest())  # headers.appId
        self.chatbot_user_id = "$:LWCP_v1:$" + secrets.token_urlsafe(24)
        self.base_url = ""
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.sent: list[Sent] = []
        self.cards: dict[str, Card] = {}
        self.violations: list[str] = []
        self.token_requests = 0
        self.tokens: dict[str, Token] = {}
        self.sessions: dict[str, Session] = {}
        self.files: dict[str, StoredFile] = {}  # by downloadCode
        self.media: dict[str, tuple[str, bytes]] = {}  # uploaded by the bot, by media id
        self._faults: list[Fault] = []
        self._flow_controlled: dict[str, int] = {}
        self._changed: asyncio.Event | None = None

    # ------------------------------------------------------------------ the organisation

    def add_user(self, staff_id: str, nick: str, mobile: str | None = None) -> None:
        dingtalk_id = "$:LWCP_v1:$" + base64.b64encode(staff_id.encode()).decode()
        self.users[staff_id] = User(staff_id, nick, mobile, dingtalk_id, private_cid(staff_id))

    def add_group(
        self, conversation_id: str, title: str, members: list[str], *, robot_in: bool = True
    ) -> None:
        """A group chat; the robot is a member unless ``robot_in=False``."""
        unknown = [m for m in members if m not in self.users]
        if unknown:
            raise ValueError(f"add_user these first: {unknown}")
        self.groups[conversation_id] = Group(conversation_id, title, list(members), robot_in)

    def user(self, staff_id: str) -> User:
        if staff_id not in self.users:
            raise KeyError(f"no such user {staff_id!r}: add_user it first")
        return self.users[staff_id]

    # ------------------------------------------------------------------ faults

    def fail_next(
        self, path: str, status: int, code: str, message: str = "", times: int = 1
    ) -> None:
        """The next ``times`` calls to ``path`` (e.g. "/v1.0/robot/oToMessages/batchSend")
        answer ``status`` with ``{code, message, requestid}``."""
        self._faults.append(Fault(path, status, code, message or code, times))

    def flow_control(self, staff_id: str, times: int = 1) -> None:
        """The next ``times`` batchSends to this user list them in flowControlledStaffIdList."""
        self._flow_controlled[staff_id] = self._flow_controlled.get(staff_id, 0) + times

    def expire_tokens(self) -> None:
        for token in self.tokens.values():
            token.valid = False

    def expire_sessions(self) -> None:
        for session in self.sessions.values():
            session.expired = True

    def _take_fault(self, path: str) -> ApiError | None:
        for fault in self._faults:
            if fault.path == path and fault.times > 0:
                fault.times -= 1
                return ApiError(fault.status, fault.code, fault.message)
        return None

    def _take_flow_control(self, staff_id: str) -> bool:
        left = self._flow_controlled.get(staff_id, 0)
        if left > 0:
            self._flow_controlled[staff_id] = left - 1
        return left > 0

    # ------------------------------------------------------------------ tokens & sessions

    def _issue_token(self) -> Token:
        now = time.time()
        for token in self.tokens.values():
            if token.valid and token.expires_at - now > 0:
                return token  # a fetch within validity returns the same token (spec §3)
        token = Token(secrets.token_hex(16), now + TOKEN_TTL)
        self.tokens[token.value] = token
        return token

    def _token_ok(self, value: str | None) -> bool:
        token = self.tokens.get(value or "")
        return token is not None and token.valid and token.expires_at > time.time()

    def _new_session(self, to: str, is_group: bool, create_ms: int) -> tuple[str, int]:
        key = secrets.token_urlsafe(18)
        expires = create_ms + SESSION_TTL_MS
        self.sessions[key] = Session(to, is_group, expires)
        return f"{self.base_url}/robot/sendBySession?session={key}", expires

    # ------------------------------------------------------------------ records & waiting

    def _violation(self, text: str) -> None:
        self.violations.append(text)
        self._notify()

    def _record(self, sent: Sent) -> None:
        self.sent.append(sent)
        self._notify()

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
        self._changed = asyncio.Event()

    async def _until(self, check: Callable[[], T | None], timeout: float, what: str) -> T:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._changed is None:
                self._changed = asyncio.Event()
            changed = self._changed
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                continue

    def messages_to(self, staff_id_or_cid: str) -> list[Sent]:
        return [s for s in self.sent if s.to == staff_id_or_cid]

    async def wait_for(
        self,
        predicate: Callable[[Sent], bool],
        *,
        timeout: float = 10,  # noqa: ASYNC109 - a timeout here can explain itself
        after: int = 0,
    ) -> Sent:
        """The first message (index >= ``after``) that matches, waiting for it if need be."""

        def find() -> Sent | None:
            return next((s for s in self.sent[after:] if predicate(s)), None)

        return await self._until(find, timeout, "a matching message")

    def assert_no_violations(self) -> None:
        assert not self.violations, "refused calls:\n" + "\n".join(self.violations)
