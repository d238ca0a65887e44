"""A collection file's records in the index: content hashes, ids and a manifest of files.

A .jsonl record's `signature` column is its file's signature, a hash of its indexed content and
its id, joined by RECORD_SEP; a changed collection is compared record by record against it.
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from search.ingest.documents import Document

# A .jsonl record's signature is its file's, its content hash and its id, joined by this.
RECORD_SEP = "\x1f"
MANIFEST = "collections.json"  # in a generation: each collection's signature when last compared


def split_signature(signature: str) -> tuple[str, str, str]:
    """(file signature, record content hash, record id) of a document's signature column."""
    parts = signature.split(RECORD_SEP, 2)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else (signature, "", "")


def record_hash(doc: Document) -> str:
    """A hash of everything of a record that is indexed or shown."""
    data = "\0".join(map(str, (doc.id, doc.title, doc.body, doc.date, doc.url, doc.lang,
                               doc.site, doc.date_precision, doc.made_up_title)))
    return hashlib.blake2b(data.encode("utf-8"), digest_size=8).hexdigest()


def file_signatures(r) -> dict[str, str]:
    if not r.has_column("source"):  # an empty index has no columns at all
        return {}
    sources = r.column_reader("source", translate=True)
    sigs = r.column_reader("signature", translate=True)
    return {sources[d]: split_signature(sigs[d])[0] for d in r.all_doc_ids()}


def manifest_path(ix) -> Path:
    return Path(ix.storage.folder) / MANIFEST


def read_manifest(ix) -> dict[str, str]:
    # The file signature of every collection whose records were compared at the last commit
    # (its unchanged records keep the signature they were indexed with).
    try:
        return json.loads(manifest_path(ix).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def write_manifest(ix, entries: dict[str, str]) -> None:
    path = manifest_path(ix)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    os.replace(tmp, path)


class Records:
    """The records of one collection file already in the index: id key → (hash, docnum)."""

    def __init__(self, reader, key: str):
        keys, hashes, docnums = [], [], []
        self.legacy = False  # indexed before records were hashed: replaced whole
        if reader.has_column("source"):
            sources = reader.column_reader("source", translate=True)
            sigs = reader.column_reader("signature", translate=True)
            for d in reader.all_doc_ids():
                if sources[d] == key:
                    _, h, doc_id = split_signature(sigs[d])
                    if not h:
                        self.legacy = True
                        continue
                    keys.append(id_key(doc_id))
                    hashes.append(int(h, 16))
                    docnums.append(d)
        order = np.argsort(np.array(keys, np.uint64), kind="stable")
        self.keys = np.array(keys, np.uint64)[order]
        self.hashes = np.array(hashes, np.uint64)[order]
        self.docnums = np.array(docnums, np.int64)[order]
        self.seen = np.zeros(len(order), bool)

    def find(self, doc_id: str) -> int:
        """The position of the id among the old records, or -1."""
        k = np.uint64(id_key(doc_id))
        i = int(np.searchsorted(self.keys, k))
        return i if i < len(self.keys) and self.keys[i] == k else -1


def id_key(doc_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest(),
                          "little")
