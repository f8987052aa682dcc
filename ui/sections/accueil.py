"""The home page's paths for a teacher: the pages to open, with their settings, by class length."""

import re
from pathlib import Path

from ui.lesson import lesson_text

# A teacher's paths through the pages, by class length: (page, settings in the address, what to do there).
# Each page's minutes are those of its plan (lessons/<page>_plan.md); tests/test_app.py adds them up.
STEPS = {
    "accueil": ("pages/accueil.py", {}, "ce qu'est un autoencodeur"),
    "entrainer": ("pages/entrainer.py", {"k": "2"}, "un code de 2 face à l'ACP"),
    "espace_latent": ("pages/espace_latent.py", {}, "la carte des codes et la courbe d'erreur"),
    "debruitage": ("pages/debruitage.py", {}, "le débruiteur face à l'autoencodeur ordinaire"),
    "anomalies": ("pages/anomalies.py", {}, "repérer les intrus"),
    "generer": ("pages/generer.py", {}, "générer avec un VAE (le compromis β, lancé une fois par l'enseignant)"),
    "variantes": ("pages/variantes.py", {}, "variantes et compression (les balayages, lancés par l'enseignant)"),
    "synthese": ("pages/synthese.py", {}, "ce qu'il faut retenir"),
    "signaux": ("pages/signaux.py", {}, "des images aux signaux : un battement de cœur débruité et classé"),
    "sons": ("pages/sons.py", {}, "des sons à écouter : débruités, compressés en octets, et votre voix"),
}
CLASS_PATHS = {length: [STEPS[name] for name in names.split()] for length, names in {
    "1 heure": "accueil entrainer debruitage synthese",
    "2 heures": "accueil entrainer espace_latent debruitage anomalies synthese",
    "3 heures": "accueil entrainer espace_latent debruitage anomalies generer variantes synthese",
}.items()}
# Pages beyond the longest path (its pages fill three hours): for another session or work at home.
EXTRA_STEPS = [STEPS["signaux"], STEPS["sons"]]


def plan_minutes(target: str) -> int:
    """The minutes a page's plan gives (lessons/<page>_plan.md, « Durée : N minutes »)."""
    plan = lesson_text(f"{Path(target).stem}_plan")
    return int(re.search(r"\*\*Durée\*\*\s*:\s*(\d+)\s+minutes", plan).group(1))
