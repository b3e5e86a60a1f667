"""Where trained models and their calibration live, keyed by the intent files' hash.

Two places are searched: the package (the model of the shipped lists, so a
fresh install answers at once) and the user's cache (models trained here).
A model is only ever written whole (write, then rename), so a reader never
sees half a file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from intents.encoder import MODEL_ID, EncoderHead, EncoderStage, shared_encoder, train_head
from intents.model import FORMAT_VERSION, LinearModel
from intents.training import Progress, TrainingParams, train

PACKAGED_DIR = Path(__file__).parent / "trained"
HEAD_VERSION = "en"  # the encoder heads learn from the English phrasings only (heads of all the languages before)


@dataclass(frozen=True)
class Calibration:
    """The rejection thresholds `kefu eval --tune` chose for one set of intent files."""

    threshold: float
    oos_probability: float
    source: str = ""  # the labelled file it was tuned on
    accuracy: float = 0.0  # in-scope accuracy on that file with these thresholds
    oos_rejection: float = 0.0
    # The limits for a message read natively (in a language the lists have phrasings of, other than
    # English): its scores run lower than an English message's against the English lists. None: as above.
    native_threshold: float | None = None
    native_oos_probability: float | None = None
    native_source: str = ""
    native_accuracy: float = 0.0
    native_wrong: float = 0.0  # the share of that file's rows answered with a wrong intent


def cache_dir() -> Path:
    env = os.environ.get("KEFU_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kefu"


def model_name(digest: str, params: TrainingParams) -> str:
    return f"intents-{digest}-{params.tag}-v{FORMAT_VERSION}"


def write_atomically(path: Path, data: bytes) -> None:
    """Write a cache file so that a reader never sees half of it (another process may be reading)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def find_model(name: str) -> LinearModel | None:
    for folder in (PACKAGED_DIR, cache_dir()):
        try:
            return LinearModel.load(folder / f"{name}.npz")
        except (OSError, ValueError, KeyError):
            continue
    return None


def shipped_model() -> LinearModel | None:
    """The model shipped in the package (of the shipped lists), if this version has one."""
    for path in sorted(PACKAGED_DIR.glob(f"intents-*-v{FORMAT_VERSION}.npz")):
        try:
            return LinearModel.load(path)
        except (OSError, ValueError, KeyError):
            continue
    return None


def load_or_train(
    name: str, texts: list[str], labels: list[str], params: TrainingParams,
    previous: LinearModel | None = None, progress: Progress | None = None, english: list[bool] | None = None,
) -> LinearModel:
    """The stored model for these intent files, training (and caching) it if there is none.

    Without a `previous` model, the shipped one seeds training: a shop's edited
    copy of the shipped lists then trains in a fraction of the cold time.
    """
    model = find_model(name)
    if model is not None:
        return model
    model = train(texts, labels, params, previous=previous or shipped_model(), progress=progress, english=english)
    try:
        write_atomically(cache_dir() / f"{name}.npz", model.to_bytes())
    except OSError:  # a read-only home still works, it just trains each start
        pass
    return model


def load_or_train_encoder(
    name: str, texts: list[str], labels: list[str], classes: list[str], progress: Progress | None = None,
) -> EncoderStage:
    """The encoder stage for these intent files: the shared encoder and its cached (or newly trained) head.

    Raises EncoderUnavailable when the `encoder` extra is not installed.
    """
    encoder = shared_encoder()
    path = cache_dir() / f"{name}.encoder-{MODEL_ID}-{HEAD_VERSION}.npz"
    try:
        head = EncoderHead.load(path)
        if head.classes == classes:
            return EncoderStage(encoder, head)
    except (OSError, ValueError, KeyError):
        pass
    head = train_head(encoder, texts, labels, classes, progress)
    try:
        write_atomically(path, head.to_bytes())
    except OSError:  # a read-only home still works, it just trains each start
        pass
    return EncoderStage(encoder, head)


def load_calibration(name: str) -> Calibration | None:
    """The tuned thresholds: the user's own first, then the ones shipped with the package."""
    for folder in (cache_dir(), PACKAGED_DIR):
        try:
            data = json.loads((folder / f"{name}.calibration.json").read_text(encoding="utf-8"))
            return Calibration(**data)
        except (OSError, ValueError, TypeError):
            continue
    return None


def save_calibration(name: str, calibration: Calibration, folder: Path | None = None) -> Path:
    path = (folder or cache_dir()) / f"{name}.calibration.json"
    write_atomically(path, (json.dumps(asdict(calibration), indent=2) + "\n").encode())
    return path
