"""This process's counters for what leaves no row in the store: webhooks accepted, sends and
provider errors by code, 429s. ``webhooks/metrics.py`` serves them at ``/metrics`` beside the
figures read from the store. No label ever holds an address, a chat id, a text or a pseudonym.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

PROCESS = CollectorRegistry(auto_describe=True)
accepted = Counter("hanya_webhook_accepted", "Inbound messages accepted (stored, then 200), "
                   "by this process", ["channel"], registry=PROCESS)
sends = Counter("hanya_sends", "Messages handed to their provider by this process's sender",
                ["channel"], registry=PROCESS)
send_errors = Counter("hanya_send_errors", "Provider refusals seen by this process's sender, "
                      "by the provider's error code", ["channel", "code"], registry=PROCESS)
throttled = Counter("hanya_provider_throttled", "429s (too many requests) from a provider",
                    ["channel"], registry=PROCESS)
rerouted = Counter("hanya_rerouted", "Messages a channel refused and handed on (WhatsApp outside "
                   "its 24 hours: to its template or to SMS), by channel, code and where to "
                   "('none': nowhere, failed)", ["channel", "code", "to"], registry=PROCESS)
sign_in_refusals = Counter("hanya_sign_in_refused", "Dashboard sign-ins refused, by why: a "
                          "wrong identifier or code, throttled, or no verification slot",
                          ["reason"], registry=PROCESS)
