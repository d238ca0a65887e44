"""A lean SphinxQL client: the MySQL text protocol for searchd's few statement shapes (queries,
multi-statements, their warnings and errors), parsed from one buffer: pymysql reads a packet
at a time and converts every cell in pure Python, which cost 15-20 ms for a few hundred rows."""

import socket
import struct

from pymysql.converters import escape_string

_CAPS = (0x00000200 | 0x00008000 | 0x00010000 | 0x00020000)  # 4.1 protocol, secure auth,
# multi-statements, multi-results
_MORE = 0x0008  # status flag of an EOF/OK packet: another result set follows
_UTF8 = 33  # utf8_general_ci
_INTS = frozenset((1, 2, 3, 8, 9, 13))  # tiny, short, long, longlong, int24, year
_FLOATS = frozenset((0, 4, 5, 246))  # decimal, float, double, newdecimal
_BUFFER = 1 << 16


class WireError(Exception):
    """searchd answered with an error packet (code, message), or the connection failed."""

    def __init__(self, message: str, code: int = 0):
        super().__init__(message)
        self.code = code


class Result:
    """One statement's answer: rows of converted cells, column names, warnings."""

    __slots__ = ("rows", "names", "warnings")

    def __init__(self, rows, names, warnings):
        self.rows, self.names, self.warnings = rows, names, warnings


