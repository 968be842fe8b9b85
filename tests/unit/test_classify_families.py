"""Families of human phrasing the fresh evaluation set showed missing, each checked on variants of our
own (different words, same family) and on near misses that must keep their kind.

None of these lines is in the evaluation sets: they are the guard against rules written for the
sentences seen. A family passes only when every variant and every near miss does.
"""

from __future__ import annotations

import pytest

from bot.capture.classify import classify

# family -> [(text, kind)], positives first, then near misses.
FAMILIES: dict[str, list[tuple[str, str]]] = {
    "1 non-English events": [
        ("o deploy do carrinho 2.3.1 já está em produção", "deploy"),
        ("la versión 5.1.0 de pagos ya está en producción", "deploy"),
        ("checkout 3.2.0 ist jetzt in Produktion", "deploy"),
        ("on va basculer le trafic sur eu-west-2", "decision"),
        ("Entscheidung: wir deployen erst morgen", "decision"),
        ("vamos a volver a la versión anterior de pagos", "decision"),
        ("l'alerte est levée sur l'api de paiement", "alert_resolved"),
        ("o incidente foi encerrado, obrigado a todos", "resolved"),
        ("le service est de nouveau stable", "mitigated"),
        # near misses
        ("la producción de contenido va lenta esta semana", "other"),
        ("est-ce que le service est en production ?", "other"),
        ("gestern haben wir auf 3.8.2 zurückgerollt", "other"),
        # second round, written blind, 43/60 on first contact
        ("wir gehen zurück auf die vorherige Version von checkout", "rollback"),
        ("voltamos para a versão anterior do pagamento", "rollback"),
        ("la nueva versión de pagos ya está desplegada", "deploy"),
        ("la alerta de latencia está disparando otra vez", "alert_firing"),
        ("l'alerte de disque sonne sur db-02", "alert_firing"),
        ("die Warnung auf db-01 ist weg", "alert_resolved"),
        ("los pagos funcionan de nuevo", "mitigated"),
        ("les paiements passent à nouveau", "mitigated"),
        ("on clôture l'incident", "resolved"),
        ("wir werden auf die alte Version zurückgehen", "decision"),
        ("yo tomo este, revisando", "ack"),
        ("la versión anterior tenía el mismo error", "other"),
    ],
    "2 rollback without 'roll back'": [
        ("switching search back to the last known good build", "rollback"),
        ("went back to the prior release of ledger", "rollback"),
        ("undoing yesterday's flag flip on checkout", "rollback"),
        ("rollbak of payments in progress", "rollback"),
        ("rolback done for cart", "rollback"),
        # near misses
        ("the previous version had the same bug", "other"),
        ("going back to the old dashboard, the new one is confusing", "other"),
        ("we went back to the previous image last week for the same thing", "other"),
        ("should we go back to the previous image?", "other"),
        # second round, written blind, 43/60 on first contact
        ("backing out this morning's cache change", "rollback"),
        ("pinned auth back to the previous tag", "rollback"),
        ("we reverted the same flag back in march", "other"),
    ],
    "3 deploy as a result": [
        ("search-api 4.2.0 is out to 50%", "deploy"),
        ("pushed ledger 2.0.1 to prod a minute ago", "deploy"),
        ("checkout banner is now off behind the feature flag", "deploy"),
        ("shipping a forward fix now: cart 2.1.2", "deploy"),
        ("disabled the promo carousel via kill switch", "deploy"),
        # near misses
        ("if the canary is clean we push 2.0.1 to prod", "decision"),
        ("let's do a fix forward instead of rolling back", "decision"),
        ("the flag service is slow to load", "other"),
        ("pushed the branch to origin, PR up for review", "other"),
        # second round, written blind, 43/60 on first contact
        ("promo banner killed via flag, 0% now", "deploy"),
        ("bumped auth to 3.3.3 in staging", "deploy"),
        ("new build of search went out to canary", "deploy"),
        ("Bump lodash from 4.17.20 to 4.17.21", "other"),
        ("went out to lunch, back at 2", "other"),
    ],
    "4 relayed alerts": [
        ("datadog is lighting up with 502s on the gateway", "alert_firing"),
        ("memory alert on cache-2 again", "alert_firing"),
        ("p99 on search crossed 2s", "alert_firing"),
        ("#ops-alerts is going crazy with disk warnings", "alert_firing"),
        ("queue depth for billing exceeded 10000", "alert_firing"),
        # near misses
        ("the memory alert on cache-2 is too noisy, we should tune it", "other"),
        ("is sentry blowing up for anyone else?", "other"),
        ("sentry blew up last night during the batch job", "other"),
        ("p99 on search back under 300ms", "mitigated"),
        # second round, written blind, 43/60 on first contact
        ("pagerduty woke me up: checkout latency", "alert_firing"),
        ("grafana is screaming about 5xx on auth", "alert_firing"),
        ("the disk alert stopped", "alert_resolved"),
        ("the alert stopped being useful months ago", "other"),
    ],
    "5 recaps and schedules": [
        ("we shipped 2.4.0 at 09:10, which lines up with the first errors", "other"),
        ("reverted the flag two weeks ago for the same symptom fwiw", "other"),
        ("we rolled out the new pool config at 13:55, that's when this started", "other"),
        ("upcoming release train leaves thursday 10:00", "other"),
        ("we released payments last Friday", "other"),
        # near misses: the same words, but an event now or a plan
        ("rolling back 2.4.0, which is when this started", "rollback"),
        ("let's wait for the next deploy window", "decision"),
        ("deploying payments 2.4.1 to prod now", "deploy"),
        # second round, written blind, 43/60 on first contact
        ("we deployed 2.3.0 right before the errors started", "other"),
        ("users were fine during the last outage", "other"),
    ],
    "6 decisions without let's": [
        ("p2 -> p1, checkout is fully down for EU", "decision"),
        ("paging the db folks now", "decision"),
        ("halting all releases until the postmortem", "decision"),
        ("once errors stay under 1% for an hour we can close it", "decision"),
        ("getting storage on the bridge", "decision"),
        # near misses
        ("the pager was noisy all night", "other"),
        ("sev1 last month was the same root cause", "other"),
        ("deploys are slow today", "other"),
    ],
    "7 informal acks": [
        ("on the train, ack, at my desk in 15", "ack"),
        ("i'll own this one", "ack"),
        ("phone buzzed, I'm here, starting to dig", "ack"),
        ("Alert #4521 acknowledged by sam@acme.io", "ack"),
        # near misses
        ("we're still investigating, no news yet", "other"),
        ("kafka acks are slow on the broker", "other"),
        ("the laptop in 10 minutes will reboot for updates", "other"),
    ],
    "8 recovery as an outcome": [
        ("cutover complete, customers fine", "mitigated"),
        ("payments go through again for card users", "mitigated"),
        ("uploads complete normally again", "mitigated"),
        ("mitigation in place, users happy", "mitigated"),
        # near misses
        ("not recovered yet, p99 still at 4s", "other"),
        ("isn't fully mitigated, EU still erroring", "other"),
        ("are users fine?", "other"),
        # second round, written blind, 43/60 on first contact
        ("checkout works for everyone again", "mitigated"),
        ("signups flowing normally again", "mitigated"),
    ],
    "9 informal closing": [
        ("I guess that's it. closing the incident.", "resolved"),
        ("probably fine now. closing this out.", "resolved"),
        ("vorfall abgeschlossen, danke euch", "resolved"),
        # near misses
        ("I think we can close soon", "other"),
        ("closing the laptop, back tomorrow", "other"),
        # second round, written blind, 43/60 on first contact
        ("calling it: incident over", "resolved"),
        ("calling it: we roll back", "decision"),
    ],
}

