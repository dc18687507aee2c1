#!/usr/bin/python3
"""An independent encrypted Matrix peer for tests: matrix-nio (with python-olm) driven by JSON.

Usage: /usr/bin/python3 nio_peer.py STORE_DIR

Each line on stdin is one command, {"id": N, "cmd": NAME, ...}; each answer is one line on
stdout, {"id": N, "ok": true, "result": {...}} or {"id": N, "ok": false, "error": TEXT,
"errcode": CODE?}. Commands run concurrently, so a pending wait_message does not block a send.
Logs go to stderr. End of input is the same as {"cmd": "quit"}.

Commands:
  register / login  {homeserver, user, password, device_name?}  -> {user_id, device_id}
                    (then a background sync loop runs; the answer comes after the first sync
                    and the device's key upload)
  create_room       {encrypted?, invite?, name?, preset?, timeout?}  -> {room_id}
  invite            {room, user}                                 -> {}
  join              {room, timeout?}  (id or alias)              -> {room_id}
  wait_joined       {room, user, timeout?}                       -> {}
  wait_device       {user, device, timeout?}                     -> {}: the peer has queried
                    that device's keys (and so will share room keys with it)
  send              {room, text}                                 -> {event_id, encrypted}
  wait_message      {room, from?, timeout?}                      -> {event_id, sender, body,
                    decrypted, undecryptable, ...}: the next message from someone else
  quit                                                           -> {}
Timeouts are in milliseconds.
"""

import asyncio
import json
import logging
import sys
from typing import Any, Callable, Dict, List, Optional

from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    MatrixRoom,
    MegolmEvent,
    RoomCreateResponse,
    RoomMessageText,
)

DEFAULT_TIMEOUT_MS = 20_000
SYNC_TIMEOUT_MS = 10_000
MEGOLM = "m.megolm.v1.aes-sha2"


class CommandError(Exception):
    """A command failed; the message (and Matrix errcode, if any) go back to the driver."""

    def __init__(self, message: str, errcode: Optional[str] = None):
        super().__init__(message)
        self.errcode = errcode


def checked(response: Any, what: str) -> Any:
    """The response, or a CommandError carrying the server's errcode."""
    if isinstance(response, ErrorResponse):
        raise CommandError(f"{what} failed: {response.message}", response.status_code)
    return response


def describe(event: Any, room_id: str) -> Dict[str, Any]:
    """A timeline message as the driver sees it; undecryptable events are said to be so."""
    base = {"room_id": room_id, "event_id": event.event_id, "sender": event.sender}
    if isinstance(event, MegolmEvent):
        return {
            **base,
            "body": None,
            "decrypted": False,
            "undecryptable": True,
            "session_id": event.session_id,
            "device_id": event.device_id,
        }
    return {**base, "body": event.body, "decrypted": event.decrypted, "undecryptable": False}