def literal(value) -> str:
    """A value as a SphinxQL literal (strings quoted and escaped, as pymysql does)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + escape_string(str(value)) + "'"


def mogrify(sql: str, args=None) -> str:
    """sql with its %s placeholders filled by args (pymysql's format style)."""
    if args is None:
        return sql
    return sql % tuple(literal(a) for a in args)


class Connection:
    """One searchd SphinxQL connection."""

    def __init__(self, host: str, port: int, timeout: float = 2.0, read_timeout: float = 60.0):
        try:
            self._sock = socket.create_connection((host, port), timeout)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock.settimeout(read_timeout)
            self._buf, self._at = b"", 0
            self._packet()  # the server's greeting
            self._send(struct.pack("<IIB23s", _CAPS, 1 << 24, _UTF8, b"") + b"root\0\0", 1)
            body = self._packet()
            if body[:1] == b"\xff":
                raise _error(body)
        except OSError as e:
            self.close()
            raise WireError(f"cannot reach searchd at {host}:{port}: {e}") from e

    def close(self) -> None:
        sock, self._sock = getattr(self, "_sock", None), None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def __del__(self):  # an engine dropped without close() leaves no socket open
        self.close()

    @property
    def closed(self) -> bool:
        return self._sock is None

    def execute(self, sql: str) -> list[Result]:
        """Every result of sql (one statement, or several joined by ';'); WireError on an error
        packet (then the statements after it were not run), OSError on a broken connection."""
        self.send(sql)
        return self.read()

    def send(self, sql: str) -> None:
        """Send sql without waiting for its answer (read() reads it): several connections'
        statements run at once without threads."""
        self._buf, self._at = b"", 0
        self._send(b"\x03" + sql.encode("utf-8"), 0)

    def read(self) -> list[Result]:
        """The results of the statements last sent."""
        out = []
        while True:
            body = self._packet()
            head = body[0]
            if head == 0xFF:
                raise _error(body)
            if head == 0x00:  # OK: a statement without rows
                more, warnings = _ok_status(body)
                out.append(Result([], [], warnings))
            else:
                result, more = self._result_set(_lenenc_int(body, 0)[0])
                out.append(result)
            if not more:
                return out

    def _result_set(self, columns: int) -> tuple[Result, bool]:
        names, kinds = [], []
        for _ in range(columns):
            name, kind = _column(self._packet())
            names.append(name)
            kinds.append(kind)
        self._packet()  # EOF after the column definitions
        raw: list[list] = []
        buf, at = self._buf, self._at
        while True:  # row packets, their cells read where they lie in the buffer
            if len(buf) - at < 5:
                self._at = at
                self._need(5)
                buf, at = self._buf, self._at
            size = buf[at] | buf[at + 1] << 8 | buf[at + 2] << 16
            if buf[at + 4] == 0xFE and size < 9:  # EOF: warnings, status
                self._at = at
                warnings, status = struct.unpack_from("<HH", self._take(size), 1)
                break
            if len(buf) - at < 4 + size:
                self._at = at
                self._need(4 + size)
                buf, at = self._buf, self._at
            p, end = at + 4, at + 4 + size
            row: list = []
            while p < end:
                n = buf[p]
                if n < 251:
                    row.append(buf[p + 1:p + 1 + n])
                    p += 1 + n
                elif n == 251:
                    row.append(None)
                    p += 1
                else:
                    n, p = _lenenc_int(buf, p)
                    row.append(buf[p:p + n])
                    p += n
            raw.append(row)
            at = end
        rows = _convert(raw, kinds) if raw else []
        return Result(rows, names, warnings), bool(status & _MORE)

    def _send(self, payload: bytes, seq: int) -> None:
        if self._sock is None:
            raise OSError("connection closed")
        self._sock.sendall(struct.pack("<I", len(payload))[:3] + bytes((seq,)) + payload)

    def _need(self, n: int) -> None:
        """At least n unread bytes in the buffer."""
        while len(self._buf) - self._at < n:
            if self._sock is None:
                raise OSError("connection closed")
            chunk = self._sock.recv(max(_BUFFER, n))
            if not chunk:
                self.close()
                raise OSError("searchd closed the connection")
            self._buf = self._buf[self._at:] + chunk
            self._at = 0

    def _take(self, size: int) -> bytes:
        """The body of the packet of size at the buffer's position (its header skipped)."""
        self._need(4 + size)
        at = self._at + 4
        self._at = at + size
        return self._buf[at:at + size]

    def _packet(self) -> bytes:
        self._need(4)
        buf, at = self._buf, self._at
        return self._take(buf[at] | buf[at + 1] << 8 | buf[at + 2] << 16)


def _convert(raw: list, kinds: list[int]) -> list[tuple]:
    """Rows of cells converted by column kind (ints, floats, else text), column by column."""
    cols = []
    for k, col in enumerate(zip(*raw, strict=True)):
        kind = kinds[k]
        if kind in _INTS:
            cols.append([None if c is None else int(c) for c in col])
        elif kind in _FLOATS:
            cols.append([None if c is None else float(c) for c in col])
        else:
            cols.append([None if c is None else c.decode("utf-8", "replace") for c in col])
    return list(zip(*cols, strict=True))


def _lenenc_int(body: bytes, at: int) -> tuple[int, int]:
    """(value, position after) of a length-encoded integer."""
    n = body[at]
    if n < 251:
        return n, at + 1
    if n == 252:
        return body[at + 1] | body[at + 2] << 8, at + 3
    if n == 253:
        return body[at + 1] | body[at + 2] << 8 | body[at + 3] << 16, at + 4
    return struct.unpack_from("<Q", body, at + 1)[0], at + 9


def _column(body: bytes) -> tuple[str, int]:
    """(name, type) of a column definition packet."""
    at = 0
    name = ""
    for k in range(6):  # catalog, schema, table, org_table, name, org_name
        n, at = _lenenc_int(body, at)
        if k == 4:
            name = body[at:at + n].decode("utf-8", "replace")
        at += n
    return name, body[at + 7]  # after 0x0c, charset (2), length (4)


def _ok_status(body: bytes) -> tuple[bool, int]:
    """(another result follows, warnings) of an OK packet."""
    _, at = _lenenc_int(body, 1)  # affected rows
    _, at = _lenenc_int(body, at)  # last insert id
    status, warnings = struct.unpack_from("<HH", body, at) if len(body) >= at + 4 else (0, 0)
    return bool(status & _MORE), warnings


def _error(body: bytes) -> WireError:
    code = struct.unpack_from("<H", body, 1)[0]
    text = body[3:]
    if text[:1] == b"#":
        text = text[6:]
    return WireError(text.decode("utf-8", "replace"), code)
