"""Conformance: the same cases run against a real broker and against mqlab's model.

Each broker has a package here (``rabbitmq``, ``sqs``) whose ``report()`` runs every case on
both sides and returns a ``Report``; ``python -m tests.conformance --report`` prints them all.
The pytest modules in each package run the same cases one test per case.
"""