CASES = [
    pytest.param(text, kind, id=f"{family}: {text[:40]}")
    for family, lines in FAMILIES.items()
    for text, kind in lines
]


# Third round, written blind and aimed at `other` (36/44 on first contact): habitual and generic
# statements, maintenance said to be unrelated, user reports, a tool saying its page resolved.
ROUND_3: list[tuple[str, str]] = [
    ("the deploy pipeline takes 40 minutes, that's why it's slow", "other"),
    ("deploying on fridays is a bad idea in general", "other"),
    ("staging is down for maintenance, unrelated", "other"),
    ("we usually roll back the cdn config by hand", "other"),
    ("do we have a runbook for reverting the cdn config", "other"),
    ("the rollback button in argo is greyed out for me", "other"),
    ("fwiw the alert threshold is 5%", "other"),
    ("users are complaining on twitter about slow checkout", "alert_firing"),
    ("merchants keep reporting failed payouts", "alert_firing"),
    ("5xx on /api/orders spiking since 10:40", "alert_firing"),
    ("prod is on 7.3.1 now", "deploy"),
    ("PD says resolved for the latency page", "alert_resolved"),
    ("looks like we're back, error rate under 1%", "mitigated"),
    ("p95 now below 400ms", "mitigated"),
]
CASES += [pytest.param(text, kind, id=f"3rd round: {text[:40]}") for text, kind in ROUND_3]