class Peer:
    """One nio client, its sync loop, and the messages it has received but not yet handed out."""

    def __init__(self, store_path: str):
        self.store_path = store_path
        self.client: Optional[AsyncClient] = None
        self.sync_task: Optional[asyncio.Task] = None
        self.sync_error: Optional[BaseException] = None
        self.inbox: List[Dict[str, Any]] = []
        self.changed = asyncio.Condition()

    # --- account -------------------------------------------------------------------------

    def _new_client(self, homeserver: str, user: str) -> AsyncClient:
        if self.client is not None:
            raise CommandError("already logged in; start another peer for another account")
        config = AsyncClientConfig(
            encryption_enabled=True,
            store_sync_tokens=True,
            # Surface errors instead of retrying forever (nio's default).
            max_limit_exceeded=3,
            max_timeouts=3,
            request_timeout=SYNC_TIMEOUT_MS / 1000 + 15,
        )
        self.client = AsyncClient(homeserver, user, store_path=self.store_path, config=config)
        self.client.add_event_callback(self._on_message, (RoomMessageText, MegolmEvent))
        return self.client

    async def register(self, args: Dict[str, Any]) -> Dict[str, Any]:
        client = self._new_client(args["homeserver"], args["user"])
        request = client.register(args["user"], args["password"], args.get("device_name", "nio"))
        await self._sign_in(request, "register")
        return await self._started()

    async def login(self, args: Dict[str, Any]) -> Dict[str, Any]:
        client = self._new_client(args["homeserver"], args["user"])
        request = client.login(args["password"], device_name=args.get("device_name", "nio"))
        await self._sign_in(request, "login")
        return await self._started()

    async def _sign_in(self, request: Any, what: str) -> None:
        """Await a register or login; on failure the peer is free to try again."""
        try:
            checked(await request, what)
        except BaseException:
            client, self.client = self.client, None
            if client is not None:
                await client.close()
            raise

    async def _started(self) -> Dict[str, Any]:
        client = self._require_client()
        self.sync_task = asyncio.ensure_future(self._sync_loop())

        def ready() -> bool:
            # The first sync_forever round also uploads the device and one-time keys.
            return client.next_batch is not None and not client.should_upload_keys

        await self._until(ready, DEFAULT_TIMEOUT_MS, "the first sync and the key upload")
        return {"user_id": client.user_id, "device_id": client.device_id}

    async def _sync_loop(self) -> None:
        client = self._require_client()
        try:
            await client.sync_forever(timeout=SYNC_TIMEOUT_MS, full_state=True)
        except Exception as error:  # noqa: BLE001 - reported to every later command
            logging.exception("sync loop failed")
            self.sync_error = error
            await self._notify()

    # --- rooms ---------------------------------------------------------------------------

    async def create_room(self, args: Dict[str, Any]) -> Dict[str, Any]:
        client = self._require_client()
        initial_state = []
        if args.get("encrypted", False):
            initial_state.append(
                {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}
            )
        response = checked(
            await client.room_create(
                name=args.get("name"),
                invite=args.get("invite", []),
                initial_state=initial_state,
                **({"preset": args["preset"]} if "preset" in args else {}),
            ),
            "create_room",
        )
        assert isinstance(response, RoomCreateResponse)
        room_id = response.room_id
        await self._until(lambda: room_id in client.rooms, args.get("timeout"), f"room {room_id}")
        return {"room_id": room_id}

    async def invite(self, args: Dict[str, Any]) -> Dict[str, Any]:
        client = self._require_client()
        checked(await client.room_invite(args["room"], args["user"]), "invite")
        return {}

    async def join(self, args: Dict[str, Any]) -> Dict[str, Any]:
        client = self._require_client()
        response = checked(await client.join(args["room"]), "join")
        room_id = response.room_id
        await self._until(lambda: room_id in client.rooms, args.get("timeout"), f"room {room_id}")
        return {"room_id": room_id}

    async def wait_joined(self, args: Dict[str, Any]) -> Dict[str, Any]:
        client = self._require_client()
        room_id, user = args["room"], args["user"]

        def joined() -> bool:
            room: Optional[MatrixRoom] = client.rooms.get(room_id)
            return room is not None and user in room.users and user not in room.invited_users

        await self._until(joined, args.get("timeout"), f"{user} to join {room_id}")
        return {}

    async def wait_device(self, args: Dict[str, Any]) -> Dict[str, Any]:
        client = self._require_client()
        user, device = args["user"], args["device"]

        def known() -> bool:
            return any(d.id == device for d in client.device_store.active_user_devices(user))

        await self._until(known, args.get("timeout"), f"the keys of {user}'s device {device}")
        return {}

    async def send(self, args: Dict[str, Any]) -> Dict[str, Any]:
        client = self._require_client()
        room = client.rooms.get(args["room"])
        if room is None:
            raise CommandError(f"not in room {args['room']} (join it first)")
        response = checked(
            await client.room_send(
                room.room_id,
                "m.room.message",
                {"msgtype": "m.text", "body": args["text"]},
                ignore_unverified_devices=True,
            ),
            "send",
        )
        return {"event_id": response.event_id, "encrypted": room.encrypted}

    async def wait_message(self, args: Dict[str, Any]) -> Dict[str, Any]:
        client = self._require_client()
        room_id, sender = args["room"], args.get("from")

        def wanted(message: Dict[str, Any]) -> bool:
            return (
                message["room_id"] == room_id
                and message["sender"] != client.user_id
                and (sender is None or message["sender"] == sender)
            )

        found: List[Dict[str, Any]] = []

        def take() -> bool:
            for message in self.inbox:
                if wanted(message):
                    self.inbox.remove(message)
                    found.append(message)
                    return True
            return False

        await self._until(take, args.get("timeout"), f"a message in {room_id}")
        return found[0]

    # --- plumbing ------------------------------------------------------------------------

    async def _on_message(self, room: MatrixRoom, event: Any) -> None:
        self.inbox.append(describe(event, room.room_id))
        await self._notify()

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def _until(
        self, condition: Callable[[], bool], timeout_ms: Optional[int], what: str
    ) -> None:
        """Wait until `condition()` holds, re-checking after every sync round and message."""

        async def check() -> None:
            async with self.changed:
                while True:
                    if self.sync_error is not None:
                        raise CommandError(f"the sync loop failed: {self.sync_error}")
                    if condition():
                        return
                    # Sync rounds that change nothing still wake us, through the poll below.
                    try:
                        await asyncio.wait_for(self.changed.wait(), 0.1)
                    except asyncio.TimeoutError:
                        pass

        ms = DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms
        try:
            await asyncio.wait_for(check(), ms / 1000)
        except asyncio.TimeoutError:
            raise CommandError(f"timed out after {ms} ms waiting for {what}") from None

    def _require_client(self) -> AsyncClient:
        if self.client is None:
            raise CommandError("log in or register first")
        return self.client

    async def close(self) -> None:
        if self.sync_task is not None:
            self.sync_task.cancel()
            try:
                await self.sync_task
            except asyncio.CancelledError:
                pass
        if self.client is not None:
            await self.client.close()


