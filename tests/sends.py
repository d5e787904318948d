"""Send request bodies as OCA clients write them, one per channel, for any test to send with."""
from __future__ import annotations

import base64

HTML = base64.b64encode("<h1>Halo</h1><p>Pesanan Anda sudah dikirim.</p>".encode()).decode()


def sms_body(phone="081234567890", message="Halo dari Kirim"):
    return {"phone": phone, "message": message}


def otp_body(phone="6281234567890", sender_id="KIRIM"):
    return {"sender_id": sender_id, "recipient_number": phone, "message_body": "Kode OTP Anda 123456"}


# A sender no application owns: Shop.fill puts the shop's own verified sender in its place.
SHOP_SENDER = "noreply@shop-sender.example"


def email_body(to="budi@example.com", sender=SHOP_SENDER):
    return {"email": to, "message": HTML, "sender_email": sender, "sender_name": "Toko Kirim",
            "subject": "Pesanan dikirim"}


def call_body(shop, to="+6281234567890"):
    return {"from_number": "02150001234", "to_number": to, "ivr_id": shop.ivr_id,
            "variable": {"name": "Budi", "order": "INV-7"}}


def whatsapp_body(phone="081234567890"):
    return {"phone_number": phone, "message": {"type": "template", "template": {
        "template_code_id": "SHOP_TEMPLATE",
        "payload": [{"position": "body", "parameters": [{"type": "text", "text": "Budi"}]}]}}}