# Fourth round, written blind across languages (38/47 on first contact): first-person and undo forms
# of rollback in DE/PT/FR, a PT conditional, a German alarm with words between, a drained queue.
ROUND_4: list[tuple[str, str]] = [
    ("ich rolle payments auf 2.1.0 zurück", "rollback"),
    ("desfazendo o deploy de ontem do gateway", "rollback"),
    ("on annule le déploiement de ce matin", "rollback"),
    ("un-did the config push for edge", "rollback"),
    ("Alarm für hohe Latenz auf search ausgelöst", "alert_firing"),
    ("seeing a wall of 504s from the edge", "alert_firing"),
    ("c'est réglé, on ferme l'incident", "resolved"),
    ("se o erro continuar, fazemos rollback", "decision"),
    ("queues drained, lag at 0", "mitigated"),
    # near misses
    ("o deploy de ontem estava ok", "other"),
    ("la alerta se resolvió sola", "alert_resolved"),
    ("lag at 40k and climbing", "alert_firing"),
    ("in the last incident we reverted too late imo", "other"),
    ("the sentry alert from this morning was a false positive", "other"),
    ("yesterday's deploy was fine", "other"),
    ("the rollback was clean, no data loss", "other"),
    ("checkout was down, now ok", "mitigated"),
    ("it's now ok to deploy again", "decision"),
    ("is it safe to deploy again?", "other"),
]
CASES += [pytest.param(text, kind, id=f"4th round: {text[:40]}") for text, kind in ROUND_4]


# Fifth round, written blind in channel style (41/48 on first contact): a canary pulled back, being
# hammered with errors, slow for everyone, an emoji before "mine", "afaik" and "nobody deployed".
ROUND_5: list[tuple[str, str]] = [
    ("taking the canary down to 0%, it's bad", "rollback"),
    ("aborting the canary for search 3.1.0", "rollback"),
    ("we're getting hammered with 429s from the auth service", "alert_firing"),
    ("search is super slow for everyone right now", "alert_firing"),
    ("🙋 mine", "ack"),
    ("afaik nobody deployed anything today", "other"),
    ("no one touched prod since friday", "other"),
    # near misses
    ("no one touch prod please", "decision"),
    ("CI is slow today", "other"),
    ("set the flag to 0% for now", "deploy"),
    ("I think we should roll back", "other"),
    ("did anyone ack the page", "other"),
    ("how long until the rollback finishes", "other"),
]
CASES += [pytest.param(text, kind, id=f"5th round: {text[:40]}") for text, kind in ROUND_5]


# Sixth round, written blind in PT/ES/FR/DE, one line per kind and a recap each (24/36 on first
# contact): severity changes, "can … again", alerts going off and a past deploy judged, per language.
ROUND_6: list[tuple[str, str]] = [
    ("subi a versão 2.4.0 em produção", "deploy"),
    ("tô olhando", "ack"),
    ("vamos a escalar a sev1", "decision"),
    ("on passe en sev1", "decision"),
    ("wir eskalieren auf sev1", "decision"),
    ("los usuarios ya pueden pagar otra vez", "mitigated"),
    ("tout refonctionne normalement", "mitigated"),
    ("l'alerte CPU s'est déclenchée sur db-1", "alert_firing"),
    ("Alarm für CPU auf db-1 ist angegangen", "alert_firing"),
    ("o deploy de sexta foi tranquilo", "other"),
    ("le déploiement d'hier s'est bien passé", "other"),
    ("das Deployment von gestern war unauffällig", "other"),
    # near misses
    ("le service a subi une panne hier soir", "other"),
    ("¿alguien sabe quién desplegó ayer?", "other"),
    ("hicimos rollback de checkout a la 1.4.2", "rollback"),
    ("wir haben checkout auf 1.4.2 zurückgerollt", "rollback"),
]
CASES += [pytest.param(text, kind, id=f"6th round: {text[:40]}") for text, kind in ROUND_6]


