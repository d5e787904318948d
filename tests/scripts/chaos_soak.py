"""The chaos soak (issue 20, "the harness, and the proof"): the whole send pipeline under every fault at
once, then the invariants that must still hold, each printed with its figure.

The stage: AWS's DynamoDB Local holds every table, behind local/dynamodb_contention.py in front of it
(`--upstream`), which adds the TransactionConflict cancellations and refused writes DynamoDB Local never
makes; moto (a server in its own process) holds the queues, the bucket and the stack. Measured on 2 busy
cores, DynamoDB Local costs about half the CPU of moto's DynamoDB for the same sends, so the whole
pipeline runs there (docs/reliability.md, "The chaos soak").

What runs, all at once, from one seed (SOAK_SEED): sends on all five channels through the Chalice app
(chalice.test.Client, several client threads; V1 and V2; without an Idempotency-Key, with a fresh one,
or repeating an earlier one), each with its own faults drawn from the seed, injected by local/faults.py
inside botocore's retry loop, on DynamoDB, SQS and S3: a single throttle, a single lost answer (the
call was made), latency, latency past the read timeout, and now and then the request's Lambda dying at
its k-th AWS call. The provider (the simulator, counted) now and then refuses a send for now, takes it
and loses its answer, or answers nothing without taking it. Workers (local/worker.py, as Lambda's
event sources: dispatch, simulator events, reports, callbacks, the messages stream, the schedules) run
in threads, each batch with its own faults: Lambda dying mid-batch, SQS handing the batch out again
after its visibility timeout, and deletes refused so the same messages come twice. Status events come
out of order (several simulator workers, plans that send them out of order) and twice (redeliveries,
and the provider repeating old events late, in reverse). Mid-soak a report is requested while statuses
move (some move between the report's own Queries), a channel runs out of quota and is topped up. One
tenant's callbacks go to a receiver that sometimes fails or answers too late, another's to a closed port.
Then Kirim's clock is moved (never a sleep) and the sweepers, the reconciler and the callback retries
run until nothing is due, and the invariants are checked.

    python tests/scripts/chaos_soak.py [--seed N] [--sends N]

prints the seed first, one line per invariant, and the figures as JSON on the last line.
"""
from __future__ import annotations

import argparse
import contextvars
import csv
import io
import json
import logging
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SEED, SENDS = 20, 600            # make test's soak; `make soak` runs more (SOAK_SENDS, SOAK_SEED)
CLIENTS = 4                      # client threads sending at once
VISIBILITY = 4                   # seconds before SQS hands out again a batch whose worker died
REPORT_AFTER = 0.4               # share of the sends made before the mid-soak report
CHANNELS = ("sms", "sms_otp", "email", "ivr", "whatsapp")
ROUTES = {(2, "sms"): "/sms/v2/sms", (1, "sms"): "/api/v1/sms", (2, "sms_otp"): "/sms/v2/send-otp",
          (1, "sms_otp"): "/sms/api/v1/send-otp", (2, "email"): "/email/v2/send-single",
          (1, "email"): "/api/v1/send-single", (2, "ivr"): "/call/v2/call", (1, "ivr"): "/api/v1/call",
          (2, "whatsapp"): "/api/v2/push/message"}
ID_FIELDS = ("msg_uid", "msg_id", "msgid", "call_id", "message_id")
# The simulator's magic targets (providers/simulator.py), None for an ordinary one.
ENDINGS = {"sms": [None] * 6 + ["0000", "0001", "0002", "0003", "0004", "0005", "0006"],
           "ivr": [None] * 5 + ["0000", "0001", "0002", "0003", "0004", "0005"],
           "whatsapp": [None] * 5 + ["0000", "0001", "0002", "0003", "0004", "0005", "0006"],
           "email": [None] * 5 + ["reject", "timeout", "bounce", "complaint", "renderfail", "delay", "open", "click"]}
ENDINGS["sms_otp"] = ENDINGS["sms"]
HELD = "0003"                    # an SMS the simulator leaves Sent: moved to Delivered during the report
MOVES, MOVE_EVERY = 4, 12        # the held messages move in 4 groups, before every 12th Query of the report
# Two channels run short (SMS of several segments then pay from both quota halves) and are topped up mid-soak.
QUOTAS = {"plain": {"sms": 700, "sms_otp": 15, "email": 400, "ivr": 300, "whatsapp": 300},
          "hooked": {"sms": 25, **{channel: 300 for channel in CHANNELS[1:]}},
          "reporting": {channel: 600 for channel in CHANNELS}, "dead": {"sms": 100}}
TOP_UPS = [("plain", "sms_otp", 20), ("hooked", "sms", 20)]


class Died(BaseException):
    """A Lambda ended mid-work (killed, timed out): nothing of it runs on, no handler sees it."""


# Whose faults a botocore call meets: the request or batch it belongs to (copied into a batch's threads).
OWNER: contextvars.ContextVar[object | None] = contextvars.ContextVar("soak_owner", default=None)
# The provider's own calls (the simulator's S3 and SQS): its faults are drawn apart, as a provider's.
IN_PROVIDER: contextvars.ContextVar[bool] = contextvars.ContextVar("soak_in_provider", default=False)
IN_REPORT: contextvars.ContextVar[bool] = contextvars.ContextVar("soak_in_report", default=False)
SPEC: contextvars.ContextVar[Any] = contextvars.ContextVar("soak_spec", default=None)


# ---------------------------------------------------------------- the stage

def _process(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env={**os.environ, **(env or {})})


