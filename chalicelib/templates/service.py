"""WhatsApp templates: drafts, Meta's rules on submit, review by the provider, and the
APPROVED templates that sends may use.

Life cycle: DRAFT -> SUBMITTED -> APPROVED | REJECTED (with a reason). Only DRAFT and REJECTED
templates can be edited; resubmitting a rejected one makes it SUBMITTED again. Names are unique
per application and language through a name item written in the same transaction.

Every write is conditioned on the version read, so two edits, or an edit and a submit, cannot
silently overwrite each other: the loser gets 409 saying so, apart from a wrong status. A submit
claims the template (SUBMITTED, on condition it is still editable and unchanged) before it calls
Meta, and gives the claim back if Meta does not take it. Reviews are applied in the order Meta
made them: one older than the last applied, or an approval of content edited since it was
submitted, is dropped.
"""
from __future__ import annotations

import uuid
from typing import Any, Iterator

from cachetools import TTLCache
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.core import clock
from chalicelib.core.db import cancellation_reasons, connection, update_if
from chalicelib.core.errors import CONFLICT, INTERNAL, TEMPLATE_NOT_FOUND, ApiError, bad_parameter, not_found
from chalicelib.templates.models import TEMPLATE_PREFIX, Template

DRAFT, SUBMITTED, APPROVED, REJECTED = "DRAFT", "SUBMITTED", "APPROVED", "REJECTED"
STATUSES = (DRAFT, SUBMITTED, APPROVED, REJECTED)
EDITABLE = (DRAFT, REJECTED)
CONTENT_KEYS = ("header", "body", "footer", "buttons", "authentication")
TEMPLATE_NOT_FOUND_MESSAGE = "Template not found"
# Sends keep an APPROVED template for up to a minute (one GetItem saved per send); a template
# paused or disabled by Meta stops being usable within that time. Nothing else is cached, so
# a template is usable the moment it is approved.
SEND_CACHE_SECONDS = 60
_send_cache: TTLCache = TTLCache(maxsize=1024, ttl=SEND_CACHE_SECONDS, timer=clock.monotonic)


def _rules() -> Any:
    """Meta's rules (regexes, the language list), imported on first use: a cold start serving a
    send by an approved template never needs them."""
    from chalicelib.templates import rules

    return rules


def code_id(template: Template) -> str:
    """OCA's form: the template's UUID with _ for -, then ':', then the name."""
    return f"{template.template_id.replace('-', '_')}:{template.name}"


def as_dict(template: Template) -> dict[str, Any]:
    """The template in the shape the rules, preview and send builder read."""
    content = template.content.as_dict() if template.content else {}
    return {"name": template.name, "language": template.language, "category": template.category,
            "accept_terms": bool(template.accept_terms), **{k: content[k] for k in CONTENT_KEYS if k in content}}


def render(template: Template) -> dict[str, Any]:
    data = as_dict(template)
    rendered = {"template_id": template.template_id, "template_code_id": code_id(template),
                "name": template.name, "language": template.language, "category": template.category,
                "status": template.status, **{k: data.get(k) for k in CONTENT_KEYS},
                "components": _rules().to_meta(data)["components"] if template.status != DRAFT else None,
                "created_at": template.created_at, "updated_at": template.updated_at}
    if template.rejection_reason:
        rendered["rejection_reason"] = template.rejection_reason
    return rendered


def get(application_id: str, template_id: str) -> Template:
    try:
        uuid.UUID(template_id)
        return Template.get(application_id, Template.template_key(template_id), consistent_read=True)
    except (ValueError, Template.DoesNotExist):
        raise not_found(TEMPLATE_NOT_FOUND_MESSAGE) from None


def list_for(application_id: str, status: str | None = None) -> Iterator[Template]:
    if status is not None and status not in STATUSES:
        raise bad_parameter("status", f"status must be one of: {', '.join(STATUSES)}")
    for template in Template.query(application_id, Template.sk.startswith(TEMPLATE_PREFIX)):
        if status is None or template.status == status:
            yield template


