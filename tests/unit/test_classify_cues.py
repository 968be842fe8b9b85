"""The cues the human classifier reads, as properties over generated phrasings.

Each property builds many sentences from small grammars (subjects, verbs in the right form,
services, versions, prefixes) and checks the cue decides the kind whatever the words around it:
negation, questions, quotes, recaps, conditionals, first person against reported speech, and the
unrelated senses of the event words. Plus the contract's commander and chatter cases, and the
confidence each path gives.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.capture.classify import Classifier, classify
from bot.capture.rules import load_rules
from bot.domain import CONFIDENCE_LEVELS

_SERVICES = st.sampled_from(
    ["checkout", "checkout-api", "payments", "search-indexer", "ledger", "the web tier"]
)
_VERSIONS = st.sampled_from(["", " to 2.3.9", " to v1.4.0", " in prod", " on staging"])
_NAMES = st.sampled_from(["alice", "Bob", "<@U024BE7LH>", "the payments team", "Priya"])
# (present participle, base form, past) of forward and backward actions.
_ROLLBACK_FORMS = st.sampled_from(
    [("rolling back", "roll back", "rolled back"), ("reverting", "revert", "reverted")]
)
_DEPLOY_FORMS = st.sampled_from(
    [
        ("deploying", "deploy", "deployed"),
        ("shipping", "ship", "shipped"),
        ("releasing", "release", "released"),
    ]
)
_FORMS = st.one_of(_ROLLBACK_FORMS, _DEPLOY_FORMS)
_SETTINGS = settings(max_examples=150, deadline=None)


def _kind(text: str) -> str:
    return classify(text, False).kind


@st.composite
def _claims(draw: st.DrawFn) -> tuple[str, str]:
    """A first-person statement of an action under way, and its kind."""
    forms = draw(_FORMS)
    kind = "rollback" if forms[1] in ("roll back", "revert") else "deploy"
    subject = draw(st.sampled_from(["we're", "I'm", "we are", "I am", "", "now"]))
    text = f"{subject} {forms[0]} {draw(_SERVICES)}{draw(_VERSIONS)}".strip()
    return text, kind


@_SETTINGS
@given(_claims())
def test_first_person_claims_keep_their_kind(claim: tuple[str, str]) -> None:
    text, kind = claim
    assert _kind(text) == kind


@_SETTINGS
@given(_FORMS, _SERVICES, st.data())
def test_a_negated_action_is_never_that_action(forms: tuple[str, str, str], service: str, data) -> None:
    ing, base, past = forms
    negated = data.draw(
        st.sampled_from(
            [
                f"we are not {ing} {service}",
                f"we're not {ing} {service}",
                f"we aren't {ing} {service}",
                f"not {ing} {service}",
                f"we won't {base} {service}",
                f"we will not {base} {service}",
                f"we can't {base} {service}",
                f"we shouldn't {base} {service}",
                f"we are not going to {base} {service}",
                f"we didn't {base} {service}",
                f"we haven't {past} {service} yet",
                f"I never {past} {service}",
                f"{ing} {service} isn't an option",
            ]
        )
    )
    kind = _kind(negated)
    assert kind not in ("rollback", "deploy"), negated
    # A ruled-out course of action is a call; a negated past states no event.
    assert kind in ("decision", "other"), negated


@_SETTINGS
@given(_claims(), st.sampled_from(["{}?", "{} ?", "{}? :thinking_face:", "are we sure? {}?"]))
def test_a_statement_turned_into_a_question_is_other(claim: tuple[str, str], shape: str) -> None:
    assert _kind(shape.format(claim[0])) == "other"


@_SETTINGS
@given(_FORMS, _SERVICES, st.sampled_from(["should we", "do we", "can we", "will we", "why did we"]))
def test_questions_asking_about_an_action_are_other(
    forms: tuple[str, str, str], service: str, ask: str
) -> None:
    assert _kind(f"{ask} {forms[1]} {service}") == "other"


@_SETTINGS
@given(_claims(), _NAMES)
def test_quoted_words_are_someone_elses(claim: tuple[str, str], name: str) -> None:
    text = claim[0]
    # Slack delivers a typed `>` as `&gt;`.
    assert _kind(f"&gt; {text}") == "other"
    assert _kind(f"&gt; {text}\n&gt; and watching the graphs") == "other"
    assert _kind(f'{name} said "{text} now"') == "other"
    assert _kind(f'from <#C05PAYENG|payments-eng>: "{text} at 14:00, could be related"') == "other"


@_SETTINGS
@given(_claims(), _NAMES)
def test_reported_action_in_progress_keeps_its_kind_but_a_quote_does_not(
    claim: tuple[str, str], name: str
) -> None:
    text, kind = claim
    action = text.split(" ", 1)[1] if text.split(" ", 1)[0] in ("we're", "I'm", "now") else text
    if action.startswith(("we are ", "I am ")):
        action = action.split(" ", 2)[2]
    assert _kind(f"{name} is {action}") == kind
    assert _kind(f'{name} wrote "{action}"') == "other"


@_SETTINGS
@given(
    st.sampled_from(
        ["yesterday", "earlier", "earlier today", "last night", "last week", "recap:", "for context:"]
    ),
    _FORMS,
    _SERVICES,
)
def test_recaps_of_past_events_are_other(when: str, forms: tuple[str, str, str], service: str) -> None:
    assert _kind(f"{when} we {forms[2]} {service}") == "other"
    assert _kind(f"{when} the alert fired on {service}") == "other"


@_SETTINGS
@given(
    st.sampled_from(
        ["errors don't drop in 5 min", "p99 stays above 2s", "the canary fails", "the fix isn't out by 14:00"]
    ),
    st.sampled_from(["roll back", "revert", "fail over", "page the DBA on-call"]),
    _SERVICES,
)
def test_conditional_plans_are_decisions(condition: str, action: str, service: str) -> None:
    assert _kind(f"if {condition} we {action} {service}") == "decision"
    assert _kind(f"if {condition}, we'll {action} {service}") == "decision"


@_SETTINGS
@given(_SERVICES)
def test_unrelated_senses_of_the_event_words_are_other(service: str) -> None:
    for text in (
        f"TCP ACK storm on the LB in front of {service}",
        f"ack is broken on the kafka consumer for {service}, offsets not committing",
        f"the migration for {service} issued ROLLBACK on the txn",
        f"rollback segment too old errors in the oracle logs for {service}",
        f"the merge conflict in {service} got resolved",
        f"I'll revert to you on {service} after standup",
        f"reverting to you on the {service} question later",
        f"the {service} jira ticket is resolved",
    ):
        assert _kind(text) == "other", text
    # The same words where the responder acknowledges: the sense check does not swallow the ack.
    assert _kind(f"ack, kafka consumer lag alert on {service}") == "ack"
    assert _kind(f"looking at the firewall rules for {service}") == "ack"


def test_contract_commander_claims_and_hand_overs_are_ack() -> None:
    for text in (
        "IC here",
        "I'm IC",
        "taking IC",
        "<@U024BE7LH> is IC now",
        "handing IC to <@U024BE7LH>",
        "new IC is <@U024BE7LH>",
        "taking this one",
        "I'll take this one",
    ):
        assert _kind(text) == "ack", text


def test_contract_chatter_is_other() -> None:
    for text in (
        "closing the laptop, back in 10",
        "closing my laptop",
        "the jira ticket is resolved",
        "closing the ticket, thanks",
        "lunch?",
    ):
        assert _kind(text) == "other", text


def test_recovery_families() -> None:
    assert _kind("Works now") == "mitigated"
    assert _kind("traffic failed over to us-west-2, customers are unaffected now") == "mitigated"
    assert _kind("rolling back isn't an option, fixing forward") == "decision"
    assert _kind("the outage is over") == "resolved"
    assert _kind("we can call this resolved") == "resolved"
    assert _kind("we're stable now on the old version, not closing yet") == "mitigated"
    assert _kind("let's not close it until the fix is deployed") == "decision"


def test_confidence_says_where_the_kind_came_from(tmp_path: Path) -> None:
    alert = "[FIRING:1] HighErrorRate checkout-api (critical)"
    assert classify(alert, True).confidence == "integration"
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text("rules:\n  - name: shipit\n    match: 'Shipped \\S+'\n    kind: deploy\n")
    ruled = Classifier(load_rules(rules_file)).classify("Shipped checkout-api", False)
    assert (ruled.kind, ruled.confidence) == ("deploy", "rule")
    assert classify("rolling back checkout to 2.3.9", False).confidence == "strong"
    # An event word in passing, inside someone else's sentence: a guess to confirm in review.
    passing = classify("the checkout team says their deploy markers show up on the latency panel", False)
    assert (passing.kind, passing.confidence) == ("deploy", "weak")
    assert classify("the deploy queue is slow today", False).confidence == "weak"
    # A tool named after the event ("the deploy bot") is no event at all.
    assert classify("the deploy bot is slow today", False).kind == "other"
    # A verb carrying its aspect, or one opening the clause, makes the claim clear.
    for text in ("cancelled the deploy of checkout, wrong branch", "the API is returning 503s"):
        assert classify(text, False).confidence == "strong", text
    # A hedge that voids only the last clause leaves the first as a guess.
    hedged = classify("please revert #3310 on checkout, it probably broke the cart", False)
    assert (hedged.kind, hedged.confidence) == ("rollback", "weak")


@_SETTINGS
@given(st.text(max_size=200), st.booleans())
def test_confidence_is_always_a_known_level(text: str, is_bot: bool) -> None:
    assert classify(text, is_bot).confidence in CONFIDENCE_LEVELS


def test_a_modal_opens_a_question_only_with_its_subject() -> None:
    assert _kind("will take a look") == "ack"
    assert _kind("will we roll back checkout") == "other"
    assert _kind("should we fail over") == "other"
    assert _kind("picking this up") == "ack"


@_SETTINGS
@given(_FORMS, _SERVICES)
def test_hypotheses_and_relayed_messages_are_other(forms: tuple[str, str, str], service: str) -> None:
    for text in (
        f"I don't think the {forms[1]} of {service} is related",
        f"the {forms[1]} of {service} at 13:55 lines up with the spike",
        f"forwarding from #payments: they {forms[2]} {service} at 14:02",
        f"from <#C05PAYENG|payments-eng>: they {forms[2]} {service}",
        f"this is the third time this month we {forms[2]} {service}",
    ):
        assert _kind(text) == "other", text


def test_language_families() -> None:
    # A few verbs per language and kind, not sentences: each line is one family's form.
    for kind, texts in {
        "ack": ["je m'en charge", "tô vendo", "vou dar uma olhada", "main check kar raha hoon", "確認します"],
        "rollback": ["wir rollen zurück auf 2.3.9", "fazendo rollback do checkout", "ロールバック中です"],
        "deploy": [
            "subindo a 2.4.1 em produção",
            "desplegando 2.4.1 a producción",
            "2.4.1 をリリースしました",
        ],
        "decision": ["wir machen einen Rollback", "não façam deploy hoje", "rollback karte hain"],
        "alert_firing": ["checkout down hai", "checkout está caído", "checkout が落ちています"],
        "mitigated": ["ab theek chal raha hai", "voltou a funcionar", "復旧しました"],
        "resolved": ["incident close kar rahe hain", "incidente cerrado", "インシデントをクローズしました"],
    }.items():
        for text in texts:
            assert _kind(text) == kind, text