@contextmanager
def stage() -> Iterator[dict[str, str]]:
    """moto for the stack, queues and bucket; DynamoDB Local behind DynamoDB's contention for the
    tables (DynamoDB Streams read straight from DynamoDB Local). Yields the endpoints' environment."""
    from local import dynamodb_local
    from local.ports import free_port

    moto_port, dynamodb_port, contention_port = free_port(), free_port(), free_port()
    with ExitStack() as stack:
        # S3's 5 MiB least part, at the scale of the soak's report parts (REPORT_PART_BYTES).
        moto = _process("local.moto_server", "--port", str(moto_port), env={"S3_UPLOAD_PART_MIN_SIZE": "4096"})
        stack.callback(moto.terminate)
        # A transaction holds its items 2-12 ms, as DynamoDB's take about that long: sends meet them.
        contention = _process("local.dynamodb_contention", "--port", str(contention_port), "--mode", "cancel",
                              "--upstream", f"http://127.0.0.1:{dynamodb_port}",
                              env={"DYNAMODB_CONTENTION_HOLD_MS": "2-12"})
        stack.callback(contention.terminate)
        stack.callback(dynamodb_local.start(dynamodb_port))   # the three start side by side
        for process in (moto, contention):
            process.stdout.readline()  # its "listening" line
        yield {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
               **dynamodb_local.endpoint_env(f"http://127.0.0.1:{dynamodb_port}"),
               "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{contention_port}"}


# ---------------------------------------------------------------- the plan

@dataclass(frozen=True)
class FaultSpec:
    service: str
    operation: str
    kind: str        # throttle | lost | latency | slow (past the read timeout) | redeliver (a delete refused)
    nth: int         # the matching attempt it meets, counted within its request or batch
    seconds: float = 0.0   # a latency's


@dataclass
class Spec:
    """One send: what is sent, how, and what goes wrong around it."""
    n: int
    tenant: str
    channel: str
    version: int
    target: str | None           # the magic ending, None for an ordinary target
    body: dict
    key: str | None
    repeat_of: int | None = None
    faults: list[FaultSpec] = field(default_factory=list)
    provider: list[str] = field(default_factory=list)   # per provider call: unavailable | lost | unsure | ok
    die_at: int | None = None    # the request's Lambda dies at its k-th AWS call


_CODES = {("dynamodb", "throttle"): ("ProvisionedThroughputExceededException", 400),
          ("sqs", "throttle"): ("RequestThrottled", 400), ("s3", "throttle"): ("SlowDown", 503)}
_REQUEST_CALLS = [("dynamodb", op) for op in ("GetItem", "UpdateItem", "PutItem", "TransactWriteItems", "Query",
                                              "BatchGetItem")] + [("sqs", "SendMessage"), ("sqs", "SendMessageBatch"),
                                                                  ("s3", "PutObject")]
_WORKER_CALLS = _REQUEST_CALLS + [("s3", "GetObject"), ("s3", "UploadPart"), ("s3", "DeleteObject"),
                                  ("sqs", "ReceiveMessage"), ("dynamodbstreams", "GetRecords")]


def _fault(rng: random.Random, calls: list[tuple[str, str]], taken: set) -> FaultSpec | None:
    service, operation = rng.choice(calls)
    if (service, operation) in taken:
        return None  # one fault per call kind: each stays a single fault botocore's retry can absorb
    taken.add((service, operation))
    kind = rng.choices(["throttle", "lost", "latency", "slow"], [35, 35, 27, 3])[0]
    if service == "dynamodbstreams":
        kind = "throttle" if kind == "throttle" else "latency"
    return FaultSpec(service, operation, kind, rng.randint(1, 3), round(rng.uniform(0.05, 0.4), 3))


def faults_for(rng: random.Random, calls: list[tuple[str, str]], odds: list[int]) -> list[FaultSpec]:
    taken: set = set()
    drawn = [_fault(rng, calls, taken) for _ in range(rng.choices([0, 1, 2], odds)[0])]
    return [fault for fault in drawn if fault is not None]


def _phone(rng: random.Random, ending: str | None, prefix: str = "0812") -> str:
    last = ending or str(rng.randint(1000, 9999))
    return f"{prefix}{rng.randint(1000, 9999)}{last}"


def _body(rng: random.Random, shop: Any, channel: str, ending: str | None) -> dict:
    from tests.sends import call_body, email_body, otp_body, sms_body, whatsapp_body

    if channel == "sms":
        segments = rng.choices([1, 2, 3], [80, 15, 5])[0]
        return sms_body(_phone(rng, ending), "Halo dari Kirim" if segments == 1 else "k" * (153 * segments))
    if channel == "sms_otp":
        return otp_body(_phone(rng, ending, "62812"), rng.choice(["KIRIM", "TOKO"]))
    if channel == "email":
        return shop.fill(email_body(f"{ending or 'budi' + str(rng.randint(1, 999))}@example.com"))
    if channel == "ivr":
        return call_body(shop, _phone(rng, ending, "+62812"))
    return shop.fill(whatsapp_body(_phone(rng, ending)))