def _content(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in CONTENT_KEYS if data.get(k) is not None}


def _version_condition(version: int | None):
    return Template.version.does_not_exist() if version is None else Template.version == version


def _changed_meanwhile(application_id: str, template_id: str, action: str) -> ApiError:
    """409 telling a template that is no longer editable from one that was changed meanwhile."""
    current = get(application_id, template_id)
    if current.status not in EDITABLE:
        return ApiError(CONFLICT, f"A {current.status} template cannot be {action}; only DRAFT and REJECTED can")
    return ApiError(CONFLICT, "The template was changed meanwhile by another request; reload it and try again")


def _write(template: Template, *, old_name_key: str | None, new_name_key: str | None, create: bool,
           read_version: int | None = None) -> None:
    """Save the template and move its name item, all or nothing, on condition the template is
    still editable and still the version read."""
    if create:
        condition = Template.sk.does_not_exist()
    else:
        condition = Template.status.is_in(*EDITABLE) & _version_condition(read_version)
        template.version = int(read_version or 0) + 1
    try:
        with TransactWrite(connection=connection()) as transaction:
            if new_name_key:
                transaction.save(Template(template.application_id, new_name_key, template_id=template.template_id),
                                 condition=Template.sk.does_not_exist())
            if old_name_key:
                transaction.delete(Template(template.application_id, old_name_key))
            transaction.save(template, condition=condition)
    except TransactWriteError as error:
        if error.cause_response_code != "TransactionCanceledException":
            raise
        # PynamoDB sends deletes before puts: the new name item comes after the old one's delete.
        reasons = cancellation_reasons(error)
        name_index = 1 if old_name_key else 0
        if new_name_key and len(reasons) > name_index and reasons[name_index] == "ConditionalCheckFailed":
            raise ApiError(CONFLICT, f"A template named {template.name!r} in {template.language!r} already exists",
                           field="name", reason="name_taken") from None
        if "TransactionConflict" in reasons:
            raise ApiError(CONFLICT, "The template is being changed by another request; try again") from None
        raise _changed_meanwhile(template.application_id, template.template_id, "edited") from None


def create(application_id: str, body: dict[str, Any]) -> Template:
    data = _rules().check_draft(body)
    now = clock.now_iso()
    template = Template(application_id, "", template_id=str(uuid.uuid4()), name=data["name"],
                        language=data["language"], category=data.get("category"), status=DRAFT,
                        content=_content(data), accept_terms=bool(body.get("accept_terms")),
                        created_at=now, updated_at=now)
    template.sk = Template.template_key(template.template_id)
    if body.get("submit") is True:
        _rules().check_submit(as_dict(template))
    _write(template, old_name_key=None, new_name_key=Template.name_key(template.name, template.language), create=True)
    if body.get("submit") is True:
        return submit(application_id, template.template_id, {})
    return template


def edit(application_id: str, template_id: str, body: dict[str, Any]) -> Template:
    template = get(application_id, template_id)
    if template.status not in EDITABLE:
        raise ApiError(CONFLICT, f"A {template.status} template cannot be edited; only DRAFT and REJECTED can")
    merged = {**as_dict(template), **{k: v for k, v in body.items() if k != "submit"}}
    data = _rules().check_draft(merged)
    old_key = Template.name_key(template.name, template.language)
    new_key = Template.name_key(data["name"], data["language"])
    template.name, template.language, template.category = data["name"], data["language"], data.get("category")
    template.content = _content(data)
    template.accept_terms = bool(merged.get("accept_terms"))
    template.updated_at = clock.now_iso()
    moved = old_key != new_key
    read_version = int(template.version) if template.version is not None else None
    _write(template, old_name_key=old_key if moved else None, new_name_key=new_key if moved else None, create=False,
           read_version=read_version)
    if body.get("submit") is True:
        return submit(application_id, template_id, {})
    return template