# Seventh round, written blind as longer channel messages with Slack markup (28/30 on first contact;
# "checkout is down …, we're on it" is an ack by the contract's order, not a miss).
ROUND_7: list[tuple[str, str]] = [
    ("p99 for search is at 4s and climbing, alert should fire any minute", "alert_firing"),
    ("queue depth over 20k and still growing", "alert_firing"),
    ("<!here> checkout is down for all users, we're on it", "ack"),
    ("update: the rollback of pricing finished at 10:42, error rate is already dropping", "rollback"),
    ("hotfix for the null cart bug is in prod now (orders-api 2.8.2)", "deploy"),
    ("getting reports from support that EU customers can't log in", "alert_firing"),
    ("both latency monitors are green again", "alert_resolved"),
    ("everything has been stable for an hour, I'm closing the incident. thanks all!", "resolved"),
    ("decision time: we're not rolling back, we fix forward with 2.8.2", "decision"),
    # near misses
    ("errors at 2% and dropping", "mitigated"),
    ("the serializer change went out in 2.8.0 on tuesday, that's probably the culprit", "other"),
    ("lol the alert fired for the staging env too", "other"),
    ("it's the same bug we saw in march", "other"),
]
CASES += [pytest.param(text, kind, id=f"7th round: {text[:40]}") for text, kind in ROUND_7]


# Eighth round, written blind in terse chat style (25/34 on first contact): typos, failing said bare
# ("500ing", "timing out"), "alarm's gone", "it's fixed", "going w/", a "+1 to" vote.
ROUND_8: list[tuple[str, str]] = [
    ("deployd the fix to prod :shipit:", "deploy"),
    (":fire: :fire: checkout 500ing", "alert_firing"),
    ("EVERYTHING IS 500ING", "alert_firing"),
    ("api timing out for like half the requests", "alert_firing"),
    ("db cpu pinned at 100%", "alert_firing"),
    ("alarm's gone", "alert_resolved"),
    ("it's fixed", "mitigated"),
    ("going w/ the failover", "decision"),
    ("+1 to rolling back", "other"),
    # near misses
    ("it stopped timing out", "mitigated"),
    ("search no longer crashing after the restart", "mitigated"),
    ("the app was crashing yesterday", "other"),
    ("the fix is sorted in 2.3", "other"),
    ("who deployed last?", "other"),
    ("rollback in 5?", "other"),
]
CASES += [pytest.param(text, kind, id=f"8th round: {text[:40]}") for text, kind in ROUND_8]


# Ninth round, written blind around hypotheses, drafts and fallbacks (18/30 on first contact).
ROUND_9: list[tuple[str, str]] = [
    ("wonder if the deploy at 9 is related", "other"),
    ("status page draft: we are investigating elevated errors", "other"),
    ("the deploy bot posted twice, ignore the first one", "other"),
    ("worst case we roll back", "decision"),
    ("tbh I'd just roll back", "decision"),
    ("we are now on the previous release", "rollback"),
    ("back on the old build for now", "rollback"),
    ("the new pods are up, all green", "mitigated"),
    ("I've got comms", "ack"),
    ("on the bridge now", "ack"),
    ("we're freezing the payment service config", "decision"),
    ("the rollback happened around 10:40, before the second spike", "other"),
    # near misses
    ("we'd rolled back before the page came in", "other"),
    ("CI is all green", "other"),
    ("we're stable now on the old version, not closing yet", "mitigated"),
    ("we had already deployed the fix when the alert fired", "other"),
    ("the DB team is on the bridge now", "other"),
]
CASES += [pytest.param(text, kind, id=f"9th round: {text[:40]}") for text, kind in ROUND_9]


