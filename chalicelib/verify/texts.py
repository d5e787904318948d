"""The built-in messages, in Indonesian (`id`, the default) and English (`en`), per channel.
Each is written twice: with the code (what the recipient gets) and with it masked (what Kirim
stores and shows), from one template, so the two never drift apart."""
from __future__ import annotations

from chalicelib.ivr.ssml import xml_text

LOCALES = ("id", "en")
MINUTES = 10

_SMS = {"id": "Kode verifikasi Anda: {code}. Berlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun.",
        "en": "Your verification code is {code}. It expires in {minutes} minutes. Do not share it with anyone."}
_SUBJECT = {"id": "Kode verifikasi Anda", "en": "Your verification code"}
_HTML = {"id": "<p>Kode verifikasi Anda:</p><p style=\"font-size:24px;letter-spacing:4px\"><b>{code}</b></p>"
               "<p>Berlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun.</p>",
         "en": "<p>Your verification code is:</p><p style=\"font-size:24px;letter-spacing:4px\"><b>{code}</b></p>"
               "<p>It expires in {minutes} minutes. Do not share it with anyone.</p>"}
_VOICE = {"id": "Kode verifikasi Anda adalah {code}. Sekali lagi, kode Anda {code}.",
          "en": "Your verification code is {code}. Again, your code is {code}."}


def mask(code: str) -> str:
    return "*" * len(code)


def sms(locale: str, code: str) -> str:
    return _SMS[locale].format(code=code, minutes=MINUTES)


def email_subject(locale: str) -> str:
    return _SUBJECT[locale]


def email_html(locale: str, code: str) -> str:
    return _HTML[locale].format(code=code, minutes=MINUTES)


def voice_ssml(locale: str, code: str) -> str:
    """The code read digit by digit, twice."""
    spoken = f'<say-as interpret-as="digits">{xml_text(code)}</say-as>'
    return "<speak>" + _VOICE[locale].format(code=spoken) + "</speak>"


def voice_text(locale: str, code: str) -> str:
    return _VOICE[locale].format(code=code)