def submit(application_id: str, template_id: str, body: dict[str, Any]) -> Template:
    """Check Meta's rules, claim the template (SUBMITTED), hand it to the provider for review."""
    from chalicelib.providers.base import ProviderRejected, ProviderUnavailable
    from chalicelib.providers.registry import template_reviewer

    template = get(application_id, template_id)
    if template.status not in EDITABLE:
        raise ApiError(CONFLICT, f"A {template.status} template cannot be submitted again")
    data = as_dict(template)
    if body.get("accept_terms") is True:
        data["accept_terms"] = True
    _rules().check_submit(data)
    version = int(template.version) if template.version is not None else None
    previous = {"status": template.status, "rejection_reason": template.rejection_reason}
    now = clock.now_iso()
    claimed = update_if(template, [Template.status.set(SUBMITTED), Template.accept_terms.set(True),
                                   Template.rejection_reason.remove(), Template.updated_at.set(now),
                                   Template.version.set(int(version or 0) + 1),
                                   Template.submitted_version.set(int(version or 0) + 1),
                                   Template.submitted_at.set(int(clock.epoch())), Template.review_at.remove()],
                        Template.status.is_in(*EDITABLE) & _version_condition(version), "this template",
                        mark=Template.write_id)
    if not claimed:
        raise _changed_meanwhile(application_id, template_id, "submitted")
    try:
        provider_id = template_reviewer().submit(application_id, template.template_id, _rules().to_meta(data))
    except Exception as error:  # noqa: BLE001 - whatever went wrong, Meta does not have it: give it back
        _release(template, previous)
        if isinstance(error, ProviderRejected):
            raise bad_parameter("body", f"Meta refused the template: {error.reason}", "provider_rejected") from None
        if isinstance(error, ProviderUnavailable):
            raise ApiError(INTERNAL, "Meta did not answer; the template was not submitted, try again",
                           status=503, headers={"Retry-After": "5"}) from None
        raise
    if provider_id:
        update_if(template, [Template.provider_template_id.set(provider_id)],
                  Template.submitted_version == template.submitted_version, "this template")
    return template


def _release(template: Template, previous: dict[str, Any]) -> None:
    """Give a submit's claim back when Meta did not take the template."""
    actions = [Template.status.set(previous["status"]), Template.updated_at.set(clock.now_iso())]
    if previous["rejection_reason"]:
        actions.append(Template.rejection_reason.set(previous["rejection_reason"]))
    update_if(template, actions, (Template.status == SUBMITTED) & (
        Template.submitted_version == template.submitted_version), "this template")


def delete(application_id: str, template_id: str) -> None:
    template = get(application_id, template_id)
    with TransactWrite(connection=connection()) as transaction:
        transaction.delete(Template(application_id, Template.template_key(template_id)))
        transaction.delete(Template(application_id, Template.name_key(template.name, template.language)))
    _forget(application_id, template_id)


def apply_review(application_id: str, template_id: str, event: str, reason: str | None = None,
                 at: int | None = None) -> str | None:
    """A review result (Meta's webhook or the simulator), made at `at` (epoch seconds, Meta's
    clock; now when unknown). APPROVED approves; REJECTED, PAUSED and DISABLED leave the template
    unusable, with the reason kept. Stale reviews are dropped: one made before the template's
    latest submission, one older than the newest review applied to it (a replay, or a late
    delivery), an approval tied with that, and an approval of a template edited since it was
    submitted (Meta never saw that content). Returns the status after."""
    at = int(at) if at is not None else int(clock.epoch())
    for _ in range(3):
        try:
            template = Template.get(application_id, Template.template_key(template_id), consistent_read=True)
        except Template.DoesNotExist:
            return None
        outcome = _review(template, event, reason, at)
        if outcome is not None:
            _forget(application_id, template_id)
            return outcome
    raise ApiError(CONFLICT, "The template kept changing while its review was applied")


