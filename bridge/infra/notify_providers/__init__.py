"""Clients of the services that carry a notification to a citizen away from the desk.

One module per provider (WeChat and Alipay mini-program subscription messages, the 随申办 app's push
gateway, SMS), each speaking its service's real protocol; `ops/notify_standins.py` speaks the same for
development and tests. Every client answers an `Outcome` and never raises for a refusal of the service.
"""
