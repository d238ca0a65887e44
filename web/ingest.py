"""Write endpoints for a CMS: POST /api/documents, DELETE /api/documents/<id>.

Writes are off unless SEARCH_WRITE_TOKEN is set; then every write needs
`Authorization: Bearer <token>`. A write is answered once it is journaled (durable); the
committer makes it searchable within a second (search/ingest/committer.py): with gunicorn's
threaded workers a process of its own that the master starts (search/ingest/commitd.py),
elsewhere a thread in each worker.
"""

import hmac
import json
import sys
import threading

from flask import Blueprint, current_app, jsonify, request

from search.ingest import commitd, committer, journal
from search.ingest.committer import InvalidRecord
from web.errors import error_response
from web.index import IndexUnavailable, get_engine

bp = Blueprint("ingest", __name__)

NDJSON = "application/x-ndjson"
_lock = threading.Lock()
# The interpreter's switch interval in a process whose committer thread commits beside its
# request thread. Each of a commit's many file operations gives up the interpreter lock, and
# getting it back waited up to the default 5 ms for a busy request thread: a commit of 50 ms
# CPU took 250-450 ms, and requests waited likewise behind the commit's Python work.
SWITCH_INTERVAL = 0.0005


class WriteError(Exception):
    """A refused write: HTTP status, error code and message for the JSON envelope."""

    def __init__(self, status: int, code: str, message: str, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def queue_source(index_dir):
    """For /metrics: (operations journaled but not yet searchable, the oldest one's wait in s)."""
    def source() -> tuple[int, float]:
        status = committer.status(index_dir)
        return status["depth"], status["lag_seconds"]
    return source


def start_committer_process(app, close_fds=()) -> commitd.Keeper | None:
    """In a server's master, before it forks its workers: the one committer process of a
    writable server (None: read-only, or a cluster). Workers' committer threads then only stand
    in for it when the journal has waited committer.FALLBACK_AFTER seconds."""
    config = app.config
    if config.get("SEARCH_BACKEND", "whoosh") != "whoosh" or not config.get("SEARCH_WRITE_TOKEN"):
        return None
    keeper = commitd.Keeper(config["SEARCH_INDEX_DIR"], config["SEARCH_COMMIT_INTERVAL"],
                            close_fds, config["SEARCH_INGEST_TRACE"] or None,
                            config["SEARCH_COMMITTER_NICE"])
    keeper.start()
    config["SEARCH_COMMITTER_PROCESS"] = True
    return keeper


def ensure_committer(app) -> committer.Committer | None:
    """This process's committer thread (started after gunicorn forked, on first request)."""
    if app.config.get("SEARCH_BACKEND", "whoosh") != "whoosh":
        return None
    ext = app.extensions
    if "search_committer" not in ext:
        with _lock:
            if "search_committer" not in ext:
                standby = bool(app.config.get("SEARCH_COMMITTER_PROCESS"))
                if not standby:
                    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
                ext["search_committer"] = committer.Committer(
                    app.config["SEARCH_INDEX_DIR"],
                    interval=app.config["SEARCH_COMMIT_INTERVAL"],
                    standby=standby, trace=app.config.get("SEARCH_INGEST_TRACE") or None).start()
    return ext["search_committer"]


@bp.before_app_request
def _start_committer():
    # Every worker of a writable server applies what any worker journaled; a read-only one
    # still applies what a killed server left behind.
    app = current_app
    config = app.config
    if "search_committer" not in app.extensions and (
            config.get("SEARCH_WRITE_TOKEN") or journal.pending(config["SEARCH_INDEX_DIR"])):
        ensure_committer(app)


def _authorize() -> None:
    token = current_app.config.get("SEARCH_WRITE_TOKEN") or ""
    if not token:
        raise WriteError(403, "writes_disabled",
                         "writes are disabled on this server (set SEARCH_WRITE_TOKEN)")
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(),
                                                             token.encode()):
        raise WriteError(401, "unauthorized", "a valid 'Authorization: Bearer <token>' header "
                         "is required", {"WWW-Authenticate": 'Bearer realm="search"'})


def _body() -> bytes:
    limit = current_app.config["SEARCH_WRITE_MAX_MB"] * 2**20
    if (request.content_length or 0) > limit:
        raise WriteError(413, "payload_too_large",
                         f"the body is larger than {limit // 2**20} MB; send fewer documents")
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise WriteError(413, "payload_too_large",
                         f"the body is larger than {limit // 2**20} MB; send fewer documents")
    return data


def _why(e: Exception) -> str:
    return "nested too deeply" if isinstance(e, RecursionError) else str(e)


def _records(data: bytes) -> list:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise WriteError(400, "invalid_json", f"the body is not UTF-8: {e}") from None
    if request.mimetype == NDJSON:
        records = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except (ValueError, RecursionError) as e:
                    raise WriteError(400, "invalid_json",
                                     f"line {n} is not valid JSON: {_why(e)}") from None
        return records
    if not request.is_json:
        raise WriteError(400, "invalid_json", "send application/json (an object or an array "
                         f"of objects) or {NDJSON} (one object a line)")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise WriteError(400, "invalid_json", f"the body is not valid JSON: {_why(e)}") from None
    return body if isinstance(body, list) else [body]


@bp.post("/api/documents")
def put_documents():
    _authorize()
    records = _records(_body())
    if not records:
        raise WriteError(400, "bad_request", "no documents in the body")
    try:
        ids = committer.accept(current_app.config["SEARCH_INDEX_DIR"], records)
    except InvalidRecord as e:
        raise WriteError(400, "invalid_document", str(e)) from None
    ensure_committer(current_app).wake()
    resp = jsonify({"accepted": len(ids), "ids": ids})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.delete("/api/documents/<path:doc_id>")
def delete_document(doc_id):
    _authorize()
    index_dir = current_app.config["SEARCH_INDEX_DIR"]
    try:
        # As of the latest commit: what the journal no longer holds must be found there.
        exists = get_engine().document(doc_id, fresh=True) is not None
    except IndexUnavailable:  # no index yet: nothing to delete but what is journaled
        exists = False
    deleted = committer.delete(index_dir, doc_id, exists)
    ensure_committer(current_app).wake()
    resp = jsonify({"deleted": deleted})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.errorhandler(WriteError)
def _refused(e: WriteError):
    return error_response(e.status, e.message, e.code, e.headers)
