"""Notifications to citizens away from the desk (docs/notifications.md).

`triggers.py` turns stored messages into notifications (a follow-up hook of messaging), `outbox.py`
keeps them durable and sends them through the providers of `bridge/infra/notify_providers/`, `consent.py`
records the citizens' subscriptions and contacts, `policy.py` and `templates.py` are the pure rules.
"""