# Tenth round, written blind and aimed at `other` with event words in other senses (26/30 on first
# contact): "fine with", going through the logs, lit up green, "on my way to the office".
ROUND_10: list[tuple[str, str]] = [
    ("customers are fine with a 2h maintenance window per the contract", "other"),
    ("going through the logs now to find the first error", "ack"),
    ("grafana is lit up green everywhere", "mitigated"),
    ("on my way to the office, then I'll review the PR", "other"),
    ("the users table is fine, it's the sessions table that's bloated", "other"),
    ("pushing the postmortem to next week", "other"),
    ("turned off notifications for this channel, too noisy", "other"),
    ("my laptop is at 100% cpu from zoom", "other"),
    ("we're going back to the whiteboard on the cache design", "other"),
    ("went back to the old Slack theme haha", "other"),
    ("the pager has been quiet all week", "other"),
    ("freezing in the office today", "other"),
    ("it's not fixed, still seeing 5xx", "alert_firing"),
]
CASES += [pytest.param(text, kind, id=f"10th round: {text[:40]}") for text, kind in ROUND_10]


# Eleventh round, written blind after all the above (23/38 on first contact: new phrasing still
# lands near 0.6-0.8): switch-overs announced in the present, "foi pro ar", errors stopped in PT,
# reinstating the old image, the new side serving all traffic, an alert back or lit again.
ROUND_11: list[tuple[str, str]] = [
    ("wir wechseln auf die Standby-Datenbank", "decision"),
    ("on bascule le trafic vers le secondaire maintenant", "decision"),
    ("failing over to us-east-2", "decision"),
    ("a nova versão foi pro ar às 10h", "deploy"),
    ("os erros pararam", "mitigated"),
    ("reinstated the old nginx image on edge", "rollback"),
    ("undid tuesday's schema flag", "rollback"),
    ("the new checkout is now serving 100% of traffic", "deploy"),
    ("dark-launched the new search behind a flag", "deploy"),
    ("CPU alert on web-7 is back", "alert_firing"),
    ("the error budget alert is lit again", "alert_firing"),
    ("the deploy at 14:02 is when the spike began", "other"),
    ("next release cut is friday", "other"),
    ("I'll drive", "ack"),
    ("not quite there yet, still some 502s", "alert_firing"),
    ("we're done here, resolving", "resolved"),
    # near misses
    ("proposal: we fail over to the DR region", "other"),
    ("we are failing over to DR now", "decision"),
    ("the status page is back up", "mitigated"),
    ("the alert is back to normal", "alert_resolved"),
    ("I'll drive to the office after standup", "other"),
    ("the old nginx image had the same bug", "other"),
]
CASES += [pytest.param(text, kind, id=f"11th round: {text[:40]}") for text, kind in ROUND_11]


# Twelfth round, written blind (21/30 on first contact): the rollback verb split around its object,
# returning to a numbered version in FR/ES, a version "is out", ES "devolviendo 500", auto-closed
# pages, "INC-55 done", "rolling back is the call".
ROUND_12: list[tuple[str, str]] = [
    ("rolled prod back to yesterday's tag", "rollback"),
    ("en train de revenir sur la 2.3", "rollback"),
    ("estamos volviendo a la 4.1.0", "rollback"),
    ("pricing 1.4.0 is out", "deploy"),
    ("la api de pagos está devolviendo 500", "alert_firing"),
    ("PD incident auto-closed", "alert_resolved"),
    ("INC-55 done", "resolved"),
    ("rolling back is the call", "decision"),
    # near misses
    ("team of 3 is out sick", "other"),
    ("rolled the logs back from s3 for the audit", "other"),
    ("deploy failed last week for the same reason", "other"),
    ("looking forward to the postmortem", "other"),
]
CASES += [pytest.param(text, kind, id=f"12th round: {text[:40]}") for text, kind in ROUND_12]


@pytest.mark.parametrize(("text", "kind"), CASES)
def test_family_variant(text: str, kind: str) -> None:
    is_bot = text.startswith("Alert ")
    assert classify(text, is_bot=is_bot).kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "we can close this once the jira ticket is resolved",
        "we can close it once checkout is back",
        "I'll resolve the incident when the backlog drains",
        "we could call it resolved after an hour of clean graphs",
        "we should roll back if p99 stays up",
    ],
)
def test_a_plan_with_its_condition_after_it_is_a_decision(text) -> None:
    assert classify(text, False).kind == "decision"
