"""Celery tasks of the catalog (discovered by ``config.celery``'s autodiscovery).

``catalog.process_outbox`` is defined beside the outbox it processes
(:func:`catalog.outbox.process_outbox_task`), which queues it after every write.
"""

from catalog.outbox import process_outbox_task

__all__ = ["process_outbox_task"]
