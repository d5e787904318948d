"""Email one-click unsubscribe (RFC 8058, with RFC 2369's List-Unsubscribe): every email a broadcast
sends carries a link `https://<api>/unsubscribe/<token>`; a POST to it puts the address on the
application's suppression list (`unsubscribed`), a GET only shows a page with the button that POSTs
(mail scanners follow links, so a GET must change nothing).

The token is `<kid>~<signed>`: [application id, channel, address] signed with itsdangerous under a key
derived from the master key (core.stack_keys, purpose "unsubscribe"). It carries no date, so an old
email's link keeps working; it stops only when a master key rotation is completed (the old key is
then gone, docs/operating.md). The address is readable in it (signed, not encrypted): the link only
ever sits in that address's own mailbox.
"""
from __future__ import annotations

import base64
import hashlib
import html
import os
from typing import Any

from chalicelib.core import stack_keys
from chalicelib.core.channels import EMAIL

_KID = "~"
_SALT = "kirim-unsubscribe"
MAX_TOKEN_LENGTH = 2048
PATH = "/unsubscribe/"
ONE_CLICK = "List-Unsubscribe=One-Click"


def _serializer(kid: str) -> Any:
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(stack_keys.derive("unsubscribe", kid=kid), salt=_SALT)


def make_token(application_id: str, channel: str, address: str) -> str:
    kid = stack_keys.current_kid()
    return f"{kid}{_KID}{_serializer(kid).dumps([application_id, channel, address])}"


def read_token(token: str) -> tuple[str, str, str] | None:
    """(application id, channel, address), or None for a token Kirim did not sign (or whose key is retired)."""
    from itsdangerous import BadData

    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    kid, _, signed = token.rpartition(_KID)
    try:
        data = _serializer(kid or stack_keys.LEGACY_KID).loads(signed)
    except (stack_keys.RetiredKey, BadData, ValueError, TypeError):
        return None
    if (not isinstance(data, list) or len(data) != 3 or not all(isinstance(part, str) and part for part in data)
            or data[1] != EMAIL):
        return None
    return data[0], data[1], data[2]


def _resolve(token: str) -> tuple[str, str, str] | None:
    """read_token, and the application still exists (a deleted one's link must not write into its
    emptied partition)."""
    from chalicelib.applications import service as applications
    from chalicelib.core.errors import ApiError

    found = read_token(token)
    if found is None:
        return None
    try:
        applications.get(found[0])
    except ApiError:
        return None
    return found


def links_base(captured: str | None) -> str | None:
    """Where the links point: PUBLIC_API_URL when the operator set one (a custom domain), else the
    address the broadcast's creator reached the API at; None when neither is known."""
    base = os.environ.get("PUBLIC_API_URL") or captured
    return base.rstrip("/") if base else None


def headers(base: str | None, application_id: str, address: str) -> dict[str, str] | None:
    """The List-Unsubscribe pair for one broadcast email (None without a base address to link to)."""
    if not base:
        return None
    url = f"{base}{PATH}{make_token(application_id, EMAIL, address)}"
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK}


def is_one_click(raw: bytes) -> bool:
    """RFC 8058's body (form-urlencoded, or the same field in multipart form data)."""
    text = raw.decode("utf-8", "replace")
    return ONE_CLICK in text.replace("\r\n", "\n") or ('name="List-Unsubscribe"' in text and "One-Click" in text)


def unsubscribe(token: str) -> tuple[int, str]:
    """POST: (status, page). Adds the address once; a repeat answers the same."""
    from chalicelib.broadcasts.suppression_events import opt_out

    found = _resolve(token)
    if found is None:
        return 404, _invalid()
    application_id, _channel, address = found
    opt_out(application_id, address)
    return 200, _page("Anda sudah berhenti berlangganan", "You are unsubscribed",
                      f"<p>Alamat <b>{_masked(address)}</b> tidak akan menerima email promosi dari pengirim "
                      "ini lagi.</p>",
                      f"<p>The address <b>{_masked(address)}</b> will get no more promotional emails from this "
                      "sender.</p>")


def confirm_page(token: str) -> tuple[int, str]:
    """GET: the page with the button (changes nothing)."""
    found = _resolve(token)
    if found is None:
        return 404, _invalid()
    address = _masked(found[2])
    form = ('<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
            '<button type="submit">Berhenti berlangganan · Unsubscribe</button></form>')
    return 200, _page("Berhenti berlangganan?", "Unsubscribe?",
                      f"<p>Alamat <b>{address}</b> tidak akan menerima email promosi dari pengirim ini lagi.</p>",
                      f"<p>The address <b>{address}</b> will get no more promotional emails from this sender.</p>",
                      form)


def bad_request_page() -> str:
    return _page("Permintaan tidak lengkap", "Incomplete request",
                 "<p>Buka tautan berhenti berlangganan dari email Anda, lalu tekan tombolnya.</p>",
                 "<p>Open the unsubscribe link from your email, then press its button.</p>")


def _invalid() -> str:
    return _page("Tautan ini tidak berlaku", "This link is not valid",
                 "<p>Tautan berhenti berlangganan ini tidak dikenali. Salin tautan lengkap dari email Anda, "
                 "atau balas email tersebut untuk meminta berhenti.</p>",
                 "<p>This unsubscribe link is not recognised. Copy the whole link from your email, or reply "
                 "to the email to ask to be removed.</p>")


def _masked(address: str) -> str:
    """b***@example.com: enough for its owner to recognise, little for anyone looking over a shoulder."""
    local, _, domain = address.partition("@")
    return html.escape(f"{local[:1]}***@{domain}")


_STYLE = ("body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;"
          "line-height:1.5;color:#1a1a1a}h1{font-size:1.4rem}hr{border:0;border-top:1px solid #ccc;"
          "margin:1.5rem 0}button{font-size:1rem;padding:.6rem 1.2rem;background:#0b5cad;color:#fff;"
          "border:0;border-radius:.3rem;cursor:pointer}")
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
# The page's own policy: its one style block, and its form posting back here; nothing else.
CSP = f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'"


def _page(title_id: str, title_en: str, text_id: str, text_en: str, form: str = "") -> str:
    return ('<!doctype html><html lang="id"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title_id} · {title_en}</title><style>{_STYLE}</style></head><body><main>"
            f"<h1>{title_id}</h1>{text_id}<hr><div lang=\"en\"><h2>{title_en}</h2>{text_en}</div>{form}"
            "</main></body></html>")
