"""The five channels, their token prefixes and their display order."""
from __future__ import annotations

from chalicelib.core.errors import bad_parameter

WHATSAPP, SMS, SMS_OTP, IVR, EMAIL = "whatsapp", "sms", "sms_otp", "ivr", "email"
CHANNELS = (WHATSAPP, SMS, SMS_OTP, IVR, EMAIL)

# A token names its channel, so a leaked one is recognisable (secret scanners, logs, support).
TOKEN_PREFIX = {
    WHATSAPP: "kirim_wa_",
    SMS: "kirim_sms_",
    SMS_OTP: "kirim_otp_",
    IVR: "kirim_ivr_",
    EMAIL: "kirim_email_",
}


def parse_channel(value: object, field: str = "channel") -> str:
    if not isinstance(value, str) or value not in CHANNELS:
        raise bad_parameter(field, f"{field} must be one of: {', '.join(CHANNELS)}")
    return value
