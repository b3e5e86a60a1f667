"""The intent lists: YAML files admins edit, loaded and validated in one place.

Every `*.yaml` file in the lists folder holds a list of intents. Files in a
sub-folder named for a language (`es/`, `ru/`…) add native-language example
phrasings to intents defined at the top level. The special id `out_of_scope`
holds examples the bot must not answer: they teach the matcher what to reject.
An optional `normalization.yaml` beside them says how this list reads text
(shorthand, courtesy words); without it the engine's plain normalisation is used.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.datafiles import DataError, LineDict, LineList, expect, load_yaml
from intents.normalize import CONFIG_FILE, GENERIC, Normalizer, load_normalizer

OUT_OF_SCOPE = "out_of_scope"
TOP_LEVEL = "en"  # the language of the top-level lists; a folder's lists are in the language it names
# The catalogue of ../shared/domain.md: tests, evaluation files and admin tools
# refer to these ids, so the shipped lists must define every one of them.
CATALOGUE = (
    "greeting", "store_info", "product_question", "payment_methods", "shipping_cost", "customs_tax",
    "dispatch_time", "delivery_time", "shipping_countries", "discount_request", "combine_orders",
    "stock_availability", "payment_problem", "cancel_order", "change_order", "order_status",
    "tracking_not_updated", "delivery_delay", "not_received", "return_exchange", "refund_status",
    "item_problem", "dispute", "negative_feedback", "positive_feedback", "human_agent", "thanks", "goodbye",
)
# Any stable identifier: the shipped lists use lower_snake_case, other lists bring their own.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
_WORD = re.compile(r"[^\W\d_]+")
LANGUAGE_DIR = re.compile(r"^[a-z]{2}(-[a-z]{2})?$")
KNOWN_KEYS = {"id", "description", "handoff", "priority", "keywords", "examples"}
CACHE_FORMAT = 1


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    path: Path
    line: int


@dataclass
class Intent:
    id: str
    description: str = ""
    handoff: bool = False
    priority: bool = False  # handed-off chats with this intent go to the front of the queue
    keywords: tuple[str, ...] = ()
    examples: list[Example] = field(default_factory=list)
    path: Path | None = None
    line: int = 0


@dataclass
class IntentSet:
    intents: dict[str, Intent]
    digest: str  # hash of every file's bytes: the model cache key
    normalizer: Normalizer = GENERIC

    @property
    def ids(self) -> list[str]:
        """Catalogue ids the bot may answer (out_of_scope excluded)."""
        return [i for i in self.intents if i != OUT_OF_SCOPE]

    _normalized: list[str] | None = field(default=None, repr=False, compare=False)

    def examples(self) -> list[tuple[str, Example]]:
        return [(intent.id, ex) for intent in self.intents.values() for ex in intent.examples]

    def normalized(self) -> list[str]:
        """The examples' texts as the matcher reads them, in the order of `examples()`."""
        if self._normalized is None:
            self._normalized = [self.normalizer(ex.text) for _, ex in self.examples()]
        return self._normalized

    def english(self) -> list[bool]:
        """Which examples are English (the top-level lists'), in the order of `examples()`: the ones the
        word vectors and the encoder read."""
        return [ex.language == TOP_LEVEL for _, ex in self.examples()]

    def words(self, language: str = TOP_LEVEL) -> set[str]:
        """The words of the examples in one language."""
        return {word for _, ex in self.examples() if ex.language == language for word in _WORD.findall(ex.text.lower())}


def list_files(folder: Path) -> list[Path]:
    """The intent files of a folder, in a stable order (top level first)."""
    if not folder.is_dir():
        raise DataError(folder, None, "intent lists folder not found")
    top = sorted(p for p in folder.glob("*.yaml") if p.name != CONFIG_FILE)
    native = sorted(p for p in folder.glob("*/*.yaml") if LANGUAGE_DIR.match(p.parent.name))
    return top + native


def load_intents(folder: Path) -> IntentSet:
    """Load and validate every intent file; the first problem raises DataError.

    What a set of files holds (its intents and its examples, normalised) is cached in
    ~/.cache/kefu keyed by the files' bytes: a start-up reads one JSON file instead of
    parsing thousands of YAML lines and normalising every example again.
    """
    files = list_files(folder)
    if not files:
        raise DataError(folder, None, "no intent files (*.yaml) in this folder")
    digest = hashlib.sha256()
    config = folder / CONFIG_FILE
    normalizer = GENERIC
    if config.is_file():
        normalizer = load_normalizer(config)
        digest.update(CONFIG_FILE.encode() + b"\0" + config.read_bytes())
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    key = digest.hexdigest()[:16]
    cached = _from_cache(folder, key, normalizer)
    if cached is not None:
        return cached
    intents: dict[str, Intent] = {}
    for path in files:
        language = path.parent.name if path.parent != folder else TOP_LEVEL
        for entry, line in _entries(path):
            _add_entry(intents, entry, line, path, language)
    for intent in intents.values():
        if not intent.examples:
            raise DataError(intent.path or folder, intent.line, f"intent {intent.id!r} has no examples")
    loaded = IntentSet(intents=intents, digest=key, normalizer=normalizer)
    _to_cache(folder, loaded)
    return loaded