def plan(seed: int, sends: int, shops: dict[str, Any]) -> list[Spec]:
    """Every send of the soak, drawn from the seed alone."""
    rng = random.Random(seed)
    mix = {"plain": (50, {"sms": 30, "sms_otp": 20, "email": 20, "ivr": 15, "whatsapp": 15}),
           "hooked": (15, {"sms": 30, "sms_otp": 15, "email": 20, "ivr": 15, "whatsapp": 20}),
           "reporting": (30, {"sms": 55, "sms_otp": 10, "email": 15, "ivr": 10, "whatsapp": 10}),
           "dead": (5, {"sms": 1})}
    specs: list[Spec] = []
    for n in range(sends):
        provider = rng.choices([[], ["unavailable"], ["lost"], ["unsure"], ["unavailable", "unavailable"]],
                               [80, 7, 6, 4, 3])[0]
        die_at = rng.randint(1, 8) if rng.random() < 0.02 else None
        faults = faults_for(rng, _REQUEST_CALLS, [45, 40, 15])
        keyed = [s for s in specs if s.key and s.repeat_of is None]
        if keyed and rng.random() < 0.2:
            # Half of the repeats follow their first copy at once: the two race in neighbouring clients.
            first = keyed[-1] if rng.random() < 0.5 else rng.choice(keyed[-40:])
            specs.append(Spec(n, first.tenant, first.channel, first.version, first.target, first.body, first.key,
                              first.n, faults, provider, die_at))
            continue
        tenant = rng.choices(list(mix), [weight for weight, _ in mix.values()])[0]
        weights = mix[tenant][1]
        channel = rng.choices(list(weights), list(weights.values()))[0]
        if tenant == "reporting" and channel == "sms" and n < sends * REPORT_AFTER and rng.random() < 0.6:
            ending = HELD
        else:
            ending = rng.choice(ENDINGS[channel])
        version = 1 if channel != "whatsapp" and tenant != "dead" and rng.random() < 0.3 else 2
        key = f"soak-{seed}-{n}" if rng.random() < 0.6 else None
        specs.append(Spec(n, tenant, channel, version, ending, _body(rng, shops[tenant], channel, ending), key,
                          None, faults, provider, die_at))
    return specs


def batch_plan(seed: int, source: str, k: int) -> tuple[list[FaultSpec], int | None]:
    """The faults of a worker's k-th batch, and the call its Lambda dies at (or None)."""
    rng = random.Random(f"{seed}:{source}:{k}")
    faults = faults_for(rng, _WORKER_CALLS, [70, 25, 5])
    if rng.random() < 0.06:
        faults.append(FaultSpec("sqs", "DeleteMessageBatch", "redeliver", 1))
    return faults, (rng.randint(1, 12) if rng.random() < 0.04 else None)


# ---------------------------------------------------------------- faults, armed for one owner

class Tally:
    """What the soak did to Kirim, for the figures."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n


TALLY = Tally()


def _die(call: dict) -> None:
    raise Died("the Lambda ended here")


def _when(owner: object, nth: int, times: int = 1) -> Callable[[dict], bool]:
    """Matches the owner's nth matching attempt (and the `times - 1` after it), never a provider's own call."""
    seen = [0]

    def when(call: dict) -> bool:
        if OWNER.get() is not owner or IN_PROVIDER.get():
            return False
        seen[0] += 1
        return nth <= seen[0] < nth + times
    return when


def _options(fault: FaultSpec, owner: object) -> dict:
    if fault.kind == "redeliver":   # both of botocore's attempts: the batch is not deleted
        return {"code": "InternalError", "status": 500, "times": 2, "when": _when(owner, fault.nth, 2)}
    options: dict[str, Any] = {"when": _when(owner, fault.nth)}
    timeout = 3.0 if fault.service.startswith("dynamodb") else 5.0   # chalicelib's read timeouts
    if fault.kind == "throttle":
        code, status = _CODES[(fault.service.replace("streams", ""), "throttle")]
        options.update(code=code, status=status)
    elif fault.kind == "lost":
        options["lose_answer"] = True
    elif fault.kind == "latency":
        options.update(latency=fault.seconds, timeout=timeout)
    else:
        options.update(latency=timeout + 0.1, timeout=timeout)
    return options


@contextmanager
def armed(faults: list[FaultSpec], die_at: int | None) -> Iterator[list[tuple[FaultSpec, Any]]]:
    """The faults of one request or batch, meeting only its own calls; yields (spec, fault) pairs,
    whose hits say which ones fired."""
    from local import faults as harness

    owner = object()
    token = OWNER.set(owner)
    fired: list[tuple[FaultSpec, Any]] = []
    try:
        with ExitStack() as stack:
            for spec in faults:
                fired.append((spec, stack.enter_context(harness.injected(spec.service, spec.operation,
                                                                         **_options(spec, owner)))))
            if die_at is not None:
                stack.enter_context(harness.injected("*", "*", action=_die, when=_when(owner, die_at)))
            yield fired
    finally:
        OWNER.reset(token)
        for spec, fault in fired:
            if fault.hits:
                TALLY.add(f"fault {spec.service} {spec.kind}")


# ---------------------------------------------------------------- the provider, counted

class CountedProvider:
    """The simulator behind a count of the messages it took, by id, and the provider faults of each
    send's plan (its first calls: refused for now, taken with the answer lost, or no answer and not taken)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name = inner, inner.name
        self.took: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.behaviours: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    def _next(self, message_id: str) -> str:
        spec = SPEC.get()
        with self.lock:
            self.calls[message_id] += 1
            left = self.behaviours.setdefault(message_id, list(spec.provider) if spec is not None else [])
            return left.pop(0) if left else "ok"

    def send(self, outbound: Any) -> str:
        from chalicelib.providers.base import ProviderUnavailable, ProviderUnsure

        behaviour = self._next(outbound.message_id)
        if behaviour == "unavailable":
            raise ProviderUnavailable("soak: the provider refused it for now")
        if behaviour == "unsure":
            raise ProviderUnsure("soak: no answer, and the provider did not take it")
        token = IN_PROVIDER.set(True)
        try:
            answer = self.inner.send(outbound)
        finally:
            IN_PROVIDER.reset(token)
        with self.lock:
            self.took[outbound.message_id] += 1
        if behaviour == "lost":
            raise ProviderUnsure("soak: the provider took it, its answer was lost")
        return answer

    def lookup(self, message_id: str) -> bool:
        token = IN_PROVIDER.set(True)
        try:
            return self.inner.lookup(message_id)
        finally:
            IN_PROVIDER.reset(token)


# ---------------------------------------------------------------- Kirim's clock

