"""kefu's core: message model, pipeline, conversations, handoff, hours, language, storage, CLI, web."""

import intents  # noqa: F401  (before numpy anywhere: it sets the BLAS threads, see intents/__init__.py)
