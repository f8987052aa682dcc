"""The synthesis page's links: each point of the course, and the page and settings where the learner saw it."""

# (what the learner saw, page, its settings in the address, the control to look at)
SEEN = [
    ("Il résume mieux que l'ACP à taille égale", "pages/entrainer.py", {"k": "2"},
     "code de 2, encadré « Résultat »"),
    ("L'ACP suffit quand le code n'est pas petit devant l'image", "pages/entrainer.py", {"k": "32"},
     "code de 32 sur « Chiffres »"),
    ("Il apprend par cœur quand il a peu d'images", "pages/entrainer.py", {"ni": "50"},
     "« Images d'entraînement » : 50, les deux courbes de perte"),
    ("Ses codes, appris sans étiquettes, aident un classifieur", "pages/entrainer.py", {},
     "« Mesurer avec 100 étiquettes », après l'entraînement"),
    ("Il déroule une surface courbe que l'ACP écrase", "pages/espace_latent.py", {},
     "« Données non linéaires en 3D »"),
    ("Un autoencodeur ordinaire recopie le bruit, un débruiteur l'enlève", "pages/debruitage.py", {"n": "0.5"},
     "niveau de bruit = 0,5, les deux autoencodeurs"),
    ("Son erreur de reconstruction repère les intrus", "pages/anomalies.py", {"p": "5"},
     "histogramme des scores, « Anomalies manquées »"),
    ("Son espace latent n'a pas de structure", "pages/generer.py", {"k": "2"},
     "« Tirer au hasard » : l'autoencodeur tiré dans N(0, I)"),
    ("Le VAE paie sa régularité en flou", "pages/generer.py", {"beta": "4"},
     "β = 4, reconstructions et tirages"),
    ("La qualité se paie en octets", "pages/variantes.py", {"v": "vq"},
     "compression : octets contre qualité, face au JPEG"),
]
