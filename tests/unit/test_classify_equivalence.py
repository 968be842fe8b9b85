"""The classifier's answers, frozen: every output equals the stored snapshot.

The snapshot (tests/data/classify_snapshot.json.gz) was written by the classifier as it stood
before its speed work, over every text we have: the shared dev corpus (messages, and payloads as
`flatten_message` reads them), tests/data/*.jsonl (also lower-cased, and each followed by the
next) and the ingest bench's messages - each as a human and as a bot, without and with a service
catalogue, and the corpus's bot texts also with their bot's name - and lines written by
`hypothesis.strategies.from_regex` from each phrase-table branch and refs pattern. A change meant
to make classification cheaper must leave every (kind, refs, source, confidence) as it was.
Regenerate only for an intended change of answers (with the code whose answers are meant):

    .venv/bin/python tests/unit/test_classify_equivalence.py --write [shared-corpus-dir] [texts.json]
"""

from __future__ import annotations

import gzip
import itertools
import json
import sys
from pathlib import Path

from bot.capture.catalogue import ServiceCatalogue
from bot.capture.classify import Classifier

SNAPSHOT = Path(__file__).resolve().parents[1] / "data" / "classify_snapshot.json.gz"
CATALOGUE = ServiceCatalogue.of(["api-gateway", "checkout", "search", "payments"])
# Each input: (text, bot_name or ""); classified with is_bot False and True, then with the catalogue.
_VARIANTS = ((False, None), (True, None), (False, CATALOGUE), (True, CATALOGUE))


def _inputs(shared: Path, data: Path) -> list[list[str]]:
    from bot.slack.flatten import flatten_message

    seen: dict[tuple[str, str], None] = {}
    for line in (shared / "dev-messages.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        seen[(row["text"], "")] = None
        if row.get("author_kind") == "bot" and row.get("source"):
            seen[(row["text"], row["source"])] = None
    for line in (shared / "dev-payloads.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = flatten_message(row["payload"])
        seen[(text, "")] = None
        seen[(text, row["source"])] = None
    texts = [
        json.loads(line)["text"]
        for path in sorted(data.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    seen.update(((text, ""), None) for text in texts)
    # Variants that reach other paths of the same rules: case, and two messages as one's sentences.
    seen.update(((text.lower(), ""), None) for text in texts)
    seen.update(((f"{a} {b}", ""), None) for a, b in itertools.pairwise(texts))
    sys.path.insert(0, str(data.parents[1]))
    from bench.ingest import MESSAGES

    seen.update(((text, ""), None) for text in MESSAGES)
    return [list(key) for key in seen]


def _outputs(text: str, bot_name: str) -> list[list[object]]:
    classifier = Classifier()
    out = []
    for is_bot, services in _VARIANTS:
        c = classifier.classify(text, is_bot, bot_name=bot_name or None, services=services)
        out.append([c.kind, c.refs, c.source, c.confidence])
    return out


def test_every_answer_is_the_snapshots() -> None:
    snapshot = json.loads(gzip.decompress(SNAPSHOT.read_bytes()))
    assert len(snapshot) > 7000
    differ = [
        (text, bot_name, expected, got)
        for text, bot_name, expected in snapshot
        if (got := _outputs(text, bot_name)) != expected
    ]
    assert not differ, f"{len(differ)} inputs changed answer, first: {differ[0]!r}"


def main(argv: list[str]) -> None:
    """`--write [shared-corpus-dir] [more-texts.json]`: the texts already in the snapshot are kept."""
    root = Path(__file__).resolve().parents[2]
    shared = Path(argv[0]) if argv else Path("/work/shared/corpus")
    inputs = dict.fromkeys((text, bot_name) for text, bot_name in _inputs(shared, root / "tests" / "data"))
    if SNAPSHOT.exists():
        inputs.update(
            dict.fromkeys((t, b) for t, b, _o in json.loads(gzip.decompress(SNAPSHOT.read_bytes())))
        )
    if argv[1:]:
        inputs.update(dict.fromkeys((t, "") for t in json.loads(Path(argv[1]).read_text(encoding="utf-8"))))
    rows = [[text, bot_name, _outputs(text, bot_name)] for text, bot_name in inputs]
    SNAPSHOT.write_bytes(gzip.compress(json.dumps(rows, ensure_ascii=False).encode(), mtime=0))
    print(f"{len(rows)} inputs written to {SNAPSHOT}")


if __name__ == "__main__" and sys.argv[1:2] == ["--write"]:
    main(sys.argv[2:])
