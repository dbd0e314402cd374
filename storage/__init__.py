"""Where crawls are kept: stores, WARC files, indexes, manifests and text records.

Imports neither Scrapy nor Prefect: the crawler and the flows use it, not the
other way round.
"""

from newstrail.storage.base import (
    STORE_SCHEMES,
    ObjectInfo,
    ObjectNotFoundError,
    Store,
    open_store,
    validate_key,
)
from newstrail.storage.catalog import CrawlListing, list_crawls
from newstrail.storage.cdxj import write_cdxj, write_cdxj_streams
from newstrail.storage.corpus import TextRecordWriter, read_text_records
from newstrail.storage.local import FileStore
from newstrail.storage.manifest import (
    MANIFEST_NAME,
    Manifest,
    crawl_prefix,
    format_utc,
    parse_utc,
    read_manifest,
    validate_name,
    write_manifest,
)
from newstrail.storage.warc import (
    DEFAULT_MAX_SIZE,
    ExchangeRefs,
    RecordRef,
    RollingWarcWriter,
    warc_date,
)

__all__ = [
    "DEFAULT_MAX_SIZE",
    "MANIFEST_NAME",
    "STORE_SCHEMES",
    "CrawlListing",
    "ExchangeRefs",
    "FileStore",
    "Manifest",
    "ObjectInfo",
    "ObjectNotFoundError",
    "RecordRef",
    "RollingWarcWriter",
    "Store",
    "TextRecordWriter",
    "crawl_prefix",
    "format_utc",
    "list_crawls",
    "open_store",
    "parse_utc",
    "read_manifest",
    "read_text_records",
    "validate_key",
    "validate_name",
    "warc_date",
    "write_cdxj",
    "write_cdxj_streams",
    "write_manifest",
]
