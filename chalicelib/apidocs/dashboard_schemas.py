"""Every body the dashboard API takes or answers, as a named schema (the document's components.schemas).

The console's TypeScript types are generated from these names (`local/console_types.py` writes
console/src/api/openapi.d.ts; console/src/api/types.ts aliases them), and every answer is checked against
them (schemathesis on `make run`'s stack, tests/contract.py on every dashboard call of the test suite), so
each must be exactly what the app answers: enums where the app only ever answers listed words, `required`
where a key is always there, null only where null is answered.

To add a body: add `"Name": schema` to SCHEMAS below (next to its slice's), point the path at it with
`ref("Name")` in openapi.py, then run `make console` (it regenerates the types; commit them).
tests/apidocs refuses an inline body on a dashboard route.
"""
from __future__ import annotations

from chalicelib.apidocs.json_schema import BOOL, INT, TIME, Schema, array, nullable, obj, ref, string
from chalicelib.broadcasts.recipient_file import PROBLEMS as FILE_PROBLEMS
from chalicelib.core.channels import CHANNELS
from chalicelib.messages.status_rules import ALL_WORDS
from chalicelib.monitoring.overview import LATEST
from chalicelib.reports.formats import FORMATS
from chalicelib.reports.service import DONE, FAILED, PREPARING, PROCESSING
from chalicelib.templates.preview import BUTTONS_SHOWN, MASKING_NAME_MAX
from chalicelib.templates.rules import (
    BUTTON_TYPES,
    CATEGORIES,
    HEADER_FORMATS,
    LANGUAGES,
    NAME_MAX,
    OTP_TYPES,
)
from chalicelib.templates.service import STATUSES as TEMPLATE_STATUSES

_AT_SUBMIT = "checked at submit; a draft may be incomplete"

# A broadcast's schedule: as answered (every key there) and as PUT .../schedule takes it (any key left out).
_SCHEDULE: dict[str, Schema] = {
    "start_at": nullable(string(format="date-time", description="null: at once; in the application's zone")),
    "rate_per_second": {"type": "integer", "minimum": 1, "description": "at most the application's rate limit"},
    "quiet_hours": nullable(obj({"start": string(pattern="^[0-2][0-9]:[0-5][0-9]$"),
                                 "end": string(pattern="^[0-2][0-9]:[0-5][0-9]$")}, ["start", "end"]))}

# A template's editable parts, as POST (create), PATCH (edit) and POST .../preview take them and as a template
# answers them: drafts may be incomplete, so no key is required inside a part (submit checks Meta's rules,
# docs/whatsapp-templates.md). null, or leaving a key out, means "none".
_TEMPLATE_FIELDS: dict[str, Schema] = {
    "name": string(pattern="^[a-z0-9_]+$", minLength=1, maxLength=NAME_MAX,
                   description="lowercase letters, digits and _; unique per application and language"),
    "language": ref("TemplateLanguage"),
    "category": ref("TemplateCategory"),
    "header": nullable(ref("TemplateHeader")),
    "body": nullable(ref("TemplateBody")),
    "footer": nullable(ref("TemplateFooter")),
    "buttons": nullable(array(ref("TemplateButton"), description=f"at most 10; {_AT_SUBMIT}")),
    "authentication": nullable(ref("TemplateAuthentication")),
    "accept_terms": BOOL,
    "submit": {**BOOL, "description": "true: submit it to Meta's review at once (else it is kept as a DRAFT)"},
}
_PREVIEWED_FIELDS = {key: schema for key, schema in _TEMPLATE_FIELDS.items() if key not in ("accept_terms", "submit")}


def _list_of(name: str) -> Schema:
    return obj({"items": array(ref(name))}, ["items"])


