"""The ``push`` source kind: harvesters of any kind push assets to us
(``POST /api/v1/assets/bulk``) instead of being crawled.

:mod:`.harvester` is the kind's class (empty config, nothing to crawl), :mod:`.items` the
item format and its validation, :mod:`.ingest` the write rule (through
:class:`harvesters.sink.CatalogSink`), :mod:`.api` the endpoint.
"""
