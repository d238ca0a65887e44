"""Hostile documents: each is indexed correctly or skipped with a reason; nothing else is lost."""

import json
import os
from pathlib import Path

import pytest

from search.engine import Engine
from search.ingest.indexer import reindex

GOOD = "Обласна рада ухвалила програму розвитку туризму на узбережжі Азовського моря."


def _make(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text(f"Заголовок\n\n{GOOD}", "utf-8")
    return src


def _run(tmp_path, src):
    summary = reindex(tmp_path / "ix", [src])
    eng = Engine(tmp_path / "ix")
    found = {h.id for h in eng.search("туризм", per_page=100).hits}
    eng.close()
    assert "good.txt" in found, "a hostile file cost a good document"
    return summary, found


HOSTILE = [
    # (file name, bytes, indexed id or None, expected reason if skipped)
    ("empty.txt", b"", None, "empty"),
    ("spaces.txt", b" \n \r\n\t ", None, "empty"),
    ("binary.txt", os.urandom(4096), None, "binary"),
    ("nul.txt", "Туризм і море".encode() + b"\x00\x00\x00" + b"\x8f" * 50, None, "binary"),
    ("bad-utf8.txt", "Туризм у Криму\n\nТуризм і відпочинок біля моря влітку.".encode()
     + b"\xff\xfe\xfa" + " Ще речення про туризм, довге і змістовне.".encode() * 20,
     "bad-utf8.txt", None),
    ("cp1251.txt", "Туризм у Бердянську\n\nТуризм і море, відпочинок і сонце, курорт і пляж."
     .encode("cp1251"), "cp1251.txt", None),
    ("koi8.txt", "Туризм в Бердянске\n\nТуризм и море, отдых и солнце, курорт и пляж рядом."
     .encode("koi8_r"), "koi8.txt", None),
    ("utf16.txt", "Туризм\n\nТуризм на морі: сезон відкрито.".encode("utf-16"), "utf16.txt",
     None),
    ("longword.txt", ("Туризм\n\nТуризм " + "ж" * 100_000 + " і море.").encode(), "longword.txt",
     None),
    ("nested.html", ("<html><body>" + "<div>" * 5000 + "<p>Туризм на морі, сезон відкрито. "
                     "Готелі приймають гостей з усієї країни.</p>" + "</div>" * 5000
                     + "</body></html>").encode(), None, ""),
    ("broken.html", b"<html><head><title>\xd0\xa2\xd1\x83\xd1\x80\xd0\xb8\xd0\xb7\xd0\xbc</title"
     b"><body><p>" + "Туризм на морі: сезон відкрито, готелі приймають гостей. ".encode() * 5
     + b"<div></span></b><p><p><table><tr><td>", "broken.html", None),
]


@pytest.mark.parametrize(("name", "content", "doc_id", "reason"), HOSTILE,
                         ids=[h[0] for h in HOSTILE])
def test_hostile_file(tmp_path, name, content, doc_id, reason):
    src = _make(tmp_path)
    (src / name).write_bytes(content)
    summary, found = _run(tmp_path, src)
    if doc_id:
        assert doc_id in found, summary.skipped
    else:
        # Either indexed or skipped with a reason: never silently lost, never a crash.
        skipped = [r for p, r in summary.skipped if p.endswith(name)]
        assert name in found or (skipped and reason in skipped[0]), summary.skipped


def test_huge_file_is_skipped_with_a_reason(tmp_path):
    src = _make(tmp_path)
    with open(src / "huge.txt", "wb") as f:
        line = ("Туризм і відпочинок на морі. " * 40 + "\n").encode()
        for _ in range(50 * 2**20 // len(line)):
            f.write(line)
    summary, found = _run(tmp_path, src)
    assert "huge.txt" not in found
    assert any(p.endswith("huge.txt") and "too large" in r for p, r in summary.skipped)


def test_jsonl_with_missing_and_wrong_typed_fields(tmp_path):
    src = _make(tmp_path)
    rows = [
        {"id": "ok", "text": f"{GOOD} Ще раз туризм.", "date": "not a date", "lang": 5},
        {"id": None, "text": "туризм"}, {"id": "", "text": "туризм"}, {"id": True, "text": "x"},
        {"id": "t", "text": 12345}, {"id": "u", "title": ["x"], "text": "Туризм і титул-список."},
        {"id": "d", "text": "Туризм і дата-число.", "date": 20200101},
        "a string", 42, None,
    ]
    (src / "docs.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
                                    + "\n{broken\n", "utf-8")
    summary, found = _run(tmp_path, src)
    assert {"ok", "u", "d"} <= found
    assert sum(p.endswith("docs.jsonl") for p, _ in summary.skipped) >= 5


def test_duplicate_ids_across_files_keep_one(tmp_path):
    src = _make(tmp_path)
    for name in ("a.jsonl", "b.jsonl"):
        (src / name).write_text(json.dumps({"id": "same", "text": f"Туризм з файлу {name}."},
                                           ensure_ascii=False) + "\n", "utf-8")
    summary, _ = _run(tmp_path, src)
    eng = Engine(tmp_path / "ix")
    assert len([h for h in eng.search("туризм", per_page=100).hits if h.id == "same"]) == 1
    eng.close()
    assert any("duplicate id 'same'" in r for _, r in summary.skipped)


def test_symlink_loop_and_dangling_link(tmp_path):
    src = _make(tmp_path)
    (src / "sub").mkdir()
    (src / "sub" / "loop").symlink_to(src, target_is_directory=True)
    (src / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    summary, found = _run(tmp_path, src)
    assert summary.documents == 1 and found == {"good.txt"}


def test_unreadable_file_is_skipped_with_a_reason(tmp_path, monkeypatch):
    src = _make(tmp_path)
    (src / "secret.txt").write_text("Туризм таємний", "utf-8")
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    summary, found = _run(tmp_path, src)
    assert "secret.txt" not in found
    assert any(p.endswith("secret.txt") and "Permission denied" in r for p, r in summary.skipped)
