"""Redaction over the generated corpus (tests/secret_corpus.py): every secret format is replaced
exactly — the diff between the code and what is sent is the secret and nothing else — and the
look-alikes (lockfile hashes, base64 images, UUIDs in tests, long identifiers...) come back
unchanged. bench/bench_redaction.py prints the same figures with timings."""

from __future__ import annotations

import pytest

from goldcrest.privacy.detectors import PLACEHOLDER
from goldcrest.privacy.redact import redact
from lookalike_corpus import LookAlike, lookalikes
from secret_corpus import Secret, secrets

SECRETS = secrets()
LOOKALIKES = lookalikes()


@pytest.mark.parametrize("secret", SECRETS, ids=[s.what for s in SECRETS])
def test_each_secret_is_replaced_and_nothing_else(secret: Secret) -> None:
    cleaned, found = redact(secret.text, path=secret.path)
    assert secret.value not in cleaned
    placeholders = set(PLACEHOLDER.findall(cleaned))
    assert len(placeholders) == 1 and sum(found.values()) == secret.text.count(secret.value)
    # Only the secret changed: putting it back gives the original, byte for byte (the diff
    # between what the file says and what is sent is the secret and nothing else).
    assert cleaned.replace(placeholders.pop(), secret.value) == secret.text
    assert redact(cleaned, path=secret.path) == (cleaned, {})  # idempotent


@pytest.mark.parametrize("code", LOOKALIKES, ids=[c.what for c in LOOKALIKES])
def test_look_alikes_are_left_alone(code: LookAlike) -> None:
    assert redact(code.text, path=code.path) == (code.text, {})


def test_recall_and_false_positive_rate_over_the_corpus() -> None:
    assert len({s.what for s in SECRETS}) >= 150 and len(LOOKALIKES) >= 100
    missed = [s.what for s in SECRETS if s.value in redact(s.text, path=s.path)[0]]
    flagged = [c.what for c in LOOKALIKES if redact(c.text, path=c.path)[0] != c.text]
    assert missed == []  # recall 100 %
    assert len(flagged) <= 0.03 * len(LOOKALIKES)


def test_the_whole_corpus_in_one_prompt() -> None:
    """Secrets side by side in one text are found as well as one by one, and the look-alikes
    between them survive."""
    pieces = [s.text for s in SECRETS] + [c.text for c in LOOKALIKES if "test" not in c.path]
    prompt = "\n\n".join(pieces)
    cleaned, found = redact(prompt, path="settings.py")
    assert [s.what for s in SECRETS if s.value in cleaned] == []
    kept = [c.what for c in LOOKALIKES if "test" not in c.path and c.text not in cleaned]
    assert len(kept) <= 0.03 * len(LOOKALIKES)
    assert sum(found.values()) >= len(SECRETS)
