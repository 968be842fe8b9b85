"""Change lineage (bot/postmortem/lineage.py): grouping by change id, service inheritance, and the
pairing of every rollback with a deploy of its own service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import Incident, RefValue, TimelineEntry
from bot.postmortem.assemble import build_report
from bot.postmortem.lineage import trace
from bot.postmortem.policy import Policy
from bot.postmortem.render import TemplateRenderer
from bot.postmortem.summary import summary_blocks

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def entry(minutes: float, kind: str, text: str, *, bot: bool = False, **refs: RefValue) -> TimelineEntry:
    at = T0 + timedelta(minutes=minutes)
    return TimelineEntry(
        channel_id="C1",
        ts=f"{at.timestamp():.6f}",
        occurred_at=at,
        kind=kind,
        text=text,
        refs=refs,
        author_kind="bot" if bot else "human",
        author_name="deploybot" if bot else "alice",
        source="hubot_deploy" if bot else None,
    )


def test_a_rollback_of_one_service_is_never_paired_with_another_services_deploy():
    lineage = trace(
        [
            entry(
                0,
                "deploy",
                "Deploying hotfix web v1.0.2 (DEP-1002)",
                service="web",
                version="v1.0.2",
                change_id="DEP-1002",
            ),
            entry(5, "rollback", "rolling back checkout to v5.0.9", service="checkout", version="v5.0.9"),
        ]
    )
    (rb,) = lineage.rollbacks
    assert rb.service == "checkout"
    assert rb.failed_version is None and rb.failed_change_id is None and rb.deploy_started_at is None
    assert rb.line == (
        "checkout: Failed version unknown (no earlier deploy of checkout in the timeline)"
        " → rolled back to v5.0.9"
    )
    assert "v1.0.2" not in rb.line
    web = next(c for c in lineage.changes if c.kind == "deploy")
    assert web.rolled_back_by is None


def two_deploys_two_rollbacks() -> list[TimelineEntry]:
    """web and checkout deployed by a bot, then each rolled back by a person, checkout first."""
    return [
        entry(
            0,
            "deploy",
            "Deploying web v1.0.2 (DEP-1)",
            bot=True,
            service="web",
            version="v1.0.2",
            change_id="DEP-1",
        ),
        entry(
            1,
            "deploy",
            "Deploying checkout v5.1.0 (DEP-2)",
            bot=True,
            service="checkout",
            version="v5.1.0",
            change_id="DEP-2",
        ),
        entry(10, "rollback", "rolling back checkout to v5.0.9", service="checkout", version="v5.0.9"),
        entry(12, "rollback", "rolling back web to v1.0.1", service="web", version="v1.0.1"),
    ]


def test_two_rollbacks_of_two_services_are_each_paired_with_their_own_deploy():
    first, second, checkout_rb, web_rb = two_deploys_two_rollbacks()
    lineage = trace(
        [
            first,
            second,
            entry(2, "deploy", "Deploy of web succeeded", bot=True, service="web"),
            checkout_rb,
            web_rb,
            entry(15, "rollback", "Rollback of web completed", bot=True, service="web"),
        ]
    )
    lines = [r.line for r in lineage.rollbacks]
    assert lines == [
        "checkout: Failed version v5.1.0 → rolled back to v5.0.9",
        "web: Failed version v1.0.2 → rolled back to v1.0.1",
    ]
    assert [r.failed_change_id for r in lineage.rollbacks] == ["DEP-2", "DEP-1"]
    assert lineage.rollbacks[1].duration == "15 min"  # web's deploy start → web's last rollback message
    web_rb = next(c for c in lineage.changes if c.kind == "rollback" and c.service == "web")
    assert web_rb.state == "succeeded" and len(web_rb.refs) == 2
    rows = [(c.service, c.from_version, c.version) for c in lineage.changes if c.kind == "rollback"]
    assert rows == [("checkout", "v5.1.0", "v5.0.9"), ("web", "v1.0.2", "v1.0.1")]
    deploys = {c.service: c for c in lineage.changes if c.kind == "deploy"}
    assert set(deploys) == {"web", "checkout"}  # "Deploy of web succeeded" joined DEP-1
    assert deploys["web"].state == "succeeded"
    assert deploys["web"].status == "succeeded, rolled back (rollback web v1.0.1)"


def test_a_human_line_inherits_the_service_its_change_id_has():
    start = entry(0, "deploy", "Starting deploy DEP-7781 now", change_id="DEP-7781")
    record = entry(
        0.1,
        "deploy",
        "[CHANGE] Deploy api-gateway v2.14.0 to prod",
        bot=True,
        service="api-gateway",
        version="v2.14.0",
        change_id="DEP-7781",
    )
    chatter = entry(3, "decision", "let's watch DEP-7781 before the next one", change_id="DEP-7781")
    lineage = trace([start, record, chatter])
    (change,) = lineage.changes
    assert (change.service, change.version, len(change.refs)) == ("api-gateway", "v2.14.0", 2)
    assert lineage.inherited_services == {start.ts: "api-gateway", chatter.ts: "api-gateway"}


def test_a_rollback_naming_the_deploy_id_takes_its_service_and_failed_version():
    lineage = trace(
        [
            entry(
                0, "deploy", "Deploy api v2 (DEP-9)", bot=True, service="api", version="v2", change_id="DEP-9"
            ),
            entry(
                1,
                "deploy",
                "Deploy web v7 (DEP-10)",
                bot=True,
                service="web",
                version="v7",
                change_id="DEP-10",
            ),
            entry(8, "rollback", "Initiating rollback DEP-9", change_id="DEP-9"),
        ]
    )
    (rb,) = lineage.rollbacks
    assert (rb.service, rb.failed_version, rb.failed_change_id) == ("api", "v2", "DEP-9")
    assert rb.rolled_back_to is None
    assert rb.line == "api: Failed version v2 → rolled back to unknown (not in the timeline)"


def test_a_rollback_whose_service_cannot_be_determined_is_paired_with_nothing():
    lineage = trace(
        [
            entry(0, "deploy", "Deploy api v2", bot=True, service="api", version="v2"),
            entry(5, "rollback", "rollback started"),
        ]
    )
    (rb,) = lineage.rollbacks
    assert rb.service is None and rb.failed_version is None and rb.failed_change_id is None
    assert rb.line.startswith("Service unknown: Failed version unknown (service not determined")
    assert "/postmortem review" in rb.line
    assert "unknown" in rb.duration


def test_a_rollback_is_never_paired_with_a_deploy_to_the_version_it_returns_to():
    lineage = trace(
        [
            entry(
                0,
                "deploy",
                "Pre-deployment state captured: production at v1.2.3",
                bot=True,
                service="api",
                version="v1.2.3",
            ),
            entry(5, "rollback", "Rolled back api to v1.2.3", service="api", version="v1.2.3"),
        ]
    )
    (rb,) = lineage.rollbacks
    assert rb.failed_version is None
    assert "Failed version v1.2.3" not in rb.line


def test_an_unknown_service_rollback_is_paired_by_the_versions_it_names():
    lineage = trace(
        [
            entry(0, "deploy", "api 1.4 → 1.5", bot=True, service="api", version="1.5", from_version="1.4"),
            entry(1, "deploy", "web 3.0", bot=True, service="web", version="3.0"),
            entry(6, "rollback", "reverting 1.5 back to 1.4", version="1.4", from_version="1.5"),
        ]
    )
    (rb,) = lineage.rollbacks
    assert (rb.service, rb.failed_version, rb.rolled_back_to) == ("api", "1.5", "1.4")


def test_a_line_naming_several_services_is_one_change_per_service_paired_by_position():
    lineage = trace(
        [
            entry(
                0,
                "deploy",
                "Deployed search 2.0.0 and auth 1.4.1",
                bot=True,
                service=["search", "auth"],
                version=["2.0.0", "1.4.1"],
            ),
            entry(4, "rollback", "rolling back auth to 1.4.0", service="auth", version="1.4.0"),
            entry(5, "rollback", "rolling back search to 1.9.9", service="search", version="1.9.9"),
        ]
    )
    deploys = [(c.service, c.version) for c in lineage.changes if c.kind == "deploy"]
    assert deploys == [("search", "2.0.0"), ("auth", "1.4.1")]
    assert [r.line for r in lineage.rollbacks] == [
        "auth: Failed version 1.4.1 → rolled back to 1.4.0",
        "search: Failed version 2.0.0 → rolled back to 1.9.9",
    ]


def test_one_version_for_two_services_is_left_unknown():
    lineage = trace(
        [entry(0, "deploy", "Deploying search and auth 2.0", service=["search", "auth"], version="2.0")]
    )
    assert [(c.service, c.version) for c in lineage.changes] == [("search", None), ("auth", None)]


def test_a_service_less_rollback_message_joins_no_rollback_when_two_services_are_rolling_back():
    lineage = trace(
        [
            entry(0, "rollback", "rolling back web to v1", service="web", version="v1"),
            entry(1, "rollback", "rolling back checkout to v5", service="checkout", version="v5"),
            entry(2, "rollback", "rollback done"),
        ]
    )
    assert [c.service for c in lineage.changes] == ["web", "checkout", None]
    alone = trace(
        [
            entry(0, "rollback", "rolling back web to v1", service="web", version="v1"),
            entry(2, "rollback", "rollback done"),
        ]
    )
    (change,) = alone.changes
    assert change.state == "succeeded" and len(change.refs) == 2


def test_progress_counts_are_not_versions():
    lineage = trace(
        [
            entry(0, "deploy", "Deploying checkout: 3/4 hosts", bot=True, service="checkout", version="3/4"),
            entry(
                1,
                "deploy",
                "checkout v5.1.0 on 4 of 4 hosts",
                bot=True,
                service="checkout",
                version=["v5.1.0", "4 of 4"],
            ),
        ]
    )
    (change,) = lineage.changes
    assert change.version == "v5.1.0"


def test_every_built_in_template_shows_every_rollback_with_its_own_service():
    entries = two_deploys_two_rollbacks()
    report = build_report(
        Incident("C1", "incident-9", "open", T0),
        entries,
        [],
        now=T0 + timedelta(hours=3),
        tz=UTC,
        policy=Policy(),
    )
    lines = (
        "checkout: Failed version v5.1.0 → rolled back to v5.0.9",
        "web: Failed version v1.0.2 → rolled back to v1.0.1",
    )
    renderer = TemplateRenderer()
    for name in renderer.names():
        text = renderer.render(name, report)
        assert all(line in text for line in lines), name
    rollback = renderer.render("rollback", report)
    assert "**Failed Version (checkout)**: v5.1.0 (DEP-2)" in rollback
    assert "**Failed Version (web)**: v1.0.2 (DEP-1)" in rollback
    _blocks, fallback = summary_blocks(report, version=1, changed=None)
    assert all(line in fallback for line in lines)


def test_among_many_interleaved_services_each_rollback_undoes_the_latest_earlier_deploy_of_its_own():
    """The deploy indexes keep the rule over a long timeline: of its own service (whatever the case
    it is written in), begun before the rollback, skipping a deploy to the version returned to."""
    services = ("api", "web", "auth", "search", "billing")
    entries, expected = [], []
    latest: dict[str, str] = {}
    for k in range(300):
        svc = services[(k * 7) % len(services)]
        written = svc.upper() if k % 3 == 0 else svc
        entries.append(entry(k * 60, "deploy", f"{written} v{k}", bot=True, service=written, version=f"v{k}"))
        latest[svc] = f"v{k}"
        if k % 4 == 3:
            back = services[k % len(services)]
            if back in latest:
                # A later deploy to the version returned to is the state returned to, not the failure.
                entries.append(
                    entry(k * 60 + 1, "deploy", f"{back} v0", bot=True, service=back, version="v0")
                )
                entries.append(
                    entry(k * 60 + 2, "rollback", f"rolling {back} back to v0", service=back, version="v0")
                )
                expected.append((back, latest[back]))
    lineage = trace(entries)
    assert len(lineage.rollbacks) == len(expected) > 50
    assert [(rb.service.lower(), rb.failed_version) for rb in lineage.rollbacks] == expected  # type: ignore[union-attr]