SCHEMAS: dict[str, Schema] = {
    # --- words used across the API ----------------------------------------------------------------------------
    "Channel": string(enum=list(CHANNELS)),
    "StatusWord": string(enum=list(ALL_WORDS), description="A message's status word as the dashboard shows it; "
                                                           "each channel has its own (docs/channel-api.md)"),

    # --- /auth ------------------------------------------------------------------------------------------------
    "RegisterRequest": obj({"email": string(format="email"), "password": string(minLength=10, maxLength=256),
                            "name": string(minLength=1, maxLength=100)}, ["email", "password", "name"]),
    "Me": obj({"user_id": string(), "email": string(), "name": string(),
               "stage": string(description="GET /auth/me only: local, dev or prod (local has the test inbox)")},
              ["user_id", "email", "name"],
              description="An account (who is signed in; also what registering answers)."),
    "LoginRequest": obj({"email": string(maxLength=254), "password": string(maxLength=1024),
                         "code": string(maxLength=32, description="with two-factor sign-in on: the authenticator "
                                                                  "app's 6-digit code, or a recovery code")},
                        ["email", "password"]),
    "TwoFactorStatus": obj({"enabled": BOOL, "recovery_codes_left": INT}, ["enabled", "recovery_codes_left"]),
    "TwoFactorSetup": obj({"secret": string(description="base32, for typing into the app; shown this once"),
                           "otpauth_uri": string(description="otpauth://totp/... for a QR code"),
                           "qr_svg": string(description="that URI drawn as a QR code: data:image/svg+xml,...")},
                          ["secret", "otpauth_uri", "qr_svg"]),
    "TwoFactorCode": obj({"code": string(minLength=1, maxLength=32)}, ["code"]),
    "RecoveryCodes": obj({"recovery_codes": array(string(), description="10 single-use codes, shown this once")},
                         ["recovery_codes"]),
    "LoginAnswer": obj({"session_token": string(description="for scripts: sent as `Authorization: Bearer`; left "
                                                            "out with X-Kirim-Console: 1 (the console gets an "
                                                            "HttpOnly cookie instead)"),
                        "expires_at": TIME}, ["expires_at"]),

    # --- /applications ----------------------------------------------------------------------------------------
    "ApplicationRequest": obj({"name": string(minLength=1, maxLength=100),
                               "channels": array(ref("Channel"), minItems=1, uniqueItems=True)},
                              ["name", "channels"]),
    "ChannelToken": obj({"prefix": string(description="the live token's first characters (the token itself is "
                                                      "shown once, when generated)"), "issued_at": TIME,
                         "last_used_at": nullable({**TIME, "description": "when it last authenticated, to the "
                                                                          "hour (noted at most once an hour); null: "
                                                                          "never, or in the list of applications"})},
                        ["prefix", "issued_at"]),
    "ApplicationChannel": obj({"channel": ref("Channel"), "status": string(enum=["Active", "Inactive"],
                                                                            description="Active: it has a token"),
                               "quota_remaining": INT, "token": nullable(ref("ChannelToken"))},
                              ["channel", "status", "quota_remaining", "token"]),
    "Application": obj({"application_id": string(), "name": string(), "created_at": TIME,
                        "timezone": string(description="IANA: the zone its days and the console's dates are in"),
                        "channels": array(ref("ApplicationChannel")),
                        "role": ref("Role")},
                       ["application_id", "name", "created_at", "timezone", "channels", "role"]),
    "Role": string(enum=["owner", "developer", "viewer"],
                   description="the caller's role: owner (everything), developer (keys, templates, settings), "
                               "viewer (overview, monitoring, reports)"),
    "TeamMember": obj({"user_id": string(), "email": nullable(string()), "role": ref("Role"),
                       "joined_at": nullable(TIME)}, ["user_id", "email", "role", "joined_at"]),
    "Invitation": obj({"invitation_id": string(), "email": string(), "role": ref("InvitedRole"),
                       "created_at": TIME, "expires_at": TIME},
                      ["invitation_id", "email", "role", "created_at", "expires_at"]),
    "CreatedInvitation": obj({"invitation_id": string(), "email": string(), "role": ref("InvitedRole"),
                              "created_at": TIME, "expires_at": TIME,
                              "token": string(description="shown this once; the console's link is "
                                                          "/console/#/invite/<token>")},
                             ["invitation_id", "email", "role", "created_at", "expires_at", "token"]),
    "Team": obj({"members": array(ref("TeamMember"), description="the owner first"),
                 "invitations": array(ref("Invitation"), description="pending, not expired")},
                ["members", "invitations"]),
    "InvitedRole": string(enum=["developer", "viewer"]),
    "InvitationRequest": obj({"email": string(format="email"), "role": ref("InvitedRole")}, ["email", "role"]),
    "RoleChange": obj({"role": ref("InvitedRole")}, ["role"]),
    "AcceptInvitation": obj({"token": string(maxLength=300)}, ["token"]),
    "ApplicationList": _list_of("Application"),
    "GeneratedToken": obj({"channel": ref("Channel"), "token": string(description="shown this once; the "
                                                                                  "channel's old token stopped"),
                           "issued_at": TIME}, ["channel", "token", "issued_at"]),
    "TestMessageRequest": obj({"channel": string(enum=["sms", "sms_otp", "email"]),
                               "to": string(maxLength=254, description="a phone number (any Indonesian form) or, "
                                                                       "for email, an address"),
                               "lang": string(enum=["en", "id"], description="the text's language (default en)")},
                              ["channel", "to"]),
    "TestMessage": obj({"message_id": string(description="follow it with GET /applications/{id}/messages/{message_id}"),
                        "channel": ref("Channel"), "target": string()}, ["message_id", "channel", "target"]),
    "Settings": obj({"application_id": string(), "rate_limit": {"type": "integer", "minimum": 1},
                     "timezone": string(description="IANA, e.g. Asia/Jakarta"),
                     "sender_ids": array(string()), "caller_ids": array(string()),
                     "callback_url": nullable(string()),
                     "v1_default_for": array(ref("Channel"), description="channels whose V1 calls this application "
                                                                        "answers"),
                     "callback_secret_set": BOOL, "callback_secret_created_at": nullable(TIME),
                     "previous_secret_expires_at": nullable(TIME),
                     "callback_secret": string(pattern="^whsec_", description="the status callbacks' signing secret: "
                                               "only in the answer that set the first callback_url")},
                    ["application_id", "rate_limit", "timezone", "sender_ids", "caller_ids", "callback_url",
                     "v1_default_for", "callback_secret_set", "callback_secret_created_at",
                     "previous_secret_expires_at"]),
    "RotatedSecret": obj({"callback_secret": string(pattern="^whsec_", description="shown this once"),
                          "created_at": TIME, "previous_secret_expires_at": nullable(TIME)},
                         ["callback_secret", "created_at", "previous_secret_expires_at"]),
    "SettingsUpdate": obj({"sender_ids": array(string(maxLength=11), maxItems=20),
                           "caller_ids": array(string(), maxItems=20), "timezone": string(),
                           "rate_limit": {"type": "integer", "minimum": 1, "maximum": 1000},
                           "callback_url": nullable(string(format="uri")),
                           "v1_default_for": array(ref("Channel"))},
                          additionalProperties=False, minProperties=1,
                          description="Only the settings to change."),
    "EmailIdentityRequest": obj({"identity": string(minLength=1, maxLength=254,
                                                    description="an email address (name@example.com) or a domain "
                                                                "(example.com)")},
                                ["identity"], additionalProperties=False),
    "DnsRecord": obj({"type": string(const="CNAME"), "name": string(), "value": string()},
                     ["type", "name", "value"], description="A record the domain's owner publishes in its DNS"),
    "EmailIdentity": obj({"identity": string(description="lowercased, the domain in ASCII"),
                          "kind": string(enum=["address", "domain"]),
                          "status": string(enum=["pending", "verified", "failed"],
                                           description="only a verified identity sends"),
                          "created_at": TIME, "verified_at": nullable(TIME),
                          "dns_records": array(ref("DnsRecord"), description="a domain's DKIM records (CNAME); "
                                                                            "none for an address")},
                         ["identity", "kind", "status", "created_at", "verified_at", "dns_records"],
                         description="An email sender identity of the application (`sender_email` of email sends "
                                     "and Verify)."),
    "EmailIdentityList": _list_of("EmailIdentity"),
    "IvrScriptRequest": obj({"name": string(minLength=1, maxLength=100),
                             "script": string(minLength=1, maxLength=3000,
                                              description="text with {{name}} placeholders")}, ["name", "script"]),
    "IvrScript": obj({"ivr_id": string(), "ivr_name": string(), "required_variable": array(string()),
                      "created_at": TIME}, ["ivr_id", "ivr_name", "required_variable", "created_at"]),
    "IvrScriptList": _list_of("IvrScript"),

    # --- /applications/{id}/whatsapp/templates (docs/whatsapp-templates.md) -----------------------------------
    "TemplateStatus": string(enum=list(TEMPLATE_STATUSES)),
    "TemplateCategory": string(enum=list(CATEGORIES)),
    "TemplateLanguage": string(enum=list(LANGUAGES), description="Meta's template languages"),
    "HeaderFormat": string(enum=list(HEADER_FORMATS)),
    "ButtonType": string(enum=list(BUTTON_TYPES)),
    "OtpType": string(enum=list(OTP_TYPES)),
    "TemplateHeader": obj({
        "format": ref("HeaderFormat"),
        "text": string(description=f"TEXT: at most 60 characters, at most one variable {{{{1}}}}; {_AT_SUBMIT}"),
        "example": string(description="TEXT with {{1}}: its example value"),
        "media_url": string(description="IMAGE, VIDEO, DOCUMENT: an https example of the media")},
        description="MARKETING and UTILITY only."),
    "TemplateBody": obj({"text": string(description=f"at most 1,024 characters; variables {{{{1}}}}, {{{{2}}}}... "
                                                    f"in order; {_AT_SUBMIT}"),
                         "examples": array(string(), description="one example per variable, in order")}),
    "TemplateFooter": obj({"text": string(description="at most 60 characters, no variables")}),
    "TemplateButton": obj({
        "type": ref("ButtonType"),
        "text": string(description="QUICK_REPLY, URL, PHONE_NUMBER: the label, at most 25 characters"),
        "url": string(description="URL: https, with at most one {{1}}, at its end"),
        "example": string(description="URL with {{1}}: the full example URL; COPY_CODE: the offer code"),
        "phone_number": string(description="PHONE_NUMBER: E.164, such as +6281234567890")},
        description=f"At most 10 per template: 2 URL, 1 PHONE_NUMBER, 1 COPY_CODE (MARKETING only), quick replies "
                    f"grouped; {_AT_SUBMIT}."),
    "TemplateAuthentication": obj({
        "add_security_recommendation": BOOL,
        "code_expiration_minutes": {**INT, "description": f"1 to 90; {_AT_SUBMIT}"},
        "otp_type": ref("OtpType"),
        "button_text": string(description="at most 25 characters"),
        "package_name": string(description="ONE_TAP only: the Android app's package name"),
        "signature_hash": string(description="ONE_TAP only: the app's 11-character signing key hash")},
        description="AUTHENTICATION only (Meta presets the body)."),
    "TemplateComponent": obj({
        "type": string(enum=["HEADER", "BODY", "FOOTER", "BUTTONS"]), "format": ref("HeaderFormat"),
        "text": string(), "example": obj({"header_text": array(string()), "header_handle": array(string()),
                                          "body_text": array(array(string()))}),
        "add_security_recommendation": BOOL, "code_expiration_minutes": INT,
        "buttons": array(obj({
            "type": string(enum=[*BUTTON_TYPES, "OTP"]), "text": string(), "url": string(),
            "phone_number": string(), "example": {"anyOf": [string(), array(string())]},
            "otp_type": ref("OtpType"),
            "supported_apps": array(obj({"package_name": string(), "signature_hash": string()}))}))},
        ["type"], description="A part of Meta's template, as Kirim submits it."),
    "TemplateForm": obj(_TEMPLATE_FIELDS, ["name", "language"],
                        description="A new template: only name and language are needed for a DRAFT."),
    "TemplateChanges": obj(_TEMPLATE_FIELDS, description="The fields to change (DRAFT and REJECTED only)."),
    "TemplateSubmit": obj({"accept_terms": BOOL}),
    "Template": obj({
        "template_id": string(format="uuid"),
        "template_code_id": string(description="what a send names: '<template_id, _ for ->:<name>'"),
        "name": string(), "language": ref("TemplateLanguage"), "category": nullable(ref("TemplateCategory")),
        "status": ref("TemplateStatus"), "header": nullable(ref("TemplateHeader")),
        "body": nullable(ref("TemplateBody")), "footer": nullable(ref("TemplateFooter")),
        "buttons": nullable(array(ref("TemplateButton"))), "authentication": nullable(ref("TemplateAuthentication")),
        "components": nullable(array(ref("TemplateComponent"), description="Meta's form; null for a DRAFT")),
        "created_at": TIME, "updated_at": TIME,
        "rejection_reason": string(description="REJECTED only: Meta's reason")},
        ["template_id", "template_code_id", "name", "language", "category", "status", "header", "body", "footer",
         "buttons", "authentication", "components", "created_at", "updated_at"]),
    "TemplateList": _list_of("Template"),
    "PreviewRequest": obj({**_PREVIEWED_FIELDS, "masking_name": string(
        maxLength=MASKING_NAME_MAX, description="the sender's name on the phone (default: the application's)")},
        description="The form as typed (nothing is saved; anything unfinished is left out of the preview)."),
    "PreviewHeader": obj({"format": nullable(ref("HeaderFormat")), "text": string(description="with its example "
                                                                                             "filled in"),
                          "media_url": string()}, ["format"]),
    "PreviewButton": obj({"type": nullable(string(enum=[*BUTTON_TYPES, "ONE_TAP"])), "text": nullable(string())},
                         ["type", "text"]),
    "Preview": obj({"masking_name": string(minLength=1, maxLength=MASKING_NAME_MAX),
                    "header": nullable(ref("PreviewHeader")),
                    "body": nullable(string(description="variables filled with their examples")),
                    "footer": nullable(string()),
                    "buttons": array(ref("PreviewButton"), maxItems=BUTTONS_SHOWN),
                    "more_buttons": {"type": "integer", "minimum": 0,
                                     "description": "buttons behind \"See all options\""}},
                   ["masking_name", "header", "body", "footer", "buttons", "more_buttons"],
                   description="What the recipient's phone shows."),

    # --- /applications/{id}/overview and /messages ------------------------------------------------------------
    "MessageItem": obj({"message_id": string(), "channel": ref("Channel"), "target": string(),
                        "status": ref("StatusWord"), "created_at": TIME, "updated_at": TIME,
                        "broadcast_id": nullable(string(description="the broadcast that sent it (null: none, or a "
                                                                    "list by recipient, which does not carry it)"))},
                       ["message_id", "channel", "target", "status", "created_at", "updated_at", "broadcast_id"]),
    "MessageHistoryEntry": obj({"status": ref("StatusWord"), "at": TIME, "provider_status": nullable(string())},
                               ["status", "at", "provider_status"]),
    "MessageDetail": {"allOf": [ref("MessageItem"), obj({
        "body": nullable(string(description="the text sent (SMS, SMS OTP, email); digit runs of an SMS OTP masked")),
        "body_masked": {"type": "boolean", "description": "true when body had its codes masked"},
        "subject": nullable(string(description="an email's subject")),
        "history": array(ref("MessageHistoryEntry")), "callbacks": array(ref("Delivery"))},
        ["body", "body_masked", "subject", "history", "callbacks"])]},
    "MessagePage": obj({"items": array(ref("MessageItem")),
                        "next_cursor": nullable(string(description="pass as ?cursor= for the next page")),
                        "total": nullable(INT | {"description": "messages of the filter, from the daily "
                                                                "counters; null with a recipient, a broadcast "
                                                                "or a range cut inside a day"})},
                       ["items", "next_cursor", "total"]),
    "OverviewDay": obj({"date": string(format="date", description="a day in the application's time zone"),
                        "total": INT, "success": INT, "failed": INT}, ["date", "total", "success", "failed"]),
    "OverviewChannel": obj({
        "channel": ref("Channel"), "total": INT, "success": INT, "failed": INT, "pending": INT,
        "success_rate": {"type": "number", "minimum": 0, "maximum": 1},
        "failed_rate": {"type": "number", "minimum": 0, "maximum": 1},
        "by_status": obj({}, additionalProperties=INT, propertyNames=ref("StatusWord"),
                         description="every status word of the channel, with its count"),
        "series": array(ref("OverviewDay"))},
        ["channel", "total", "success", "failed", "pending", "success_rate", "failed_rate", "by_status", "series"]),
    "Overview": obj({"from": TIME, "to": TIME, "channels": array(ref("OverviewChannel")),
                     "latest": array(ref("MessageItem"), maxItems=LATEST),
                     "today_by_hour": array({"type": "integer", "minimum": 0}, minItems=24, maxItems=24,
                                            description="today's messages of the channels asked for, per hour "
                                                        "of the application's time zone, 00:00 first")},
                    ["from", "to", "channels", "latest", "today_by_hour"]),

    "ApplicationRename": obj({"name": string(minLength=1, maxLength=100)}, ["name"]),
    "ApplicationDelete": obj({"confirm_name": string(description="the application's name, exactly as it is")},
                             ["confirm_name"]),

    # --- /applications/{id}/usage ----------------------------------------------------------------------------
    "UsageDay": obj({"date": string(format="date", description="a day in the application's time zone"),
                     "messages": {**INT, "description": "messages accepted that day"},
                     "refunded": {**INT, "description": "quota units given back that day (failures not billed)"}},
                    ["date", "messages", "refunded"]),
    "UsageChannel": obj({"channel": ref("Channel"), "quota_remaining": INT,
                         "alert_at": nullable({**INT, "description": "warn at this many units left or fewer"}),
                         "alert_percent": nullable({"type": "integer", "minimum": 1, "maximum": 100,
                                                    "description": "the alert set as a percentage of percent_base "
                                                                   "(alert_at is its units); null: set in units"}),
                         "percent_base": {**INT, "description": "what a percentage alert is a share of: the "
                                                                "channel's last top-up, else the starting quota"},
                         "low": {**BOOL, "description": "quota_remaining is at alert_at or below"},
                         "messages": INT, "refunded": INT, "series": array(ref("UsageDay"))},
                        ["channel", "quota_remaining", "alert_at", "alert_percent", "percent_base", "low", "messages",
                         "refunded", "series"]),
    "TopUp": obj({"top_up_id": string(), "channel": ref("Channel"), "amount": INT, "at": TIME},
                 ["top_up_id", "channel", "amount", "at"]),
    "Usage": obj({"from": TIME, "to": TIME, "channels": array(ref("UsageChannel")),
                  "top_ups": array(ref("TopUp"), description="the operator's top-ups, newest first (50 at most)")},
                 ["from", "to", "channels", "top_ups"]),
    "UsageAlert": obj({"channel": ref("Channel"),
                       "alert_at": nullable({"type": "integer", "minimum": 0, "maximum": 100_000_000,
                                             "description": "units left; null (without alert_percent): no alert"}),
                       "alert_percent": nullable({"type": "integer", "minimum": 1, "maximum": 100,
                                                  "description": "instead of alert_at: a percentage of the "
                                                                 "channel's last top-up (else of its starting "
                                                                 "quota), followed after each top-up"})},
                      ["channel"]),

    # --- /applications/{id}/reports ---------------------------------------------------------------------------
    "ReportStatus": string(enum=[PROCESSING, PREPARING, DONE, FAILED]),
    "ReportFormat": string(enum=sorted(set(FORMATS.values()))),
    "ReportRequest": obj({"name": string(minLength=1, maxLength=100), "channel": ref("Channel"),
                          "statuses": array(ref("StatusWord"), minItems=1, description="the channel's own words"),
                          "format": string(enum=list(FORMATS), description="xls means xlsx"),
                          "from": string(description="a date (2026-11-27) or an ISO 8601 time"),
                          "to": string(description="inclusive; a date or an ISO 8601 time")},
                         ["name", "channel", "statuses", "format", "from", "to"]),
    "Report": obj({"report_id": string(), "name": string(), "channel": ref("Channel"),
                   "statuses": array(ref("StatusWord")), "format": ref("ReportFormat"),
                   "from": string(description="as asked"), "to": string(description="as asked"),
                   "status": ref("ReportStatus"), "rows": {"type": "integer", "minimum": 0,
                                                            "description": "written so far; never moves back"},
                   "total": {"type": "integer", "minimum": 0,
                             "description": "the rows expected, from the range's counters; exact once Done"},
                   "progress": {"type": "integer", "minimum": 0, "maximum": 100,
                                "description": "rows over total, in percent; at most 99 until Done"},
                   "created_at": TIME,
                   "error": string(description="Failed only"), "finished_at": TIME, "size": INT,
                   "expired": {**BOOL, "description": "Done only: the file is gone (kept 7 days)"}},
                  ["report_id", "name", "channel", "statuses", "format", "from", "to", "status", "rows", "total",
                   "progress", "created_at"]),
    "ReportList": _list_of("Report"),
    "DownloadLink": obj({"url": string(format="uri"), "expires_at": TIME}, ["url", "expires_at"]),

    # --- /applications/{id}/broadcasts (docs/broadcasts.md) --------------------------------------------------
    "BroadcastStatus": string(enum=["draft", "validating", "ready", "scheduled", "running", "paused", "completed",
                                    "canceled", "failed"]),
    "BroadcastReason": string(enum=["quota", "template_paused", "template_not_approved", "tier_limit",
                                    "quiet_hours", "canceled", "file"]),
    "BroadcastChannel": string(enum=["whatsapp", "sms", "email", "ivr"]),
    # One shape per channel, each with its own required keys, so exactly one matches a broadcast's content.
    "BroadcastWhatsAppContent": obj({
        "template_id": string(description="an APPROVED template of the application"),
        "header_media_url": nullable(string(description="https:// media for a media header"))},
        ["template_id", "header_media_url"]),
    "BroadcastSmsContent": obj({"sender_id": string(description="one of the application's sender ids"),
                                "text": string(description="with {{column}} placeholders")}, ["sender_id", "text"]),
    "BroadcastEmailContent": obj({"sender_email": string(description="a verified identity of the application's"),
                                  "subject": string(), "html": string()}, ["sender_email", "subject", "html"]),
    "BroadcastIvrContent": obj({"script_id": string(description="one of the application's scripts"),
                                "caller_id": string(description="one of the application's caller numbers")},
                               ["script_id", "caller_id"]),
    "BroadcastContent": {"oneOf": [ref("BroadcastWhatsAppContent"), ref("BroadcastSmsContent"),
                                   ref("BroadcastEmailContent"), ref("BroadcastIvrContent")],
                         "description": "What is sent; its fields depend on the channel (docs/broadcasts.md)."},
    "BroadcastFile": obj({"name": string(), "size": {"type": "integer", "minimum": 0},
                          "format": string(enum=["csv", "xlsx"]), "columns": array(string()),
                          "preview": array(array(string()), maxItems=5),
                          "delimiter": nullable(string()), "encoding": nullable(string())},
                         ["name", "size", "format", "columns", "preview", "delimiter", "encoding"]),
    "BroadcastValue": {"oneOf": [obj({"column": string()}, ["column"]), obj({"value": string()}, ["value"])],
                       "description": "a column of the file, or a fixed value"},
    "BroadcastMapping": obj({"recipient": string(description="the column of the phone number (email: the address)"),
                             "values": {"type": "object", "additionalProperties": ref("BroadcastValue"),
                                        "description": "placeholder (1, 2.., header, button_N, or a name) -> value"}},
                            ["recipient", "values"]),
    "BroadcastValidation": obj({
        "rows": INT, "valid": INT, "invalid": INT, "duplicates": INT, "suppressed": INT, "units": INT,
        "quota_available": INT, "estimated_cost": INT, "estimated_seconds": INT,
        "error": nullable(obj({"code": string(enum=list(FILE_PROBLEMS)), "message": string()}, ["code", "message"])),
        "errors_file": BOOL},
        ["rows", "valid", "invalid", "duplicates", "suppressed", "units", "quota_available", "estimated_cost",
         "estimated_seconds", "error", "errors_file"]),
    "BroadcastSchedule": obj(_SCHEDULE, ["start_at", "rate_per_second", "quiet_hours"]),
    "BroadcastScheduleRequest": obj(_SCHEDULE, description="start_at and quiet_hours left out are null; "
                                                           "rate_per_second left out is the application's limit"),
    "BroadcastProgress": obj({"total": INT, "queued": INT, "sent": INT, "delivered": INT, "read": INT, "failed": INT,
                              "not_sent": INT, "not_sent_reasons": {"type": "object", "additionalProperties": INT}},
                             ["total", "queued", "sent", "delivered", "read", "failed", "not_sent",
                              "not_sent_reasons"]),
    "Broadcast": obj({"broadcast_id": string(pattern="^bc_"), "name": string(), "channel": ref("BroadcastChannel"),
                      "status": ref("BroadcastStatus"), "status_reason": nullable(ref("BroadcastReason")),
                      "content": ref("BroadcastContent"), "file": nullable(ref("BroadcastFile")),
                      "mapping": nullable(ref("BroadcastMapping")), "validation": nullable(ref("BroadcastValidation")),
                      "schedule": ref("BroadcastSchedule"), "progress": ref("BroadcastProgress"),
                      "created_at": TIME, "updated_at": TIME, "started_at": nullable(TIME),
                      "completed_at": nullable(TIME)},
                     ["broadcast_id", "name", "channel", "status", "status_reason", "content", "file", "mapping",
                      "validation", "schedule", "progress", "created_at", "updated_at", "started_at", "completed_at"]),
    "BroadcastList": obj({"items": array(ref("Broadcast")),
                          "next_cursor": nullable(string(description="pass as ?cursor= for the next page"))},
                         ["items", "next_cursor"]),
    "BroadcastRequest": obj({"name": string(minLength=1, maxLength=100), "channel": ref("BroadcastChannel"),
                             "content": ref("BroadcastContent")}, ["name", "channel", "content"]),
    "BroadcastChanges": obj({"name": string(minLength=1, maxLength=100), "content": ref("BroadcastContent"),
                             "mapping": nullable(ref("BroadcastMapping"))},
                            description="a change of content or mapping sends a ready broadcast back to draft"),
    "UploadRequest": obj({"filename": string(minLength=1, maxLength=255),
                          "size": {"type": "integer", "minimum": 1, "maximum": 100 * 1024 * 1024},
                          "content_type": string()}, ["filename", "size"]),
    "UploadForm": obj({"url": string(format="uri"), "fields": {"type": "object", "additionalProperties": string()},
                       "expires_at": TIME}, ["url", "fields", "expires_at"],
                      description="POST the file there as multipart/form-data: every field, then `file`"),
    "ValidateRequest": obj({"mapping": ref("BroadcastMapping")}, ["mapping"]),
    "BroadcastProgressAnswer": obj({"status": ref("BroadcastStatus"), "status_reason": nullable(ref("BroadcastReason")),
                                    "progress": ref("BroadcastProgress")}, ["status", "status_reason", "progress"]),
    "Suppression": obj({"target": string(), "reason": string(enum=["added", "bounced", "unsubscribed"]),
                        "created_at": TIME}, ["target", "reason", "created_at"]),
    "SuppressionList": obj({"items": array(ref("Suppression")), "next_cursor": nullable(string())},
                           ["items", "next_cursor"]),
    "SuppressionRequest": obj({"targets": array(string(), minItems=1, maxItems=1000,
                                                description="phone numbers (any form) or email addresses")},
                              ["targets"]),
    "SuppressionsAdded": obj({"added": INT}, ["added"]),
    "BroadcastResultsRequest": obj({"format": string(enum=list(FORMATS), description="xls means xlsx")},
                                   ["format"]),

    # --- status callbacks (docs/webhooks.md) ----------------------------------------------------------------------
    "CallbackAttempt": obj({"at": TIME, "http_status": nullable(INT), "latency_ms": {"type": "integer", "minimum": 0},
                            "error": nullable(string())}, ["at", "http_status", "latency_ms", "error"]),
    "Delivery": obj({"delivery_id": string(description="the webhook-id header, the same on every retry"),
                     "sequence": {"type": "integer", "minimum": 1,
                                  "description": "the message's status sequence number"},
                     "status": ref("StatusWord"), "state": string(enum=["pending", "delivered", "failed", "canceled"]),
                     "attempt_count": {"type": "integer", "minimum": 0}, "next_attempt_at": nullable(TIME),
                     "created_at": TIME, "attempts": array(ref("CallbackAttempt"))},
                    ["delivery_id", "sequence", "status", "state", "attempt_count", "next_attempt_at", "created_at",
                     "attempts"]),
    "DeliveryList": _list_of("Delivery"),
    "ReplayRange": obj({"from": string(description="a date (UTC) or an ISO 8601 time; default: a day before `to`"),
                        "to": string(description="a date (that whole UTC day) or an ISO 8601 time; default: now")}),
    "ReplayAnswer": obj({"replayed": {"type": "integer", "minimum": 0},
                         "more": {**BOOL, "description": "more failed in the range: call again"}},
                        ["replayed", "more"]),

    # --- the Verify API and the local test inbox --------------------------------------------------------------
    "VerifyStart": obj({"to": string(description="a phone number (sms, whatsapp, ivr) or an email address"),
                        "channel": string(enum=["sms", "whatsapp", "ivr", "email"]),
                        "locale": string(enum=["id", "en"]),
                        "code_length": {"type": "integer", "minimum": 4, "maximum": 10},
                        "sender_id": string(), "from_number": string(), "sender_email": string(format="email"),
                        "sender_name": string()}, ["to", "channel"],
                       examples=[{"to": "081234567890", "channel": "sms", "locale": "id"}]),
    "VerifyCheck": obj({"verification_id": string(), "code": string(pattern="^[0-9]{4,10}$")},
                       ["verification_id", "code"]),
    "Verification": obj({"verification_id": string(), "to": string(),
                         "channel": string(enum=["sms", "whatsapp", "ivr", "email"]),
                         "status": string(enum=["pending", "approved"]), "expires_at": TIME},
                        ["verification_id", "to", "channel", "status", "expires_at"]),
    "InboxItem": obj({"message_id": string(), "application_id": string(), "channel": ref("Channel"), "to": string(),
                      "at": TIME, "body": ref("InboxBody")},
                     ["message_id", "application_id", "channel", "to", "at", "body"]),
    "InboxList": _list_of("InboxItem"),
    "InboxBody": obj({"text": string(description="SMS, SMS OTP"), "sender_id": string(), "subject": string(),
                      "sender_email": string(), "sender_name": string(), "html": string(description="email"),
                      "ssml": string(description="IVR"), "from_number": string(),
                      "template": obj({}, description="WhatsApp: Meta's template message, parameters filled in"),
                      "attachment": string(description="email: the file's name"),
                      "headers": obj({}, additionalProperties=string(),
                                     description="email: extra headers (a broadcast's List-Unsubscribe pair)")},
                     description="What the recipient got, in full (the code of a verification included)."),
}
