"""Forwarding plays to Last.fm (and Libre.fm, GNU FM) and ListenBrainz (and Maloja).

The server never talks to a service: in the transaction that records a play it writes one row
per linked service to an outbox in the sidecar (``store``, which also keeps the links), and
returns. ``beetcrate worker`` runs a dispatcher (``dispatcher``) that finds links with rows
waiting and leases each to one of its delivery threads, which sends the link's rows in play
order through the service's client (``lastfm``, ``listenbrainz``) and deletes each row in the
transaction that records the service's answer (``forward``). docs/scrobbling.md tells the
whole story; the modules the server loads (``model``, ``store``) import no HTTP client and no
queue.
"""
