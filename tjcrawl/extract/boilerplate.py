"""Lines that are page furniture in any language: labels a page prints between or after the
paragraphs (Advertisement, Read more, Share, Topics, About the author, Sign up …).

Matched on short lines only, so a sentence that happens to contain one of these words stays.
"""

from __future__ import annotations

import re

# A whole line that is only one of these labels (a trailing colon or arrow allowed).
_LABEL_LINE_RE = re.compile(
    r"^(?:advertisement|advert|ad|anzeige|werbung|publicidad|publicité|pubblicità|publicidade|"
    r"reklama|advertentie|sponsored|"
    r"read more|read next|more|see more|show more|continue reading|mehr zum thema|"
    r"lesen sie auch|mehr lesen|lire aussi|lire la suite|leggi anche|lee también|leia também|"
    r"leia mais|baca juga|czytaj także|czytaj też|devamını oku|i̇çeriğin devamı aşağıda|"
    r"share|share this|share this article|teilen|partager|compartir|condividi|compartilhe|"
    r"udostępnij|paylaş|"
    r"topics|tags|related tags|related topics|themen|schlagwörter|etiquetas|tag|"
    r"comments|comment|kommentare|commentaires|comentarios|comentários|commenti|yorumlar|"
    r"komentarze|"
    r"about the author|über den autor|sobre o autor|sobre el autor|à propos de l'auteur|"
    r"editör hakkında|"
    r"caption|toggle caption|image caption|close|save|print|email|"
    r"follow us|folgen sie uns|suivez-nous|síguenos|siga-nos|"
    r"related|related articles|related stories|more stories|featured|trending|most popular|"
    r"recommended|you may also like|up next|watch|video player)"
    r"\s*[:：>»→.]?$"
)
# A short line that asks the reader to sign up for something (a newsletter, an app, alerts).
_CALL_LINE_RE = re.compile(
    r"^(?:sign up|subscribe|register|join|follow|download|want more|don't miss|don’t miss|"
    r"get (?:our|the latest)|jetzt abonnieren|abonnieren sie|inscrivez-vous|abonnez-vous|"
    r"suscríbete|assine|zapisz się|abone ol|simak)"
)
_CALL_OBJECT_RE = re.compile(
    r"newsletter|inbox|e-?mail|alerts|notifications|whatsapp|telegram|app\b|channel|podcast|"
    r"twitter|facebook|instagram|magazine|delivered|stories like this|kanal|abonnement"
)


def is_boilerplate_line(text: str, chars: int) -> bool:
    """Whether a body line is a label or a call to action rather than article text."""
    if chars > 160:
        return False
    lowered = text.lower().strip()
    if chars <= 40 and _LABEL_LINE_RE.match(lowered):
        return True
    return bool(_CALL_LINE_RE.match(lowered) and _CALL_OBJECT_RE.search(lowered))