async def answer(
    peer: Peer, request: Dict[str, Any], write: Callable[[Dict[str, Any]], None]
) -> None:
    """Run one command and write its answer."""
    handlers = {
        "register": peer.register,
        "login": peer.login,
        "create_room": peer.create_room,
        "invite": peer.invite,
        "join": peer.join,
        "wait_joined": peer.wait_joined,
        "wait_device": peer.wait_device,
        "send": peer.send,
        "wait_message": peer.wait_message,
    }
    reply: Dict[str, Any] = {"id": request.get("id")}
    try:
        handler = handlers.get(request.get("cmd", ""))
        if handler is None:
            raise CommandError(
                f"expected cmd to be one of {', '.join(sorted(handlers))} or quit, "
                f"got {json.dumps(request.get('cmd'))}"
            )
        reply.update(ok=True, result=await handler(request))
    except CommandError as error:
        reply.update(ok=False, error=str(error))
        if error.errcode:
            reply["errcode"] = error.errcode
    except KeyError as error:
        reply.update(ok=False, error=f"missing argument {error}")
    except Exception as error:  # noqa: BLE001 - every failure is an answer, never a crash
        logging.exception("command %s failed", request.get("cmd"))
        reply.update(ok=False, error=f"{type(error).__name__}: {error}")
    write(reply)


async def main(store_path: str) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def write(reply: Dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()

    peer = Peer(store_path)
    pending = set()
    quit_id: Any = None
    while True:
        line = await reader.readline()
        if not line:
            break
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("expected a JSON object")
        except ValueError as error:
            write({"id": None, "ok": False, "error": f"expected a JSON object per line: {error}"})
            continue
        if request.get("cmd") == "quit":
            quit_id = request.get("id")
            break
        task = asyncio.ensure_future(answer(peer, request, write))
        pending.add(task)
        task.add_done_callback(pending.discard)
    for task in pending:
        task.cancel()
    await peer.close()
    write({"id": quit_id, "ok": True, "result": {}})


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: nio_peer.py STORE_DIR\n")
        sys.exit(2)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="nio-peer: %(message)s")
    asyncio.run(main(sys.argv[1]))
