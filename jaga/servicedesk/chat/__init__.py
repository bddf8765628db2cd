"""Intake by conversation: WhatsApp (Business Cloud API) and inbound SMS (docs/whatsapp.md).

`webhooks` receives the deliveries, `conversation` keeps each sender's step and files the report
through the desk's own intake service, `graph` talks to Meta's Graph API (replies, media, and the
`WhatsAppCloudGateway` that tells reporters about status changes).
"""
