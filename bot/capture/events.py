"""Phrase tables for the eight event kinds, in CONTRACT.md's order (first match wins)."""

from __future__ import annotations

import re

from bot.capture.regex_factor import factored
from bot.capture.verbs import (
    ACTION,
    COND_ACTION,
    DEPLOY_VERB,
    FALLING,
    FUTURE,
    NOT_FALLING,
    ROLLBACK_VERB,
    ROLLBACK_WORD,
)

# --- event rules, in contract order ----------------------------------------------------------

RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "decision",
        factored(
            # An action ruled out is a call ("we won't roll back", "rolling back isn't an option").
            r"\b(?:won'?t|wont|can'?t|cannot|shouldn'?t|not going to|no need to)\s(?:\w+\s){0,3}(?:"
            + ROLLBACK_WORD
            + r"|deploy\w*|releas\w*|ship\w*|fail ?over|failover|restart\w*|page|escalat\w*)\b|"
            # One branch for everything said of a named course of action (one descent into the verb
            # alternation per word): ruled out ("rolling back isn't an option"), chosen ("rollback it
            # is"), approved ("rollback approved").
            r"\b(?:"
            + ROLLBACK_WORD
            + r"|deploy\w*|releas\w*|ship\w*|promot\w*|fail ?over|failover|fix forward|change|plan|hotfix)\b"
            r"(?: it is\b| is the (?:call|plan|decision|move)\b|\s(?:is\s)?(?:approved|green-?lit|signed off)\b|.{0,20}?\b(?:isn'?t|is not|not|no longer) "
            r"(?:really )?(?:an? )?(?:option|possible|happening|needed|required|necessary)\b)|"
            r"\b(?:off the table|ruled out)\b|\bcalling it:(?! (?:the )?(?:incident|inc\S*|it|this|outage)(?: is)? (?:over|resolved|closed|done)\b)|\blet'?s not\b|\b(?:don'?t|do not|dont)\s(?:\w+\s){0,2}clos\w*|"
            # A conditional plan: "if the canary is clean we promote, otherwise abort".
            r"\b(?:if|once|unless|wenn|falls|si)\b.{0,80}?\b(?:we|we'?ll|i'?ll|i can|i could|then|otherwise|else)\s(?:\w+\s){0,2}?"
            r"(?:" + COND_ACTION + r"|abort)\b|"
            # The same plan with its condition after it: "we can close this once the ticket is resolved".
            r"\b(?:(?:we|i)(?:'ll| will| can| could| should| may| might)|(?:happy|glad|willing|ready) to|"
            r"i (?:don'?t|do not) mind) (?:\w+ )?(?:" + COND_ACTION + r")\b"
            r".{0,50}?\b(?:once|when|after|as soon as|if|unless|until) |"
            # Hindi-English holds and plans, the verb after its object: "abhi deploy mat karo",
            # "rollback karte hain" (let's roll back).
            r"\b(?:deploy|rollback|release|merge|push|restart|failover)\w* (?:\w+ )?(?:(?:mat|nahi|na) kar\w*|"
            r"karte hain|karenge|kar lete hain)|"
            r"^decision\b|\bdecision:|\b(?:don'?t|do not|dont|no|not|aren'?t|isn'?t|never|nobody|no one|noone|stop|"
            r"hold(?:ing)? off(?: on)?|halt|nicht|kein|no vamos|pas de|não|nao)\s"
            r"(?:\w+\s){0,3}(?:" + ROLLBACK_WORD + r"|deploy\w*|merg\w*|releas\w*|ship\w*|changes|push\w*|"
            r"restart\w*|fail ?over|failover|scal(?:e|ing)|drain\w*|touch\w*|delet\w*|page|escalat\w*|despleg\w*|"
            r"d[ée]ploy\w*|red[ée]ploy\w*|d[ée]ploi\w*|red[ée]ploi\w*|ausroll\w*)\b|"
            r"\bne (?:\w+ ){0,2}?(?:re)?d[ée]ploi\w* (?:pas|plus|rien)\b|"
            # Permission given or a freeze lifted is a call too: "it's now ok to deploy again".
            r"\b(?:ok|okay|safe|clear|cleared|free|allowed) to (?:re)?(?:deploy|ship|release|merge|roll ?back|revert|promote)\b|"
            r"\bfreeze (?:is |has been )?(?:lifted|over)\b|\bunfreez\w*|"
            # A switch-over announced as it starts: "failing over to us-east-2", "on bascule le trafic".
            r"\b(?:failing over|we fail over|on bascule|nous basculons|wir wechseln|wir schalten (?:\w+ )?um|cambiamos a|"
            r"estamos cambiando|trocamos para|estamos trocando)\b|"
            r"\b(?:code|deploy|change|release|merge) freeze\b|\bfreez(?:e|ing) (?:all |any |the |our )?(?:[\w-]+ ){0,3}?(?:deploys|deployments|merges|"
            r"changes|config\w*|releases)\b|"
            # A preference in the conditional ("tbh I'd just roll back") and a fallback ("worst case we roll back").
            r"\b(?:i'?d|we'?d) (?:just |probably |definitely |honestly )?(?:roll ?back|revert|deploy|ship|fail ?over|restart|"
            r"hold|wait|pause|page|escalate|scale|drain|disable|enable)\b|\b(?:worst case|if (?:needed|necessary|all else fails|"
            r"that fails|it gets worse)|as a fallback|fallback(?: plan)?(?: is)?|plan b)\b.{0,40}?\b(?:"
            + ACTION
            + r")|\b(?:hold(?:ing)?|paus(?:e|ing)|block(?:ing)?|halt(?:ing)?|suspend(?:ing)?) (?:all |the |any |our |this )?"
            r"(?:deploy|deployment|release|merge|change|rollout|rollback)s?\b|"
            r"\b(?:deploys|deployments|releases|merges|changes) (?:are |stay )?(?:now )?(?:paused|frozen|on hold|blocked|"
            r"halted|suspended)\b|"
            r"\b(?:" + FUTURE + r")(?!\w).{0,50}?\b(?:" + ACTION + r")|"
            r"\b(?:if|wenn|falls|si|caso|quand|sobald|se (?=(?:o|a|os|as|el|la|los|las)\s))\b.{0,80}\b(?:"
            + ROLLBACK_WORD
            + r"|fail ?over|page|escalate)\b|"
            r"\b(?:" + ROLLBACK_WORD + r"|fail ?over)\b.{0,30}?\b(?:if|unless|when|wenn|falls|sofern|si)\s|"
            r"\b(?:sev|p) ?-?\d ?(?:->|→|=>) ?(?:sev|p) ?-?\d\b|"
            r"\bsev(?:erity)? ?-?\d? (?:is |has been |was )?(?:lowered|raised|bumped|downgraded|upgraded|reduced|"
            r"increased|changed|moved|dropped|set)\b|"
            r"\b(?:bump(?:ing|ed)?|upgrad(?:e|ing|ed)|downgrad(?:e|ing|ed)|rais(?:e|ing|ed)|lower(?:ing|ed)?|"
            r"escalat(?:e|ing|ed)|moving|mov(?:e|ed)|declar(?:e|ing|ed)|calling (?:it|this)(?!:)|"
            # ES/PT/FR/DE: "vamos a escalar a sev1", "on passe en sev1", "wir eskalieren auf sev1".
            r"escal(?:ar|amos|ando|ade|ons|er)|eskalier\w*|pass(?:e|ons|er) en|sub(?:ir|imos|imos a)|baj(?:ar|amos)|"
            r"hochgestuft|herabgestuft|runtergestuft|"
            r"this is (?:now )?(?:a|an))\b.{0,25}\b(?:sev ?-?\d|p[0-4]\b|severity|major incident|incident)|"
            r"\bseverity (?:is )?(?:now |set to |to )?(?:sev|p\d|high|critical|major)|\b(?:paging|page|pinging|"
            r"looping in|loop in|escalating to|escalate to|pulling in|bringing in|calling in)\b.{0,30}\b(?:team|"
            r"on-?call|dba|db|network\w*|security|infra|platform|sre|netops|@\w|them|him|her|folks|people|owners?|"
            r"vendor|support)|\b(?:get|getting|pull|pulling|bring|bringing) (?:\w+ ){1,2}(?:on|onto|into) (?:the )?"
            r"(?:bridge|call|war ?room|huddle)\b|\b(?:declar(?:e|ing|ed)|open(?:ing|"
            r"ed)?|spinning up)\b.{0,20}\b(?:an? )?(?:incident|sev ?-?\d|major incident)\b|\b(?:sev ?-?\d|p[0-4]|"
            r"major incident|incident) (?:is |has been )?(?:declared|opened)\b|\b(?:fix(?:ing)?[ -]forward|"
            r"roll(?:ing)? forward|forward[- ]fix)\b"
        ),
    ),
    (
        "rollback",
        factored(
            r"\b(?:"
            + ROLLBACK_VERB
            + r")|\b(?:back|again) (?:on|to) (?:version |release )?v?\d{1,6}\.\d(?![\d.]*\s?%)|"
            r"\b(?:are|is|'re|back) (?:now |back )?(?:on|running) (?:the )?(?:previous|prior|old|older|last (?:known[- ])?good|"
            r"last stable) (?:image|version|release|build|tag|revision|config)\b|"
            # A canary or rollout pulled back: "taking the canary down to 0%", "aborting the canary".
            r"\b(?:canary|rollout)\b.{0,20}?\b(?:back |down )?to 0 ?%|\b(?:abort|pull|kill)(?:ing|ed)? (?:the )?(?:canary|rollout)\b"
        ),
    ),
    (
        "deploy",
        factored(
            # A version sent to an environment ("notifications 1.9.0 → prod"), a change record's state,
            # a canary's share, a deploy's own checks.
            r"(?<=\d) ?(?:→|->|=>) ?(?:prod|production|staging|stg|canary)\b|"
            r"\b(?:dep|chg)-\d{1,9}\b.{0,12}?\b(?:started|running|in progress|done|complete\w*|finished|"
            r"succeeded|failed|out)\b|\bcanary\b.{0,40}?\b(?:at|to) \d{1,3} ?%|"
            r"\b(?:post-deploy|deploy|smoke) (?:checks?|tests?|verification)\b (?:are |is )?(?:green|passed|passing|"
            r"ok|failed|red)\b|"
            r"\b(?:" + DEPLOY_VERB + r")\b|\b(?:is|are|now|we'?re|it'?s) live\b|\bgoing out\b|"
            # A sync reported with its state: "Sync of payments-api to revision abc1234 succeeded".
            r"\bsync (?:operation )?(?:of|for) [\w.-]{1,60}(?: to (?:revision |rev |commit )?[\w.-]{1,40})? "
            r"(?:started|succeeded|failed|completed|finished|is running|in progress)\b|"
            r"\bcanary (?:is )?(?:at|to|now at) \d{1,3} ?%|\b(?:is|are) (?:now )?(?:in|on|out (?:in|on|to)|"
            r"out on|live (?:in|on)) (?:prod|production|staging|stg|canary)\b|\b(?:fix|hotfix|patch|build|"
            r"release|change) (?:is|are) out\b|(?:(?<=\.\d)|(?<=\.\d\d)) (?:is|are) (?:now )?out\b(?! of)|\b(?:is|are|was|been|being) (?:being )?appl(?:ied|ying)\b|"
            r"\bappl(?:ied|ying) (?:the |a |my |our )?(?:change|config|patch|fix|manifest|terraform|migration)|"
            r"\b(?:bump(?:ed|ing)|increas(?:ed|ing)|decreas(?:ed|ing)|rais(?:ed|ing)|lower(?:ed|ing)|scal(?:ed|"
            r"ing)|set|changed|chang(?:ing)|reduc(?:ed|ing)|doubl(?:ed|ing))\b.{0,30}\b(?:replicas?|"
            r"replica count|pods|(?:memory|cpu) limits?|limits|pool size|connection pool|timeouts?|"
            r"max_?connections|workers|instances|capacity|rate limits?|hpa|autoscal\w*|node ?pools?|nodes)\b|"
            r"\bturn(?:ed|ing)? (?:on|off)\b.{0,40}\b(?:flag|toggle|feature)\b|\b(?:enabl|disabl)(?:ed|ing)\b.{0,40}"
            r"\b(?:flag|toggle|kill ?-?switch)\b|\b(?:flag|toggle)\b.{0,40}\b(?:to|at|for) \d{1,3} ?%|"
            # Stated as a result: where it went ("pushed notifications 3.4.0 to staging", "is out to 100%"),
            # a flag's state ("turned the widget off via flag"), "já está em produção".
            r"\bpush(?:ed|ing)? (?:\S+ ){0,3}?to (?:prod|production|staging|stg|canary|preprod|\d{1,3} ?%)(?![\w-])|"
            r"\b(?:is|are|now|it'?s|went|gone|goes) (?:now )?out (?:to|for|on|in) (?:\d{1,3} ?%|(?:all|everyone|every|"
            r"the fleet|prod|production|staging|stg|canary)\b)|"
            # A version moved in an environment; a commit's "Bump lodash to 4.17.21" names none.
            r"\b(?:bump|mov)(?:ed|ing) (?:[\w-]{1,30} ){1,2}to v?\d{1,4}\.[\w.-]{1,20} (?:in|on) (?:prod|production|staging|"
            r"stg|canary)\b|"
            r"\b(?:\w{2,}ed|off|on|dark) (?:via|with|behind|using|through|by) (?:the |a |its )?(?:feature[- ])?"
            r"(?:flag|toggle|kill ?-?switch)\b|\bturn(?:ed|ing)? (?:[\w-]{1,30} ){1,4}?(?:on|off) (?:via|with|behind|"
            r"using|through) (?:the |a )?(?:feature[- ])?(?:flag|toggle)|"
            r"\b(?:está|esta|estão|están|est|sont|ist|sind|läuft) (?:(?:já|ya|déjà|jetzt|schon|agora|ahora|bereits) )?"
            r"(?:em|en|in|no|na) (?:produ[cç][ãa]o|producción|produktion|prod|production)\b|"
            r"\b(?:foi|subiu|entrou|está|esta) (?:pro|para o|no) ar\b|\bsali[óo] a (?:producción|prod)\b|"
            r"\b(?:new|canary|green|blue)\b.{0,40}?\b(?:serving|taking|receiving|getting|gets) (?:\d{1,3} ?%|all) (?:of )?(?:the )?"
            r"(?:traffic|requests|users)\b|"
            r"\b(?:is|are) now (?:on|running) v?\d{1,4}\.\d|\b(?:is|are) (?:on|running) v?\d{1,4}\.\d[\w.-]{0,20} now\b|"
            r"\b(?:foi|fue|ging) (?:para |a |en |in )?(?:a |la )?(?:produ[cç][ãa]o|producción|produktion|prod|live)\b"
        ),
    ),
    (
        "ack",
        factored(
            # Taking the work ("taking this one"), and Hindi-English "main dekh raha hoon".
            r"\bpick(?:ing|ed)? (?:this|it|that)(?: one)? up\b|\b(?:will|let me|lemme|gonna) (?:take a look|have a look|"
            r"look|check|dig)\b|\b(?:taking|grabbing|claiming) (?:this|it|that)(?: one)?\b(?! (?:to|offline|off|back|out|as|into|over)\b)|"
            r"^(?::[\w+-]{1,30}: ?|[^\w\s]{1,4} ?)?mine[.!]?$|\b(?:i'?ll|i will|i) own (?:this|it)\b|\b(?:i'?ll drive|i'?m driving)(?:[,;.!]|$| this| it)|\bowning (?:this|it)\b|"
            # An "ack" clause inside a line ("sry on phone, ack, laptop in 10"), arriving ("laptop in 10",
            # "I'm here, starting to look").
            r"[,;.!] (?:ack|acked|ack'?d|acking)(?:[,;.!]|$)|\b(?:laptop|online|at (?:my |a )?(?:desk|keyboard|computer)) "
            r"in \d{1,2}(?: ?(?:m|min|mins|minutes))?(?:[,;.!]|$)|\b(?:omw|on my way)(?:[,;.!]|$| to (?:a |my |the )?(?:laptop|desk|computer|keyboard))|"
            r"\b(?:going|digging|combing|looking|reading|paging) through (?:the )?(?:logs|traces|dashboards|metrics|graphs)\b|\bi'?m here(?:[,.!]|$)|\bstarting to (?:look|dig|investigate|check)\b|"
            r"\b(?:übernehme|übernommen)\b|\b(?:dekh|check|investigate) (?:kar )?(?:raha|rahi|rahe) (?:hoon|hu|hun|hai|hain)\b|\bdekhta (?:hoon|hu|hun)\b|"
            # A status label typed by hand: "status: investigating".
            r"\bstatus(?: is)?:? (?:now )?investigating\b|"
            r"^(?:@\S+\s+)?(?:ack|ack'?d|acked|acking|acknowledged|acknowledging|ack'ing|roger|copy)\b|"
            # "closing in on it" / "zeroing in on it" is progress, not someone taking the work.
            r"\backnowledg(?:ed|ing)\b|\back(?:ed)? (?:the |this )?(?:page|alert|incident)\b|\b(?:on it(?<!eye on it)"
            r"(?<!work on it)(?<!sleep on it)(?<! in on it)(?<!comment on it)(?<!click on it)(?<!based on it)(?<!put on it)|"
            # "still investigating" reports work under way, not a responder taking it.
            r"i'?m on it|onit|looking(?<!still looking)(?! (?:good|better|great|fine|ok|okay|bad|worse|forward))|taking a look|"
            r"having a look|i'?ll (?:take|grab|look|check|dig|handle|own)|i'?ve got (?:it|"
            r"this)|got this|investigating(?<!still investigating)|digging in|digging into|checking(?<!still checking)|joining|hopping on|jumping on|"
            r"(?:bin|schon) dran|on the case|en eso|schaue? (?:(?:ich|mir|das|es) ){0,3}an|ich schau|ich kümmere mich|estoy en ello|lo miro|"
            r"me encargo|mirando|(?<!no )lo veo|lo reviso|je regarde|je m'en occupe|je m'en charge|je suis dessus|je prends|"
            r"(?:tô|to|estou|estoy|toy) (?:olhando|mirando|revisando|checando|verificando)|(?:tô|to|estou) vendo|vou olhar|vou dar uma olhada|vou verificar|deixa comigo|"
            r"eu pego|investigando|untersuche|revisando|verificando|checando|lo tomo|yo tomo|tomo (?:este|esto|esta)|"
            r"ich nehme (?:das|es|ihn)|ich guck\w*)\b|\b(?:ic|incident commander)\s(?:here|now|is\b|taking over)|"
            r"\b(?:i have|i'?ve got|i got|i'?ll take|taking|i'?m holding|i hold) the pager\b|\bi (?:can|"
            r"could) take (?:this|it)\b|\byou'?re (?:the )?(?:ic|incident commander)\b|\b(?:i'?m|"
            r"i am) on (?:comms|point)\b|\b(?:i'?ve got|i got|i have) (?:comms|communications|point|ic|scribe|notes)\b|"
            r"^(?:i'?m |we'?re )?(?:on|in|joined|joining) the (?:bridge|call|war ?room|huddle)\b|\b(?:taking|i'?ll take|i'?ll do|i'?ll handle|handling) (?:comms|"
            r"communications|point|the lead|lead|ownership|scribe)\b|\b(?:taking|take|i'?ll be|i am|i'?m)(?: the|"
            r" over as| over)? (?:ic|incident commander)\b|\b(?:hand(?:ing)?|pass(?:ing)?)(?: over| off)? (?:ic|"
            r"incident command|command|the pager)\b|\b(?:is|as) (?:now )?(?:the )?(?:ic|incident commander)\b|"
            r"\b(?:the )?ic is (?:now )?@?\w|^ic: \S|\bnew ic\b|\bic (?:from now|now)\b"
        ),
    ),
    (
        "alert_firing",
        factored(
            # An alert announced ("Sentry alert: …", "new alert: KafkaConsumerLag …", "getting SLO burn
            # alerts", "paged me"), a check or monitor failing, and "alert fire ho raha hai".
            r"^(?:\w+ )?(?:new |another )?(?:alert|alarm|page)s?: \S|\bgetting (?:\w+ ){0,3}?(?:alerts|pages|alarms)\b|"
            # Relayed from a tool or the alerts channel: "Sentry is blowing up with …", "disk full alert on
            # db-03 again", "error rate on payments crossed 5%".
            r"\b(?:sentry|datadog|pagerduty|pager|opsgenie|grafana|new ?relic|honeybadger|rollbar|bugsnag|alerts?|alarms?|"
            r"monitors?|dashboards?|phones?|#[\w-]{0,40}alert[\w-]{0,40})\b.{0,20}?\b(?:blowing up|blew up|lighting up|"
            r"lit up(?! green)|screaming|going (?:crazy|nuts|wild)|freaking out|spamming|exploding|popping off)\b|"
            r"\b(?:alert|alarm|page|monitor)s? (?:on|for) [\w.-]{1,40} (?:again|firing|just now|now)\b|"
            r"\b(?:alert|alarm)s? (?:on [\w.-]{1,40} )?(?:is |are )?(?:back(?! to| up| under| below| down| in)|lit(?: up)?|"
            r"re-?fir\w*|re-?trigger\w*)(?: again)?\b(?! green)|"
            r"\b(?:devolviendo|devuelve|retornando|retorna|renvoie|renvoient|liefert|wirft) (?:\w+ )?(?:5\d\d|5xx|errores|erros|"
            r"erreurs|fehler)|"
            r"\bstill (?:some|getting|throwing|returning|serving) (?:5\d\ds?|5xxs?|errors?|timeouts?)\b|"
            r"\b(?:at|to|over) [\d.,]{1,8} ?[a-z%]{0,3} and (?:still )?(?:climbing|rising|growing|increasing)\b|"
            # Failing in progress, said bare ("checkout 500ing", "api timing out for half the requests").
            r"\b(?:timing out|erroring|crash-?looping|crashing|oom-?ing|oomkilled|5\d\d-?ing|5xx-?ing)\b"
            r"(?<!stopped timing out)(?<!not timing out)(?<!longer timing out)(?<!stopped crashing)(?<!not crashing)"
            r"(?<!longer crashing)(?<!stopped erroring)(?<!not erroring)(?<!longer erroring)|"
            r"\b(?:getting|being|got|been) (?:hammered|flooded|slammed|swamped|buried|hit hard) (?:with|by)\b|"
            r"\b(?:is|are) (?:super |really |very |extremely |painfully |crazy )?(?:slow|sluggish|unusable|broken|flaky)"
            r"(?= (?:for (?:every|all|most|many|some|users|customers)|right now|everywhere|across))|"
            r"\b(?:users|customers|clients|merchants|people)\b (?:are |keep |have been |started )?(?:complaining|reporting|"
            r"tweeting|writing in|opening tickets|calling support)\b|"
            r"\b(?:pagerduty|pager|opsgenie|pd|phone)\b.{0,10}?\b(?:woke (?:me|us)|rang|buzz(?:ed|ing)|called me)\b|"
            r"\balarm\w* (?:[\w.-]+ ){0,5}?(?:feuert|schlägt an|ist rot|ausgelöst|angegangen|losgegangen)\b|\balert\w* (?:[\w'.-]+ ){0,3}?"
            r"(?:activ[ao]|disparando|déclench\w*|"
            r"disparou|en cours|feuert|sonne|sonnent|suena|suenan|klingelt)\b|"
            r"\bdown (?:hai|hain|ho gaya|ho gayi)\b|\bpaged (?:me|us)\b|\b(?:is|are) alerting\b|\balerts? fire\b|\b(?:alert|alarm|pager|monitor)s?\b.{0,40}?\b(?:going|went|goes) off\b|"
            r"\b(?:synthetics?|health ?checks?|probes?|uptime checks?|monitors?|checks)\b.{0,40}?\b(?:failing|failed|"
            r"down|erroring|timing out|went red|turned red|is red|are red)\b|\b(?:went|turned) red\b|"
            r"\b(?:salta|saltó|dispar[óo]u?|disparada|se déclenche|déclenchée)\b.{0,30}?\balert\w*|"
            r"\balert\w* (?:\w+ ){0,3}?(?:salta|saltó|dispar[óo]u?|disparada|se déclenche|déclenchée)\b|"
            r"\balerts? (?:is |are |just )?(?:fir(?:ing|ed)|went off|going off|triggered|tripped)|\b(?:fir(?:ing|"
            r"ed)|triggered) alert|\bgot paged|\bgetting paged|\bwe'?re paged|\bpaged (?:for|about)|"
            r"\bpagerduty (?:is )?(?:going off|fired)|"
            r"(?<!rate )(?<!errors )(?<!latency )(?<!5xx )(?<!traffic )(?<!load )\b(?:is|are) (?:completely |"
            r"totally |hard )?(?:down\b(?!\s{0,2}(?:to|by|\d))|failing(?! over)|erroring|on fire|unreachable|timing out|"
            r"throwing)|\b(?:error rate|errors|5xx|latency|cpu|memory|p99|p95|disk|queue|lag)s?(?: rate)? (?:is |"
            r"are )?(?:spik(?:ing|ed)|through the roof|climbing|elevated|up to|at [1-9]"
            + NOT_FALLING
            + r")|\bspike in\b|\boutage\b(?! (?:is|was|has) (?:now )?(?:over|ended|resolved))|"
            r"\balarms? (?:is |are )?(?:fir|went|going)|\b(?:returning|throwing|serving) (?:5\d\d|5xx|errors?|"
            r"timeouts?)|\bgot (?:an |a |the )?(?:alert|page|alarm)\b|\bpaging (?:again |still )?(?:for|about)\b|"
            r"\b(?:error rate|errors|5xx|latency|cpu|memory|p99|p95|disk|queue|lag|timeouts)s?(?: rate)? (?:has |"
            r"have )?(?:jump(?:ed|ing)|went up|increas(?:ed|ing)|ris(?:ing|en)|rose|doubl(?:ed|ing)|"
            r"at \d{2,3} ?%"
            + NOT_FALLING
            + r")|\b(?:not|isn'?t|aren'?t|won'?t) (?:loading|working|responding|reachable|"
            r"available)\b|\bcan'?t (?:log ?in|check ?out|connect|load|pay|reach)\b|est(?:á|a) ca[íi]d[oa]|"
            r"est en panne|\bcaiu\b|fora do ar|ist (?:komplett )?down|alarm ausgelöst|"
            r"\b(?:error rate|errors|5xx|latency|cpu|memory|mem|p99|p95|p50|disk|queue(?: depth)?|lag|load|heap|"
            r"connections)(?: rate)?(?: (?:on|for|in|of) (?:the )?[\w./-]{1,30})? (?:is |are |has |have |just )?(?:spik\w+|"
            r"went through the roof|through the roof|off the charts|climbing|skyrocket\w*|pegged|pinned|saturated|maxed|jump\w*|"
            r"at \d{2,3} ?%"
            + NOT_FALLING
            + r"|up to \d|(?:crossed|crossing|exceed\w*|breach\w*|above|over|hit|hitting|past) \d)|"
            r"\b(?:just |still |now )?(?<!stopped )(?<!no longer )(?<!not )(?<!never )"
            r"(?:fir(?:ing|ed)|triggered|tripped)\b(?! up\b)|\bfailing for (?:all|every|most|many|some|\d)|"
            r"\bne (?:répond|marche|fonctionne|charge) (?:plus|pas)\b|\bno (?:carga|funciona|responde)\b|"
            r"\bnão (?:carrega|funciona|responde)\b|\b(?:geht|funktioniert|lädt) (?:gar )?nicht(?: mehr)?\b|"
            r"\bnicht (?:mehr )?erreichbar\b|"
            # A responder relaying what they see: "I'm seeing 5xx on checkout-api", "customers are seeing
            # timeouts" (not "seeing errors drop", and a question or hedge never gets this far).
            # Literal first, who says it checked behind: `re` rejects most positions on one character.
            r"\bseeing(?:(?<=^seeing)|(?<=i'm seeing)|(?<=im seeing)|(?<=i am seeing)|(?<=we're seeing)|"
            r"(?<=we are seeing)|(?<= are seeing)|(?<=still seeing)|(?<=also seeing)|(?<=now seeing)|"
            r"(?<=users seeing)|(?<=customers seeing)) (?:a (?:lot|bunch|ton|wall|flood|burst|wave|stream|storm) of |lots of |tons of |loads of |many |some |more |a few |"
            r"(?:a )?spikes? (?:of|in) |elevated |high |increased |intermittent )?(?:5\d\ds?|5xxs?|errors?|"
            r"error rates?|timeouts?|failures|failed \w+|latency|crash\w*|ooms?|exceptions|restarts|packet loss)\b"
            r"(?! (?:drop|dropping|decreas|go(?:ing)? down|fall|recover|subsid|clear|stop|disappear|gone)\w*)|"
            # Health reported degraded (Argo CD's health status, a status page).
            r"\bdegraded\b(?:(?<=is degraded)|(?<=are degraded)|(?<=has degraded)|(?<=have degraded)|"
            r"(?<=now degraded)|(?<=got degraded)|(?<=looks degraded)|(?<=been degraded)|(?<=become degraded)|"
            r"(?<=health: degraded)|(?<=status: degraded))"
        ),
    ),
    (
        "alert_resolved",
        factored(
            # A check or monitor passing again ("synthetics green again", "health check passing again").
            r"\b(?:synthetics?|health ?checks?|probes?|uptime checks?|monitors?)\b.{0,40}?\b(?:passing|green|"
            r"recovered|back up|healthy)\b|"
            r"\b(?:alert|alerts|monitor|monitors|page|alarm|alarms)(?:'s| has| have| is| are)? (?:cleared|resolved|"
            r"recovered|auto-?resolved|stopped firing|back to ok|back to normal|ok now|green|went green|turned green|gone|went away|"
            r"resolved itself)\b|\b(?:cleared|resolved) (?:the )?(?:\w+ )?(?:alert|page)\b|\bauto-?(?:resolved|closed)\b|"
            r"\ball alerts (?:are )?(?:green|clear)|\b(?:resolved|closed) (?:it |the alert |"
            r"the page )?in (?:pagerduty|pd|opsgenie|datadog)\b|\b(?:pages|alerts|alarms|paging) (?:have |"
            r"has )?stopped\b|\b(?:alert|alarm|page|monitor) (?:has )?(?:stopped|gone quiet|went quiet)\b(?! \w+ing)|\bmonitor (?:has )?recovered\b|\b(?:alert|alerts|monitor|alarm|alarms|page)\b.{0,30}?"
            r"\b(?:cleared|auto-?resolved|resolved itself|recovered|went green|turned green|back to ok)\b|"
            r"\b(?:pd|pagerduty|opsgenie|datadog|grafana|sentry)\b (?:says|shows|marked (?:it|the \w+)(?: as)?|has) (?:it'?s |it is |it )?"
            r"(?:resolved|recovered|cleared|green)\b|"
            r"\bno (?:more |further )?(?:pages|alerts|alarms)\b(?!,? (?:please|pls|plz))|\balertas? (?:\w+ ){0,3}?(?:se )?(?:resolvi\w*|resuelt\w*|normaliz\w*|apag\w*|cerrad\w*|fechad\w*)|"
            r"\b(?:alarme?|warnung(?:en)?) (?:[\w.-]+ ){0,3}?(?:aufgehoben|weg|grün|résolue?|levée?|beendet|behoben|erledigt)|\balerte (?:\w+ ){0,3}?(?:résolue|levée|(?:est )?(?:repass|revenu)\w* au vert)"
        ),
    ),
    (
        "mitigated",
        factored(
            # Things working now, customers unaffected, a feature back for its users; Hindi-English.
            r"\b(?:works?|working|fine|ok|okay|good|healthy|normal|unaffected)(?: again)? now\b|"
            r"\b(?:error rate|errors|5xx|latency|p99|p95|cpu|timeouts)(?: rate)? (?:is |are )?(?:now )?(?:back )?(?:under|below) "
            r"\d|\bwe'?re back(?:[,.!]|$)|\b(?:erros|errores|erreurs|fehler)\b.{0,10}?\b(?:pararam|pararon|ont cessé|ont disparu|"
            r"sind weg|haben aufgehört|caíram|baixaram|bajaron)\b|\blit up green\b|\beverything(?:'s| is)? green\b|\ball green(?<!ci all green)(?<!ci is all green)(?<!tests all green)(?<!build all green)(?<!checks all green)(?:[,.!]|$| now| again)|\b(?:stopped|no longer) (?:timing out|erroring|crash\w*|failing|throwing|5\d\d-?ing|"
            r"oom\w*)\b|\b(?:it'?s|it is|that'?s|everything'?s|everything is) (?:now )?(?:fixed|sorted)\b"
            r"(?! (?:in|by|with|once|when|after|for)\b)|\b"
            + FALLING
            + r"|\bnow (?:back to )?(?:ok|okay|fine|healthy|normal|green|stable)\b(?! to\b)|"
            r"\b(?:customers|users|clients)\b.{0,20}?\b(?:unaffected|no longer (?:affected|impacted))\b|"
            # Recovery as its users' outcome ("users fine", "logins succeed again"), a mitigation done.
            r"\b(?:users?|customers?|clients?|usuarios|clientes|utilisateurs|nutzer|kunden)\b (?:are |is |look |"
            r"looks |seem |seems |now |all )?(?:fine|ok|okay|good|happy|unaffected|unblocked)\b(?!\?| with\b)|"
            r"\b(?:succeed|pass|complet|render|process|go through|come through)\w* (?:again|normally)\b|"
            r"\b(?:works?|working|loads?|loading|flowing|succeed\w*|processing|going through|passing|passent|funcionan?|"
            r"fonctionnent|marchent|laufen|gehen|funcionam) (?:\w+ ){0,3}?(?:again|normally|de nuevo|otra vez|à nouveau|"
            r"de nouveau|wieder|de novo|novamente)\b|"
            r"\b(?:failover|fail-over|switchover|cutover|mitigation|workaround) (?:is )?(?:done|complete|completed|finished|"
            r"in place|worked|applied|successful)\b|\b(?:estable|estável|stable|normal|bien|bem|stabil) (?:de nuevo|"
            r"otra vez|de novo|novamente|à nouveau|de nouveau)\b|"
            r"\b(?:is|are) back (?:for|up|online|to normal)\b|\b(?:loads?|works?) again\b|"
            r"\btheek (?:hai|ho gaya|ho gayi|chal)\b|\bband ho gaye?\b|"
            r"\bstatus(?: is)?:? (?:now )?(?:mitigated|monitoring)\b|"
            r"\b(?:back to (?:baseline|normal)|(?:is|are) at baseline|at normal levels|returned to (?:baseline|"
            r"normal)|recovered|recovering|mitigated|mitigation (?:is )?(?:in place|worked|applied)|"
            r"(?:error rate|errors|5xx|latency|p99|cpu|timeouts)(?: rate)? (?:is |are |has |have )?(?:down|"
            r"dropping|dropped|falling|normal|normalized|normalised|back|recovering|recovered|flat|stable|gone|"
            r"at zero|at 0)|impact (?:has )?(?:stopped|ended)|(?:stable|stabilized|stabilised|healthy) (?:now|"
            r"again)|(?:is|are|looks?|looking) (?:stable|healthy|green) (?:again|now)|no (?:more )?(?:errors|5xx|"
            r"impact)\b|can (?:check ?out|log ?in|pay|buy|\w+) again|(?:working|flowing|processing|serving|"
            r"loading|succeeding|going through|coming in) again|^we'?re back\b|\bwe'?re back (?:up|online|"
            r"to normal)|back up\b|up again|out of the woods|caught up|\bback (?:at|under|below|above|to) \d|"
            r"(?:we'?re|is|are|looks?) stable\b|\b(?:5\d\ds|5xxs?|errors|timeouts|crashes|restarts|"
            r"pages) (?:have |has )?stopped\b|\b(?:can|able to) (?:\w+ ){0,2}\w+ again\b|\b(?:pueden|puede|podem|pode|peuvent|peut) (?:\w+ ){0,2}?\w+ "
            r"(?:otra vez|de nuevo|de novo|novamente|à nouveau|de nouveau)\b|\b(?:können|kann) (?:\w+ )?wieder\b|(?:queue|backlog|"
            r"lag)s? (?:is |are |has |have )?(?:drained|cleared|recovered|gone|back to normal)|restored|"
            r"bleeding (?:has )?stopped|wieder (?:normal|stabil|da)|funktioniert wieder|"
            r"volvi[óo] a la normalidad|ya funciona|normalizado|revenu à la normale|de nouveau (?:stable|normal)|"
            r"voltou ao normal|normalizou|impact (?:is |was )?over|(?:stable|healthy|green|clean|quiet|fine) for "
            r"(?:the (?:last|past) )?\d{1,3} ?(?:s|sec|secs|min|mins|minutes|m|h|hours?)\b|(?:working|responding|"
            r"loading|fine|ok|good|normal|healthy|up|green) (?:again|once more)\b|vuelve a funcionar|"
            r"funciona (?:de nuevo|otra vez)|responde (?:bien|de nuevo|otra vez)|läuft wieder|geht wieder|"
            r"wieder (?:ok|gut|grün|online|erreichbar)|remarche|refonctionne|fonctionne (?:à nouveau|de nouveau)|"
            r"(?:works|working|fonctionne|funciona|funcionando|läuft) (?:\w+ )?(?:normally|normalement|normalmente|normal)\b|"
            r"voltou a funcionar|funcionando de novo|(?:keep(?:ing)?|leav(?:e|ing)) (?:the )?(?:incident|inc|"
            r"channel) open)"
        ),
    ),
    (
        "resolved",
        factored(
            # Closing something and the incident with it: "closing the ticket and the incident".
            r"\bclos(?:ing|ed|e)(?: out)? (?:the |this |our )?[\w#-]{1,30}(?: [\w#-]{1,30})? (?:and|&|plus) (?:the |this )?"
            r"(?:incident|inc\b|channel)|"
            r"\ball[ -]clear\b|\bclos(?:ing|ed|e)(?: out)? (?:this|it|inc\b|incident|(?:the|this) (?:\w+ )?(?:incident|"
            r"inc|channel|outage|issue|sev\w*))\b|\bclos(?:ing|ed|e) (?:this |it )?out\b|"
            r"\bstatus(?: is)?:? (?:now )?(?:resolved|closed)\b|\b(?:vorfall|störung)\b.{0,20}?\bbehoben\b|"
            r"\b(?:incident(?: inc-?\d{1,7}| #?\d{1,7})?|inc[- ]?#?\d{1,7}) (?:is |has been |was |now |is now )?"
            r"(?:resolved|closed|over|done|finished)\b|\bresolv(?:ing|ed|e) (?:the |this )?incident\b|"
            r"\bmark(?:ing|ed)? (?:this |it |the incident )?(?:as )?resolved\b|\bwe'?re resolved\b|^resolv(?:ed|"
            r"ing)\b|(?<!is )(?<!are )(?<!was )(?<!been )\bresolved[.!]?$|(?<!before )(?<!then )(?<!until )(?<!prior to )\bclos(?:ing|e it)[.!]?$|\bresolving[.!]?$(?<!before resolving)(?<!until resolving)|"
            r"\b(?:incident|inc|issue|outage|problem|this|it|everything|that)\b(?: \w+){0,2} is (?:now |fully )?(?:resolved|over)\b|"
            r"\bclosed out\b|\b(?:call|calling|consider|declar\w*) (?:this|it|the incident) (?:resolved|closed|over)\b|\bstand(?:ing)? down\b|\b(?:incident|inc)\b.{0,12}?\b(?:close|resolve) kar\w*|erledigt|resuelto|cerramos|cerrado|résolu|"
            r"\bclos\b|c'est réglé|resolvido|encerrado|encerrando|geschlossen|gelöst|\bincident\b.{0,10}\b(?:fermé|clôturé)|"
            r"\b(?:incident|incidente|vorfall|störung)\b.{0,15}?\b(?:terminé|clos|clôturé|fermé|réglé|beendet|"
            r"abgeschlossen|erledigt|finalizado|terminado|fechado)\b|\b(?:fechando|fechamos|cerrando|clôturons|"
            r"on clôture|je clôture|je ferme|on ferme|nous fermons|schließen|schließe)\b.{0,15}?\b(?:incident\w*|vorfall|störung)"
        ),
    ),
)

