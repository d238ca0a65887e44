"""One reindex run's documents: their index fields, and the writing of each file's new and
changed ones (whole files, or a collection's changed records)."""

import errno
import os

from search.ingest import dedup
from search.ingest.documents import JSONL_SUFFIXES, Document, Skip, load
from search.ingest.recordset import RECORD_SEP, Records, record_hash
from search.ingest.seen_ids import SeenIds
from search.morph import detect_language


def document_fields(doc: Document, source: str, signature: str) -> dict:
    """Index fields of a document: text goes to the fields of its language.

    A made-up title (the body's first sentence) is stored for display but not indexed as a
    title: the words are already in the body, and would count twice.
    """
    lang = doc.lang or detect_language(f"{doc.title}\n{doc.body}")
    fields = {
        "id": doc.id, "source": source, "signature": signature, "lang": lang,
        "site": doc.site, "title": doc.title, "body": doc.body, "url": doc.url,
        "length": len(doc.body), f"body_{lang}": doc.body,
    }
    if not doc.made_up_title:
        fields[f"title_{lang}"] = doc.title
    if doc.date:
        fields["date"] = doc.date
        if doc.date_precision:
            fields["date_precision"] = doc.date_precision
            fields["period"] = doc.date_precision.encode()
    fields.update(dedup.fields(doc.title, doc.body))
    return fields


class Owners:
    """The file an id already in the index came from, so that another file's id does not
    silently replace it (two sites' index.html indexed in two runs)."""

    def __init__(self, searcher):
        self.searcher = searcher
        if searcher is not None:
            self.sources = searcher.reader().column_reader("source", translate=True)

    def other(self, doc_id: str, key: str) -> str | None:
        """The file other than key, still on disk, that doc_id is indexed from; or None."""
        s = self.searcher
        if s is None or ("id", doc_id) not in s.reader():  # the common case: a new id
            return None
        docnum = s.document_number(id=doc_id)
        source = self.sources[docnum] if docnum is not None else key
        return source if source != key and os.path.exists(source) else None


class FileRun:
    """One reindex run's writing of files: whole files, or a collection's changed records."""

    def __init__(self, writer, searcher, summary, tick, max_chars, reading):
        self.writer, self.searcher, self.summary = writer, searcher, summary
        self.tick, self.max_chars, self.reading = tick, max_chars, reading
        self.owners = Owners(searcher)
        self.seen_ids = SeenIds()  # bounded: 8 bytes an id
        self.manifest: dict[str, str] = {}

    def index_file(self, path, doc_id, key, sig, replace: bool) -> bool:
        """Write one file's new and changed documents; True if the file was indexed."""
        summary, writer = self.summary, self.writer
        errors: list[str] = []
        collection = path.name.lower().endswith(JSONL_SUFFIXES)
        records = Records(self.searcher.reader(), key) if replace and collection else None
        if records is not None and records.legacy:
            records = None  # indexed before records were hashed: replaced whole
        whole = replace and records is None
        docs = load(path, errors, doc_id, self.max_chars, self.reading)
        if not collection:
            try:  # read the page first: a page that fails keeps its old document
                docs = list(docs)
            except Skip as e:
                summary.skipped.append((key, str(e)))
                return False
            except (OSError, EOFError, UnicodeError, ValueError) as e:
                summary.skipped.append((key, f"unreadable: {e}"))
                return False
        if whole:
            writer.delete_by_term("source", key)
        written = unchanged = 0
        complete = True
        try:
            for doc in docs:
                if doc.id in self.seen_ids:
                    errors.append(f"duplicate id {doc.id!r}: first one kept")
                    continue
                other = self.owners.other(doc.id, key)
                if other:
                    errors.append(f"duplicate id {doc.id!r}: already indexed from {other}, "
                                  "kept (index a folder that holds both to tell them apart)")
                    continue
                self.seen_ids.add(doc.id)
                record_sig = sig
                if collection:
                    h = record_hash(doc)
                    record_sig = f"{sig}{RECORD_SEP}{h}{RECORD_SEP}{doc.id}"
                    i = records.find(doc.id) if records is not None else -1
                    if i >= 0:
                        records.seen[i] = True
                        if int(records.hashes[i]) == int(h, 16):
                            unchanged += 1
                            continue
                        writer.writer.delete_document(int(records.docnums[i]))
                        summary.records_updated += 1
                    elif whole:
                        summary.records_updated += 1
                    else:
                        summary.records_added += 1
                writer.add_document(**document_fields(doc, key, record_sig))
                written += 1
                summary.documents += 1
                self.tick()
        except Skip as e:  # the rest of a collection could not be read: its records are kept
            complete = False
            summary.skipped.append((key, str(e)))
        except (OSError, EOFError, UnicodeError, ValueError) as e:
            if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
                raise
            complete = False
            summary.skipped.append((key, f"unreadable after {written + unchanged} "
                                         f"records: {e}"))
        summary.records_unchanged += unchanged
        if records is not None and complete:
            gone = records.docnums[~records.seen]
            for d in gone.tolist():
                writer.writer.delete_document(d)
            summary.records_deleted += len(gone)
        if collection and complete:
            self.manifest[key] = sig
        for err in errors[:5]:
            summary.skipped.append((key, err))
        if len(errors) > 5:
            summary.skipped.append((key, f"... and {len(errors) - 5} more bad records"))
        if not written and not unchanged and not errors and complete:
            summary.skipped.append((key, "no documents"))
        changed = written or (records is not None and complete and len(gone))
        return bool(changed or unchanged)
