"""Per-tool parsers. Importing this package registers them (each declares its own order)."""

from bot.capture.integrations import (  # noqa: F401  (imported for their registration side effect)
    alertmanager,
    argo_rollouts,
    argocd,
    azure_devops,
    botkube,
    circleci,
    cli,
    cloudwatch,
    datadog,
    flux,
    github,
    gitlab,
    grafana,
    grafana_oncall,
    heroku,
    honeybadger,
    hubot_deploy,
    jenkins,
    kubewatch,
    octopus,
    opsgenie,
    pagerduty,
    sentry,
    spinnaker,
    state_report,
    statuspage,
    uptime_kuma,
)
from bot.capture.integrations.registry import Match, Message, names, recognise

__all__ = ["Match", "Message", "names", "recognise"]
