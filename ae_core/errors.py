"""The one kind of error a learner can cause and fix.

Policy, for every layer: anything a learner's settings, files, address or network can cause raises a
`LearnerError` (or one of its subclasses: a bad run specification, checkpoint, file, unavailable
dataset, diverged training) whose message is French and says what to do. The UI shows that message
as it is. Any other exception is a bug: the UI logs it with its traceback and shows the learner a
short French message instead; no traceback ever reaches the screen.
"""


class LearnerError(ValueError):
    """Something the learner can fix; the message is French and says what to do."""


class SpecError(LearnerError):
    """A run specification (model, training, corruption, rows) that cannot be trained."""


def quote(value, limit: int = 40) -> str:
    """`value` as text for a French message, cut to `limit` characters (a hostile value can be huge)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"