class MovedClock:
    """Kirim's clock: real time, plus what the soak moved it by. Not `advance`: clock.sleep stays a
    real wait (latency, backoffs), so that racing calls really overlap."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def move(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


# ---------------------------------------------------------------- the soak

@dataclass
class Answer:
    spec: Spec
    status: int | None               # None: the request's Lambda died (API Gateway would say 502/504)
    code: Any = None
    message_id: str | None = None
    replayed: bool = False
    lost_debit: bool = False         # a fault lost the answer of this request's quota debit
    attempt: int = 1


class Soak:
    def __init__(self, seed: int, sends: int) -> None:
        self.seed, self.sends = seed, sends
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.clock = MovedClock()
        self.report: dict[str, Any] = {}
        self.held: list[str] = []
        self.moved: list[str] = []

    # --- setup

    def setup(self) -> None:
        import boto3
        from chalice.test import Client

        from app import app
        from chalicelib.applications import service as applications
        from chalicelib.core import clock
        from chalicelib.providers import registry
        from chalicelib.sending import dispatch, pipeline
        from local.worker import LocalWorker
        from tests import conftest
        from tests.callbacks.conftest import hook
        from tests.fakes import webhook_receiver

        clock.use(self.clock)
        _one_request_per_thread()
        self.applications = applications
        self.client = Client(app, stage_name="local", project_dir=str(ROOT))
        self.api = conftest.Api(self.client)
        self.started = clock.now().replace(microsecond=0)
        with ThreadPoolExecutor(3) as pool:   # each registers and logs in: scrypt, side by side
            self.shops = dict(zip(("plain", "hooked", "reporting"),
                                  pool.map(lambda _: conftest.Shop(self.api), range(3))))
        self.receiver, self.server = webhook_receiver.start()
        rng = random.Random(f"{self.seed}:receiver")
        answers = [webhook_receiver.Answer(), webhook_receiver.Answer(status=500),
                   webhook_receiver.Answer(status=503, delay=0.2), webhook_receiver.Answer(delay=1.5)]
        self.receiver.pick = lambda: rng.choices(answers, [80, 10, 7, 3])[0]
        hooked = self.shops["hooked"]
        assert self.api.call("PUT", f"/applications/{hooked.app_id}/settings", {"callback_url": self.receiver.url},
                             hooked.session).status_code == 200
        dead = hook(self.api, "http://127.0.0.1:9/kirim/callbacks")   # the discard port: refused at once
        self.shops["dead"] = _Tenant(dead["app_id"], {"sms": dead["token"]})
        self.start: dict[tuple[str, str], int] = {}
        for tenant, quotas in QUOTAS.items():
            for channel, units in quotas.items():
                conftest.set_quota(self.shops[tenant].app_id, channel, units)
                self.start[(self.shops[tenant].app_id, channel)] = units
        self.topped: dict[tuple[str, str], int] = defaultdict(int)
        self.provider = CountedProvider(registry.provider_for("sms"))
        for module in (pipeline, dispatch):
            module.provider_for = lambda channel: self.provider
        self.worker = LocalWorker(app, boto3.client("sqs"), boto3.client("sns"), visibility_timeout=VISIBILITY)
        self.specs = plan(self.seed, self.sends, self.shops)

    # --- the traffic

    def _headers(self, spec: Spec, key: str | None) -> dict[str, str]:
        shop = self.shops[spec.tenant]
        headers = shop.v1() if spec.version == 1 else {"Authorization": f"Bearer {shop.tokens[spec.channel]}"}
        return {**headers, **({"Idempotency-Key": key} if key else {})}

    def _send(self, spec: Spec, attempt: int, faults: list[FaultSpec], die_at: int | None) -> Answer:
        token = SPEC.set(spec)
        try:
            with armed(faults, die_at) as fired:
                try:
                    response = self.api.call("POST", ROUTES[(spec.version, spec.channel)], spec.body,
                                             self._headers(spec, spec.key))
                except Died:
                    TALLY.add("killed requests")
                    return Answer(spec, None, attempt=attempt)
        finally:
            SPEC.reset(token)
        body = response.json_body if isinstance(response.json_body, dict) else {}
        errors = body.get("errors") or [{}]
        lost_debit = any(fault.hits and spec_.kind in ("lost", "slow") and _debit(fault.calls[0])
                         for spec_, fault in fired)
        return Answer(spec, response.status_code, errors[0].get("code") if response.status_code >= 300 else None,
                      next((body[k] for k in ID_FIELDS if isinstance(body.get(k), str)), None),
                      response.headers.get("Idempotent-Replayed") == "true", lost_debit, attempt)

    def _one(self, spec: Spec) -> None:
        answer = self._send(spec, 1, spec.faults, spec.die_at)
        answers = [answer]
        # A client retries with its key what may not have happened: no answer, a 5xx, a 429.
        while spec.key and (answer.status is None or answer.status >= 500 or answer.status == 429) \
                and answer.attempt < 4:
            answer = self._send(spec, answer.attempt + 1, [], None)
            answers.append(answer)
        with self.lock:
            self.answers.extend(answers)

    def _clients(self, specs: list[Spec]) -> None:
        queue = list(reversed(specs))

        def run() -> None:
            while True:
                with self.lock:
                    if not queue:
                        return
                    spec = queue.pop()
                self._one(spec)

        threads = [threading.Thread(target=run, name=f"client-{n}") for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _lambda(self, name: str, work: Callable[[], int], idle: float = 0.5) -> threading.Thread:
        """One worker Lambda: batches one after another, each with its own faults, until the soak stops."""
        def run() -> None:
            k, wait = 0, 0.02
            while not self.stop.is_set():
                k += 1
                faults, die_at = batch_plan(self.seed, name, k)
                try:
                    with armed(faults, die_at):
                        done = work()
                except Died:
                    TALLY.add("killed batches")
                    done = 1
                except Exception:  # noqa: BLE001 - as in Lambda: the batch comes again
                    TALLY.add("failed batches")
                    done = 1
                # An idle poller backs off (empty polls cost moto the CPU the soak needs).
                wait = 0.02 if done else min(idle, wait * 2)
                if not done:
                    self.stop.wait(wait)
        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        return thread

    def _workers(self) -> list[threading.Thread]:
        worker = self.worker
        # provider_events (SNS) carries nothing from the simulator; quiescence polls it all the same.
        polls = {"dispatch_worker": 1, "simulator_clock": 2, "report_worker": 1, "callbacks_worker": 2}
        threads = [self._lambda(f"{name}-{n}", lambda name=name: worker.poll_source(name))
                   for name, count in polls.items() for n in range(count)]
        threads.append(self._lambda("message_stream", worker.deliver_streams))
        threads.append(self._lambda("schedules", self._schedules, idle=2.0))
        return threads

    def _schedules(self) -> int:
        """Every schedule once (as each one's rule would call it); 0, so that the next run waits."""
        answers = self.worker.run_schedules()
        TALLY.add("units moved by the reconciler", answers["quota_reconciler"]["units"])
        return 0

    def _report_moves(self) -> Any:
        """While the report reads the messages table: before its 1st, 13th, 25th... Query, a group of
        the held messages moves from Sent to Delivered (a provider's late events), oldest first."""
        from chalicelib.core import clock
        from chalicelib.core.config import get_settings
        from chalicelib.messages import status_updates
        from chalicelib.providers.base import StatusEvent
        from local import faults as harness

        table = get_settings().messages_table
        queries = [0]

        def move(call: dict) -> None:
            with self.lock:
                queries[0] += 1
                if (queries[0] - 1) % MOVE_EVERY:
                    return
                size = -(-self.report["held"] // MOVES)
                group, self.held = self.held[:size], self.held[size:]
            for message_id in group:
                status_updates.apply(StatusEvent(message_id, "TEXT_DELIVERED", clock.now_iso()))
                self.moved.append(message_id)

        return harness.injected("dynamodb", "Query", action=move, then_call=True, times=10**9,
                                when=lambda call: IN_REPORT.get() and call.get("TableName") == table)

    def _request_report(self) -> None:
        from chalicelib.core import clock
        from chalicelib.messages.status_rules import RULES

        shop = self.shops["reporting"]
        with self.lock:
            # Only what the provider took: its late Delivered events are the provider's to send.
            self.held = sorted({a.message_id for a in self.answers
                                if a.message_id and a.spec.tenant == "reporting" and a.spec.channel == "sms"
                                and a.spec.target == HELD and a.status == 200 and self.provider.took[a.message_id]})
        self.report_to = clock.now().replace(microsecond=0)
        self.report_from = self.started
        response = self.api.call("POST", f"/applications/{shop.app_id}/reports", {
            "name": "Soak", "channel": "sms", "statuses": list(RULES["sms"].words), "format": "csv",
            "from": clock.iso(self.report_from)[:19] + "Z", "to": clock.iso(self.report_to)[:19] + "Z"},
            shop.session)
        assert response.status_code == 202, response.json_body
        self.report = {"report_id": response.json_body["report_id"], "held": len(self.held)}
        time.sleep(0.002)  # every later send is created after `to`

    def _provider_repeats(self) -> int:
        """The provider repeats itself: old events of some messages again, late and in reverse order."""
        from chalicelib.core import aws
        from chalicelib.core.config import get_settings
        from chalicelib.messages.models import Message
        from chalicelib.providers.simulator import PLANS

        words = {status for plans in PLANS.values() for steps in plans.values() if isinstance(steps, list)
                 for _, status in steps}
        rng = random.Random(f"{self.seed}:repeats")
        ids = sorted({a.message_id for a in self.answers if a.message_id and a.status == 200})
        events = []
        for message_id in rng.sample(ids, len(ids) // 10):
            history = Message.get(message_id, consistent_read=True).history or []
            events += [{"message_id": message_id, "provider_status": h["provider_status"]}
                       for h in reversed(history) if h.get("provider_status") in words]
        url = aws.queue_url(get_settings().simulator_queue_name)
        for start in range(0, len(events), 10):
            aws.client("sqs").send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": json.dumps(event)} for i, event in enumerate(events[start:start + 10])])
        return len(events)

    def run(self) -> dict[str, int]:
        """The traffic, then quiescence; the report's moves last until it is done. Returns the seconds of each."""
        from chalicelib.reports import worker as report_jobs

        real_run = report_jobs.run

        def report_run(*args: Any, **kwargs: Any) -> str:
            token = IN_REPORT.set(True)
            try:
                return real_run(*args, **kwargs)
            finally:
                IN_REPORT.reset(token)

        report_jobs.run = report_run
        started = time.monotonic()
        with self._report_moves():
            self.traffic()
            traffic = time.monotonic()
            moved = self.quiesce()
        return {"traffic": round(traffic - started), "quiescence": round(time.monotonic() - traffic),
                "clock_moved": moved}

    def traffic(self) -> None:
        from local import call_counter

        split = int(len(self.specs) * REPORT_AFTER)
        with call_counter.counting() as calls:
            threads = self._workers()
            self._clients(self.specs[:split])
            self._request_report()
            for tenant, channel, units in TOP_UPS:
                self.applications.top_up(self.shops[tenant].app_id, channel, units)
                self.topped[(self.shops[tenant].app_id, channel)] += units
            self._clients(self.specs[split:])
            TALLY.add("provider events repeated", self._provider_repeats())
            self._settle()
            self.stop.set()
            for thread in threads:
                thread.join(30)
        self.conflicts = {name: calls[key] for key, name in ((call_counter.CANCELLED, "transactions cancelled"),
                                                              (call_counter.REFUSED, "writes refused"))}

    def _queued(self) -> int:
        """Messages on the soak's queues, visible, in flight or delayed."""
        total = 0
        for source in self.worker.sources:
            attributes = self.worker.sqs.get_queue_attributes(QueueUrl=source.queue_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed"])["Attributes"]
            total += sum(int(value) for value in attributes.values())
        return total

    def _settle(self, seconds: float = 120) -> None:
        """Until the workers have taken every queued message (those of a dead batch come back first)."""
        deadline = time.monotonic() + seconds
        while self._queued() and time.monotonic() < deadline:
            time.sleep(0.5)

    # --- quiescence: Kirim's clock moved, no fault

    def _drain(self) -> None:
        for _ in range(1000):
            if not self.worker.poll_once() and not self._queued():
                return
            if not self._queued():
                continue
            time.sleep(0.05)
        raise RuntimeError("the queues did not drain")

    def _due(self) -> dict[str, int]:
        """What is still waiting for a sweeper, the reconciler or a retry: any item of a sparse index."""
        from chalicelib.applications.models import DUE_PART, Quota
        from chalicelib.callbacks.models import Delivery, due_partitions
        from chalicelib.messages.models import Message, sweep_partitions
        from chalicelib.reports.models import Report

        report = Report.get(self.shops["reporting"].app_id, self.report["report_id"], consistent_read=True)
        return {"messages": sum(1 for p in sweep_partitions() for _ in Message.by_sweep.query(p, limit=1)),
                "deliveries": sum(1 for p in due_partitions() for _ in Delivery.by_due.query(p, limit=1)),
                "quota": self._quota_due(Quota.by_due.query(DUE_PART)),
                "report": int(report.status not in ("Done", "Failed"))}

    def _quota_due(self, items: Any) -> int:
        """Due quota halves, less those whose only business left is units owed while no half can pay
        them (a debit that went unanswered and never landed, on a channel that ran out before the
        reconciler came: taken at its next top-up, applications.quota.owed). Half by half: another
        half of the same channel may still have units to move."""
        from chalicelib.applications import quota
        from chalicelib.applications.models import parse_quota_key

        halves = {parsed[1:] for item in items if (parsed := parse_quota_key(item.key))}
        owing = {channel: quota.owed_halves(*channel) for channel in {half[:2] for half in halves}}
        return sum(1 for app_id, channel, half in halves if half not in owing[(app_id, channel)])

    def quiesce(self) -> int:
        """Moves Kirim's clock on, running the schedules and draining, until nothing is due. Returns
        how far the clock moved, in seconds."""
        moved = 0.0
        steps = [61, 301, 1000, 1000, 4300, 16000, 48000]
        for round_ in range(40):
            self._schedules()
            self._drain()
            if not any(self._due().values()):
                return int(moved)
            step = steps[min(round_, len(steps) - 1)]
            self.clock.move(step)
            moved += step
        raise RuntimeError(f"still due after the clock moved {moved:.0f} s: {self._due()}")

    # --- the invariants

    def check(self) -> dict[str, Any]:
        from chalicelib.applications import quota
        from chalicelib.core import clock
        from chalicelib.messages import recount
        from chalicelib.messages.models import Counter as DayCounter
        from chalicelib.messages import queries
        from chalicelib.messages.status_rules import RULES

        figures: dict[str, Any] = {"seed": self.seed, "sends": len(self.specs)}
        messages = {(tenant, channel): list(queries.channel_messages(shop.app_id, channel))
                    for tenant, shop in self.shops.items() for channel in QUOTAS[tenant]}
        everything = [m for ms in messages.values() for m in ms]
        figures["messages"] = len(everything)

        # Quota: start - debits + refunds (+ top-ups) = the final balance; the reconciler has nothing left.
        conservation = {"start": 0, "top_ups": 0, "debits": 0, "refunds": 0, "final": 0, "owed": 0,
                        "channels": 0, "off": []}
        for (tenant, channel), ms in messages.items():
            app_id = self.shops[tenant].app_id
            start, topped = self.start[(app_id, channel)], self.topped[(app_id, channel)]
            debits = sum(int(m.cost) for m in ms)
            refunds = sum(int(m.cost) for m in ms if m.refunded_at)
            final = quota.balances(app_id, [channel])[channel]
            owed = quota.owed(app_id, channel, self.clock() + quota.GRACE + timedelta(minutes=1))
            conservation["channels"] += 1
            for name, value in (("start", start), ("top_ups", topped), ("debits", debits), ("refunds", refunds),
                                ("final", final), ("owed", owed)):
                conservation[name] += value
            if start + topped - debits + refunds != final - owed:
                conservation["off"].append([tenant, channel, start, topped, debits, refunds, final, owed])
        later = self.clock() + quota.GRACE + timedelta(minutes=1)
        conservation["left_for_reconciler"] = quota.reconcile_due(later)["units"]
        conservation["reconciled"] = TALLY.counts["units moved by the reconciler"]
        figures["quota"] = conservation

        # The provider: at most once, exactly once unless the message failed; nothing unrecorded sent.
        took = self.provider.took
        ids = {m.message_id for m in everything}
        failed = {m.message_id for m in everything if m.status in RULES[m.channel].failure}
        figures["provider"] = {
            "messages": len(ids), "calls": sum(self.provider.calls.values()), "once": sum(1 for i in ids if took[i] == 1),
            "failed_unsent": sum(1 for i in failed if took[i] == 0),
            "twice": sorted(i for i in ids if took[i] > 1),
            "never_though_not_failed": [_described(i) for i in sorted(ids - failed) if took[i] == 0],
            "unrecorded": sorted(i for i in took if i not in ids)}

        # Counters equal a recount, and the operator's repair (messages.recount) finds nothing to fix.
        differing, counted = [], 0
        for (tenant, channel), ms in messages.items():
            app_id = self.shops[tenant].app_id
            items = list(DayCounter.query(f"{app_id}#{channel}"))
            counters = {f"{c.sk}#{w}": n for c in items for w, n in c.counts().items()}
            actual = Counter(f"{m.day}#{m.status}" for m in ms)
            # and the Overview's hours: messages by the UTC hour they were created in
            counters.update({f"{c.sk}#h{h:02d}": n for c in items for h, n in c.hours().items()})
            actual.update(f"{m.day}#h{clock.parse_iso(m.created_at).astimezone(timezone.utc).hour:02d}" for m in ms)
            counted += sum(n for k, n in counters.items() if "#h" not in k)
            if counters != dict(actual):
                differing.append([tenant, channel, counters, dict(actual)])
        repaired = sum(recount.run_job({"application_id": shop.app_id})["repaired"] for shop in self.shops.values())
        figures["counters"] = {"counted": counted, "differing": differing, "repaired": repaired}

        figures["report"] = self._check_report(messages[("reporting", "sms")])
        figures["callbacks"] = self._check_callbacks(messages)
        figures["answers"] = self._check_answers(ids)
        figures["injected"] = dict(sorted(TALLY.counts.items()))
        figures["contention"] = self.conflicts
        return figures

    def _check_report(self, messages: list[Any]) -> dict[str, Any]:
        from chalicelib.core import aws
        from chalicelib.core.config import get_settings
        from chalicelib.reports.models import Report

        report = Report.get(self.shops["reporting"].app_id, self.report["report_id"], consistent_read=True)
        expected = {m.message_id for m in messages if self.report_from <= datetime.fromisoformat(
            m.created_at.replace("Z", "+00:00")) < self.report_to}
        rows: list[str] = []
        if report.status == "Done":
            body = aws.client("s3").get_object(Bucket=get_settings().report_bucket, Key=report.s3_key)["Body"].read()
            rows = [row[0] for row in list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]]
        listed = Counter(rows)
        return {"status": report.status, "error": report.error, "expected": len(expected), "rows": len(rows),
                "moved_during_read": len(self.moved), "held": self.report["held"],
                "missing": sorted(expected - set(listed)), "twice": sorted(i for i, n in listed.items() if n > 1),
                "unexpected": sorted(set(listed) - expected)}

    def _check_callbacks(self, messages: dict[tuple[str, str], list[Any]]) -> dict[str, Any]:
        from chalicelib.callbacks.events import sequence_of
        from chalicelib.callbacks.models import Delivery
        from chalicelib.core import aws
        from chalicelib.core.config import get_settings

        states: Counter[str] = Counter()
        missing, failed = [], set()
        for tenant in ("hooked", "dead"):
            for channel in QUOTAS[tenant]:
                for message in messages[(tenant, channel)]:
                    found = {int(d.sequence): d for d in Delivery.query(message.message_id)}
                    wanted = set(range(1, sequence_of(message.history) + 1))
                    if set(found) != wanted:
                        missing.append([message.message_id, sorted(wanted - set(found))])
                    for sequence, delivery in found.items():
                        states[delivery.state] += 1
                        if delivery.state == "failed":
                            failed.add((message.message_id, sequence))
        sqs, url = aws.client("sqs"), aws.queue_url(get_settings().callback_dlq_name)
        dead: set[tuple[str, int]] = set()
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            # Kirim's own dead letters; SQS also moves there jobs received too often (the sweeper requeues those).
            dead |= {(b["message_id"], int(b["sequence"])) for b in (json.loads(m["Body"]) for m in batch)
                     if b.get("dead")}
            # Read and gone: a FIFO queue hands out nothing more of a group while some of it is in flight.
            sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for i, m in enumerate(batch)])
        return {"deliveries": sum(states.values()), "states": dict(states), "dead_lettered": len(failed & dead),
                "failed_not_dead_lettered": sorted(map(list, failed - dead)), "without_delivery": missing,
                "receiver_posts": len(self.receiver.received)}

    def _check_answers(self, ids: set[str]) -> dict[str, Any]:
        statuses = Counter(str(a.status) for a in self.answers)
        fivexx = [a for a in self.answers if a.status is not None and a.status >= 500]
        by_key: dict[str, set[str]] = defaultdict(set)
        for a in self.answers:
            if a.spec.key and a.status == 200 and a.message_id:
                by_key[f"{a.spec.tenant}:{a.spec.key}"].add(a.message_id)
        return {"answers": len(self.answers), "statuses": dict(statuses),
                "5xx": len(fivexx), "5xx_answers": [[a.spec.n, a.status, a.code] for a in fivexx],
                "lost_debits": dict(Counter(str(a.status) for a in self.answers if a.lost_debit)),
                "keys": len(by_key), "replays": sum(1 for a in self.answers if a.replayed),
                "keys_with_two_messages": sorted(k for k, v in by_key.items() if len(v) > 1),
                "answered_but_missing": sorted({a.message_id for a in self.answers if a.status == 200
                                                and a.message_id and a.message_id not in ids})}


def _debit(call: dict) -> bool:
    """A quota debit's UpdateItem: a quota half's, with its condition (a give-back has none)."""
    key = call.get("Key", {}).get("application_id", {}).get("S", "")
    return key.startswith("quota#") and "ConditionExpression" in call


def _described(message_id: str) -> dict[str, Any]:
    """A message as a failed check shows it."""
    from chalicelib.messages.models import Message

    message = Message.get(message_id, consistent_read=True)
    return {"id": message_id, "channel": message.channel, "target": message.target, "status": message.status,
            "dispatch": message.dispatch, "attempts": message.attempts,
            "history": [(h.get("status"), h.get("provider_status"), h.get("at")) for h in message.history or []]}


def _one_request_per_thread() -> None:
    """Chalice keeps the request it serves on the app (a Lambda serves one at a time); the soak's
    client threads share one app, so each thread keeps its own."""
    from chalice.app import Chalice

    local = threading.local()
    Chalice.current_request = property(lambda self: getattr(local, "request", None),  # type: ignore[assignment]
                                       lambda self, request: setattr(local, "request", request))


@dataclass
class _Tenant:
    """An application that only sends SMS with a V2 token (the dead-letter tenant)."""
    app_id: str
    tokens: dict[str, str]

    def fill(self, body: dict) -> dict:
        return body


def lines(figures: dict[str, Any]) -> list[str]:
    """The invariants, one line each, with their figures."""
    q, p, c, r, cb, a = (figures[k] for k in ("quota", "provider", "counters", "report", "callbacks", "answers"))
    injected = ", ".join(f"{name}: {n}" for name, n in figures["injected"].items())
    return [
        f"soak seed {figures['seed']}: {figures['sends']} sends, {figures['messages']} messages written, "
        f"{a['answers']} answers {a['statuses']}; injected {injected}; contention {figures['contention']}",
        f"quota conservation: start {q['start']} + top-ups {q['top_ups']} - debits {q['debits']} + refunds "
        f"{q['refunds']} = final {q['final']} - owed {q['owed']} over {q['channels']} channels ({len(q['off'])} off); "
        f"left for the reconciler {q['left_for_reconciler']}",
        f"provider at most once: {p['messages']} messages, {p['once']} reached it exactly once, "
        f"{p['failed_unsent']} failed without reaching it, {len(p['twice'])} twice, "
        f"{len(p['never_though_not_failed'])} never though not failed, {len(p['unrecorded'])} unrecorded "
        f"({p['calls']} provider calls)",
        f"counters = recount: {c['counted']} counted, {len(c['differing'])} counters differ, "
        f"repair changed {c['repaired']}",
        f"report rows once while statuses move: {r['expected']} expected, {r['rows']} rows, "
        f"{len(r['missing'])} missing, {len(r['twice'])} twice, {len(r['unexpected'])} unexpected "
        f"({r['moved_during_read']} moved during the read; report {r['status']})",
        f"callbacks delivered or dead-lettered: {cb['deliveries']} deliveries {cb['states']}, "
        f"{cb['dead_lettered']} in the DLQ, {len(cb['failed_not_dead_lettered'])} failed not in it, "
        f"{len(cb['without_delivery'])} status changes without one ({cb['receiver_posts']} POSTs received)",
        f"5xx: {a['5xx']} of {a['answers']} answers (requests whose debit answer was lost, by answer: "
        f"{a['lost_debits']}); {a['keys']} keys, {a['replays']} replays, "
        f"{len(a['keys_with_two_messages'])} keys with two messages",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED") or SEED))
    parser.add_argument("--sends", type=int, default=int(os.environ.get("SOAK_SENDS") or SENDS))
    args = parser.parse_args()
    print(f"soak seed {args.seed} (SOAK_SEED={args.seed} reproduces it), {args.sends} sends", flush=True)
    logging.disable(logging.CRITICAL)  # Kirim logs every fault it meets; the figures say what happened
    started = time.monotonic()
    from local.moto_stack import FAKE_AWS_ENV
    from tests import conftest  # noqa: F401 - the fake environment, botocore's fault and count hooks

    with stage() as endpoints:
        os.environ.update({**FAKE_AWS_ENV, **endpoints, "PROVIDERS": "simulator",
                           # Real timeouts on a busy machine are not what the soak injects: the faults
                           # make theirs (local.faults: 3 s for DynamoDB, 5 s for SQS and S3).
                           "DYNAMODB_READ_TIMEOUT": "30", "DYNAMODB_CONNECT_TIMEOUT": "10",
                           "REPORT_PART_BYTES": "4096", "REPORT_SLICE_SECONDS": "1"})
        import boto3

        from chalicelib.core import aws
        from chalicelib.core.config import get_settings
        from infra.deploy import deploy_stack, outputs_to_env
        from local import dynamodb_local

        aws.TIMEOUTS.update(read_timeout=30, connect_timeout=10)
        os.environ.update(outputs_to_env(deploy_stack(boto3.client("cloudformation"), "local",
                                                      str(ROOT / "infra" / "template.yaml"))))
        dynamodb_local.copy_tables(boto3.client("dynamodb", endpoint_url=endpoints["AWS_ENDPOINT_URL"]),
                                   boto3.client("dynamodb"))
        get_settings.cache_clear()
        _shorten_waits()
        soak = Soak(args.seed, args.sends)
        soak.setup()
        set_up = time.monotonic()
        seconds = soak.run()
        figures = soak.check()
        figures["seconds"] = {"setup": round(set_up - started), **seconds}
        soak.server.shutdown()
    for line in lines(figures):
        print(line)
    print(json.dumps(figures))


def _shorten_waits() -> None:
    """Waits that are real SQS delays in production, shortened: the soak's time is real time. The
    sweeper still takes over whatever they would have covered (the clock moves at the end)."""
    from chalicelib.callbacks import http
    from chalicelib.reports import worker as report_jobs
    from chalicelib.messages.models import SHARDS
    from chalicelib.sending import dispatch

    dispatch.RETRY_DELAYS = (1,) * len(dispatch.RETRY_DELAYS)
    dispatch.UNSURE_WAIT = 1
    http.DEADLINE_SECONDS = 1.0                    # the receiver's slow answers take 1.5 s
    report_jobs.READ_PAGE = 2 * SHARDS             # several Queries per partition: moves fall between them


if __name__ == "__main__":
    main()
