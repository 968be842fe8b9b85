"""Verb and trend vocabularies the event tables are built from: the words of a rollback, a deploy,
an intent and an action, each with a few forms per language."""

from __future__ import annotations

# The words of a rollback; ROLLBACK_VERB adds the phrases returning to what ran before. The decision
# table's negation and choice slots read only the words (they are tried at every word start).
ROLLBACK_WORD = (
    # Misspelt as typed in a hurry ("rolbak", "rollbak"), like the spelling it stands for.
    r"rol{1,2}(?:ing|in|ed|s)?\s?-?ba(?:ck|k)|rol{1,2}ba(?:ck|k)s?|revert(?:ing|ed|s)?|(?:un-?do(?:ing)?|un-?did) (?:the |that |"
    r"this |last |latest |previous |my |our ){0,3}(?:[\w-]{1,20}'s )?(?:[\w-]{1,20} )?(?:deploy\w*|release|rollout|change|merge|commit|"
    r"upgrade|flag|flip|toggle|config|patch|migration|bump|push|hotfix|update)|"
    # The verb split around its object: "rolled prod back to …", "roll it back".
    r"rol{1,2}(?:ed|ing|s)? (?:[\w.-]{1,30} ){1,2}?back\b(?! up| in| on| from| then)|"
    r"(?<![\w./])rb(?:'?d|'?ing)?(?![\w-])|back(?:ing|"
    r"ed)? out|zurückgerollt|zurückrollen|zurücksetzen|zurückgesetzt|roll(?:e|en|t|te|ten) (?:[\w.-]+ ){0,3}?zurück|"
    # Undoing a deploy or change in ES/PT/FR/DE ("desfazendo o deploy", "on annule le déploiement").
    r"(?:desfaz\w*|desfiz\w*|deshac\w*|deshic\w*|annul\w*)\b.{0,20}?\b(?:deploy\w*|despliegue|déploiement|release|"
    r"mise en prod|cambio|mudança|changement|config\w*)|(?:deploy\w*|änderung|release) (?:\w+ ){0,2}rückgängig|revertimos|revertir|revirtiendo|revertido|reverter|"
    r"revertendo|revertemos|retour arrière|on revient|restor(?:e|ed|ing) (?:the )?(?:previous|prior|old|last known good|"
    r"last good)|downgrad(?:e|ing|ed)|reviens|revenons"
)
ROLLBACK_VERB = (
    ROLLBACK_WORD + r"|"
    # Returning to the artefact that ran before ("going back to the previous image"), and its ES/PT/FR/DE forms.
    r"(?:(?:go(?:ing|es)?|went|back|switch(?:ing|ed)?|swap(?:ping|ped)?|pinn?(?:ing|ed)?|return(?:ing|ed)?|revert\w*) (?:back )?to|"
    r"reinstat(?:e|ed|ing)|put back|brought back|bring(?:ing)? back) (?:the |our )?"
    r"(?:previous|prior|old|older|earlier|last (?:known[- ])?good|last stable|last working) (?:[\w.-]{1,30} ){0,2}?(?:image|version|release|build|"
    r"tag|deploy\w*|config\w*|revision|chart|container|artifact|binary)|"
    r"(?:volv\w*|volt(?:ando|amos|ar|ei|ou)|revenir|retour|zurück|repass\w*)\b.{0,20}?\b(?:versión|versão|version|imagen|"
    r"imagem|image|release) (?:anterior|précédente|vorherigen?|alten?|previa)|(?:a la|para a|à la|sur la|sur l'|zur) ?"
    r"(?:versión|versão|version|imagen|imagem|image|release|build) (?:anterior|précédente|previa|vorherigen)|"
    r"auf (?:die |das |den )?(?:alte|vorherige|letzte stabile|letzte gute|letzte)n? (?:version|image|release|build)|"
    # Returning to a version named by its number: "revenir sur la 2.3", "volviendo a la 4.1.0".
    r"(?:revenir|revenons|reviens|volv\w*|volt\w*|zurück\w*) (?:sur|à|a|en|para|pra|auf) (?:la |a |die |version |versión |"
    r"versão )?v?\d{1,4}\.\d"
)
DEPLOY_VERB = (
    r"deploy(?:ing|ed|ment)?|deployd|deplyed|depolyed|dark-?launch(?:ed|ing)?|redeploy(?:ing|ed)?|re-deploy(?:ing|ed)?|ship(?:ping|ped)?|releas(?:e|ing|ed)|"
    r"promot(?:e|ing|ed)|roll(?:ing|ed)? out|rollout|rolled forward|push(?:ing|ed)? (?:the |a |out |our |my )?(?:new |updated |latest )?(?:fix|hotfix|patch|"
    r"config|change|release|build|image)|hotfix|config change|feature flag|toggl(?:e|ed|ing)|flipp(?:ed|ing)|"
    r"sync(?:ed|ing)|upgrad(?:e|ing|ed)|desplegando|desplegado|despliegue|desplegamos|implantando|implantado|"
    r"déploiement|déployé|déploie|déployons|ausgerollt|ausrollen|deployt|deployen|fazendo deploy|subiendo|subindo|subimos|"
    r"mise en prod|desplegar|patch(?:ed|ing)|hot-?patch(?:ed|ing)?|desplegu[ée]|desplegad[oa]s?|déployée?s?|implant(?:ei|amos|ada)|"
    r"ausgeliefert|live geschaltet|subi[óu]|subi(?= (?:a|o|as|os|la|el) )"
)
FUTURE = (
    r"let'?s|lets|we'?ll|we will|we are going to|we'?re going to|we should|we need to|we must|we plan to|"
    r"we'?re gonna|going to|gonna|plan is|plan:|the plan|next step|decision|decided|we'?ve decided|agreed to|"
    r"proceed|go ahead|green ?light|approved|i'?d rather|we'?d rather|we'?d better|better to|going with|go with|going w/|go w/|opting for|"
    r"i'?ll|i will|wir werden|lass uns|wir machen(?! gerade)|vamos a|vamos|on va|"
    r"nous allons|vou|vamos fazer|decidimos|hemos decidido|on a décidé|nous avons décidé|wir haben entschieden|"
    r"entschieden|on doit|il faut|wir müssen|wir sollten|tenemos que|hay que|temos que|precisamos"
)
ACTION = (
    rf"{ROLLBACK_VERB}|{DEPLOY_VERB}|fail ?over|failover|fix[ -]forward|roll(?:ing)? forward|scale|"
    r"restart|drain|disable|enable|flip|push|page|escalate|patch|bump|block|rate.?limit|shed|hold|wait|freeze|"
    r"pause|cut ?over|switch|redirect|route|keep (?:the )?\w+ (?:off|on|disabled|enabled)|leave|"
    r"get \w+ (?:on|onto|into) (?:the )?(?:bridge|call|war ?room|huddle)|"
    # A few verbs per language after "on va", "vamos a", "wir werden" (rollback forms are in ROLLBACK_VERB).
    r"bascul\w*|redémarr\w*|revenir|d[ée]ployer|red[ée]ployer|geler|umschalten|umstellen|neu starten|einfrieren|"
    r"desplegar|reiniciar|volver|congelar|voltar|pausar|trocar|cambiar"
)
# A conditional plan may also close or downgrade ("if it stays flat we can call it resolved"), or
# offer to take a role ("I'll take IC if nobody else does": an offer on a condition, not a claim).
COND_ACTION = (
    ACTION + r"|call (?:it|this)|close|resolve|mark|downgrade|declare|stand down|"
    r"(?:take|be|do|run|cover|handle|grab)(?: over)?(?: as)? (?:the )?(?:ic|incident commander|incident command|command|"
    r"comms|communications|point|lead|scribe|pager)"
)

# A level reported with its trend turning down is a recovery, not an alert ("errors at 2% and dropping").
TREND_DOWN = r"(?:dropping|falling|decreasing|recovering|going down|improving)"
FALLING = r"(?:at|to) [\d.,]{1,8} ?[a-z%]{0,3},? and (?:still )?" + TREND_DOWN + r"\b"
NOT_FALLING = r"(?![\d.,]{0,8} ?[a-z%]{0,3},? and (?:still )?" + TREND_DOWN + ")"
