"""Per-tool parsers. Importing this package registers them (each declares its own order)."""

from bot.capture.integrations import (  # noqa: F401  (imported for their registration side effect)
    alertmanager,
    argo_rollouts,
    argocd,
    cli,
    datadog,
    flux,
    github,
    gitlab,
    grafana,
    grafana_oncall,
    heroku,
    hubot_deploy,
    jenkins,
    opsgenie,
    pagerduty,
    sentry,
    spinnaker,
)
from bot.capture.integrations.registry import Match, Message, names, recognise

__all__ = ["Match", "Message", "names", "recognise"]