def _review(template: Template, event: str, reason: str | None, at: int) -> str | None:
    """Apply one review to the template as read; None when it changed meanwhile (read again)."""
    reason = reason if reason and reason != "NONE" else None
    if event == "APPROVED":
        status, why = APPROVED, None
    elif event == "REJECTED":
        status, why = REJECTED, reason or "REJECTED"
    elif event in ("PAUSED", "DISABLED"):
        status, why = REJECTED, f"{event}: {reason}" if reason else event
    else:
        return template.status  # PENDING, IN_APPEAL...: nothing to change
    last = int(template.review_at) if template.review_at is not None else None
    stale = (last is not None and (at < last or (at == last and status == APPROVED))) or (
        template.submitted_at is not None and at < int(template.submitted_at))
    unseen = status == APPROVED and (template.status not in (SUBMITTED, REJECTED)
                                     or template.version != template.submitted_version)
    if stale or unseen:
        return template.status
    actions = [Template.status.set(status), Template.updated_at.set(clock.now_iso()), Template.review_at.set(at)]
    actions.append(Template.rejection_reason.set(why) if why else Template.rejection_reason.remove())
    condition = (Template.status == template.status) & _version_condition(
        int(template.version) if template.version is not None else None) & (
        Template.review_at.does_not_exist() if last is None else Template.review_at == last)
    return status if update_if(template, actions, condition, "this template", mark=Template.write_id) else None


def apply_provider_review(provider_template_id: str, event: str, reason: str | None, at: int | None = None
                          ) -> str | None:
    """Meta's review webhook names only its own template id: find ours through the index."""
    for key in Template.by_provider_template.query(str(provider_template_id)):
        return apply_review(key.application_id, key.sk.removeprefix(TEMPLATE_PREFIX), event, reason, at)
    return None


CATEGORIES = ("marketing", "utility", "authentication")


def _forget(application_id: str, template_id: str) -> None:
    """Drop every cached way of naming this template (both template_code_id forms)."""
    for key, template in list(_send_cache.items()):
        if key[0] == application_id and template.template_id == template_id:
            _send_cache.pop(key, None)


def for_send(application_id: str, template_code_id: Any) -> dict[str, Any]:
    """The APPROVED template a send names, or code 59. Two forms name one: Kirim's (and OCA's)
    "<template id with _ for ->:<name>", and OCA's category form "marketing:<name>" (also utility:,
    authentication:), found by name among the application's templates of that category."""
    field = "message.template.template_code_id"
    if not isinstance(template_code_id, str) or ":" not in template_code_id or len(template_code_id) > 600:
        raise bad_parameter(field, "template_code_id is '<template id with _ for ->:<template name>' "
                                   "or '<category>:<template name>'")
    id_part, name = template_code_id.split(":", 1)
    key = (application_id, template_code_id)
    template = _send_cache.get(key)
    if template is None:
        if id_part.lower() in CATEGORIES:
            template = _approved_by_name(application_id, id_part.upper(), name, field)
        else:
            try:
                template = get(application_id, id_part.replace("_", "-"))
            except ApiError:
                template = None
        if template is not None and template.status == APPROVED and template.name == name:
            _send_cache[key] = template
    if template is None or template.name != name or template.status != APPROVED:
        raise ApiError(TEMPLATE_NOT_FOUND, "No APPROVED template with this template_code_id in this application")
    return as_dict(template)


def _approved_by_name(application_id: str, category: str, name: str, field: str) -> Template | None:
    """The APPROVED template of this name and category: one Query of the name locks (one per
    language), then one GetItem per language. Two languages approved is ambiguous: 406."""
    if not name or "#" in name:
        return None
    found = []
    for lock in Template.query(application_id, Template.sk.startswith(Template.name_key(name, ""))):
        try:
            template = get(application_id, lock.template_id)
        except ApiError:
            continue
        if template.status == APPROVED and (template.category or "").upper() == category:
            found.append(template)
    if len(found) > 1:
        languages = ", ".join(sorted(t.language for t in found))
        raise bad_parameter(field, f"{name!r} is approved in several languages ({languages}); "
                                   "send its full template_code_id ('<template id>:<name>')")
    return found[0] if found else None