# A fix-forward already under way is the deploy itself, not the call to make one ("deploying a fix
# forward now: cart 2.1.1"); the aspect opens its clause (the on-call's elided "I'm").
UNDER_WAY = re.compile(
    r"(?:^|[,;:.!-] |\b(?:i'?m|we'?re|i am|we are|just|now|already) )(?:deploying|shipping|pushing|rolling out|deployed|"
    r"shipped|pushed|rolled out|releasing|released) (?:a |the |our |my )?(?:fix[ -]forward|forward[- ]fix)"
)

# Japanese writes no spaces, so its verbs have no word boundary; searched (without `\b`) only when
# the message has CJK characters. A few verbs per kind, in the same order as RULES.
CJK_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "decision",
        re.compile(
            r"(?:ロールバック|切り戻し|デプロイ|リリース)(?:を)?(?:しましょう|する予定|しない|禁止|凍結|止め)"
        ),
    ),
    ("rollback", re.compile(r"ロールバック|切り戻")),
    ("deploy", re.compile(r"デプロイ|リリース")),
    ("ack", re.compile(r"対応します|対応中|確認します|確認中|調査中|見ます|見てます|見てみます")),
    ("alert_firing", re.compile(r"発報|アラートが?(?:鳴|発火|出)|障害(?:が)?発生|落ちて")),
    ("alert_resolved", re.compile(r"アラート.{0,10}?(?:解消|回復|復旧|クリア)")),
    ("mitigated", re.compile(r"復旧|回復しました|安定して|正常に戻")),
    ("resolved", re.compile(r"クローズ|収束|解決しました")),
)
