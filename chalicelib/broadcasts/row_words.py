"""The bad rows file's words: each row problem's code in English and Bahasa Indonesia.

The file is written once per language at validation (plan.errors_key(..., lang)); GET .../errors hands
out the one the person asks for (`?lang=`, else Accept-Language, else English). The `code` column
never changes with the language, so a program reads that one."""
from __future__ import annotations

from typing import Any

LANGUAGES = ("en", "id")
HEADER = {"en": ("line", "code", "reason"), "id": ("baris", "kode", "alasan")}
FILENAME = {"en": "errors.csv", "id": "baris-bermasalah.csv"}

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "missing_recipient": "The recipient's cell is empty.",
        "invalid_phone": "This is not a valid phone number.",
        "country_code": "The number has no country code: write it as 08..., 628... or +628....",
        "invalid_email": "This is not a valid email address.",
        "scientific": "Excel saved this number as 6.28E+12 and dropped its digits. Format the column as Text, "
                      "type the numbers again and save.",
        "missing_value": "{name}: the value is empty.",
        "value_too_long": "{name}: the value is longer than {limit} characters.",
        "value_spacing": "{name}: the value has a line break, a tab or more than 4 spaces in a row.",
        "value_line_break": "{name}: the value has a line break, which an email subject cannot hold.",
        "sms_too_long": "The message would be {segments} SMS segments; at most {limit} are allowed.",
    },
    "id": {
        "missing_recipient": "Sel penerima kosong.",
        "invalid_phone": "Ini bukan nomor telepon yang valid.",
        "country_code": "Nomor ini tidak punya kode negara: tulis sebagai 08..., 628... atau +628....",
        "invalid_email": "Ini bukan alamat email yang valid.",
        "scientific": "Excel menyimpan nomor ini sebagai 6.28E+12 dan angkanya hilang. Ubah format kolom menjadi "
                      "Teks, ketik ulang nomornya, lalu simpan.",
        "missing_value": "{name}: nilainya kosong.",
        "value_too_long": "{name}: nilainya lebih dari {limit} karakter.",
        "value_spacing": "{name}: nilainya berisi baris baru, tab, atau lebih dari 4 spasi berturut-turut.",
        "value_line_break": "{name}: nilainya berisi baris baru, padahal subjek email tidak boleh berisi baris "
                            "baru.",
        "sms_too_long": "Pesannya akan menjadi {segments} bagian SMS; paling banyak {limit} bagian.",
    },
}
CODES = tuple(WORDS["en"])


def _number(value: int, lang: str) -> str:
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "id" else text


def words(code: str, lang: str, params: dict[str, Any] | None = None) -> str:
    shown = {k: _number(v, lang) if isinstance(v, int) else v for k, v in (params or {}).items()}
    return WORDS[lang][code].format(**shown)


def pick(asked: str | None, accept_language: str | None) -> str | None:
    """The language of an explicit `lang` (None if it is not one of LANGUAGES), else the first of
    Accept-Language's that is one (by q, then order), else English."""
    if asked is not None:
        asked = asked.strip().lower()
        return asked if asked in LANGUAGES else None
    ranked: list[tuple[float, int, str]] = []
    for order, part in enumerate((accept_language or "").split(",")):
        tag, _, rest = part.strip().partition(";")
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, order, primary))
    return min(ranked)[2] if ranked else "en"