def _cache_file(folder: Path, digest: str) -> Path:
    from intents.modelstore import cache_dir

    where = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:8]
    return cache_dir() / f"lists-{digest}-{where}-v{CACHE_FORMAT}.json"


def _to_cache(folder: Path, intents: IntentSet) -> None:
    paths = sorted({str(ex.path) for _, ex in intents.examples()} | {str(i.path) for i in intents.intents.values()})
    number = {p: i for i, p in enumerate(paths)}
    data = {"paths": paths, "intents": [
        {"id": i.id, "description": i.description, "handoff": i.handoff, "priority": i.priority, "keywords": list(i.keywords),
         "path": number[str(i.path)], "line": i.line,
         "examples": [[ex.text, ex.language, number[str(ex.path)], ex.line] for ex in i.examples]}
        for i in intents.intents.values()
    ], "normalized": intents.normalized()}
    from intents.modelstore import write_atomically

    try:
        write_atomically(_cache_file(folder, intents.digest), json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except OSError:  # a read-only home still works: it parses the files at each start
        pass


def _from_cache(folder: Path, digest: str, normalizer: Normalizer) -> IntentSet | None:
    try:
        data = json.loads(_cache_file(folder, digest).read_text(encoding="utf-8"))
        paths = [Path(p) for p in data["paths"]]
        intents = {}
        for item in data["intents"]:
            examples = [Example(text, language, paths[at], line) for text, language, at, line in item["examples"]]
            intents[item["id"]] = Intent(item["id"], item["description"], item["handoff"], item["priority"],
                                         tuple(item["keywords"]), examples, paths[item["path"]], item["line"])
        loaded = IntentSet(intents=intents, digest=digest, normalizer=normalizer)
        if len(data["normalized"]) != sum(len(i.examples) for i in intents.values()):
            return None
        loaded._normalized = data["normalized"]
        return loaded
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _entries(path: Path) -> list[tuple[LineDict, int]]:
    data = load_yaml(path)
    if data is None:
        return []
    expect(data, list, path, 1, "an intent file")
    return [(expect(item, dict, path, data.line_of(i), "each intent"), data.line_of(i)) for i, item in enumerate(data)]


def _add_entry(intents: dict[str, Intent], entry: LineDict, line: int, path: Path, language: str) -> None:
    for key in entry:
        if key not in KNOWN_KEYS:
            raise DataError(path, entry.line_of(key), f"unknown field {key!r} (known: {', '.join(sorted(KNOWN_KEYS))})")
    if "id" not in entry:
        raise DataError(path, line, "intent without an id")
    intent_id = expect(entry["id"], str, path, entry.line_of("id"), "id")
    if not ID_PATTERN.match(intent_id):
        raise DataError(path, entry.line_of("id"), f"id {intent_id!r}: use letters, digits, _ . : - (e.g. lower_snake_case)")
    examples = [
        Example(text, language, path, line_no)
        for text, line_no in _texts(entry, "examples", path, line)
    ]
    keywords = tuple(text.casefold() for text, _ in _texts(entry, "keywords", path, line))
    if language != TOP_LEVEL:  # native phrasings extend an intent defined at the top level
        if intent_id not in intents:
            raise DataError(path, entry.line_of("id"), f"unknown intent {intent_id!r}: define it in a top-level file first")
        intents[intent_id].examples.extend(examples)
        intents[intent_id].keywords += keywords
        return
    if intent_id in intents:
        first = intents[intent_id]
        raise DataError(path, entry.line_of("id"), f"duplicated id {intent_id!r} (first defined at {first.path}:{first.line})")
    intents[intent_id] = Intent(
        id=intent_id,
        description=expect(entry.get("description", ""), str, path, entry.line_of("description"), "description"),
        handoff=expect(entry.get("handoff", False), bool, path, entry.line_of("handoff"), "handoff"),
        priority=expect(entry.get("priority", False), bool, path, entry.line_of("priority"), "priority"),
        keywords=keywords,
        examples=examples,
        path=path,
        line=line,
    )


def _texts(entry: LineDict, key: str, path: Path, line: int) -> list[tuple[str, int]]:
    values = entry.get(key)
    if values is None:
        return []
    expect(values, list, path, entry.line_of(key), key)
    out = []
    for i, value in enumerate(values):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        text = expect(value, str, path, values.line_of(i), f"each of {key}").strip()
        if not text:
            raise DataError(path, values.line_of(i), f"empty text in {key}")
        out.append((text, values.line_of(i) if isinstance(values, LineList) else line))
    return out
