"""Which normalizer reads which source's payloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from incidents.alerts.schema import AlertIn, Source
from incidents.alerts.sources.alertmanager import normalize_alertmanager
from incidents.alerts.sources.generic import normalize_generic
from incidents.alerts.sources.nagios import normalize_nagios
from incidents.alerts.sources.pagerduty import normalize_pagerduty
from incidents.alerts.sources.zabbix import normalize_zabbix

NORMALIZERS: dict[Source, Callable[[Any], list[AlertIn]]] = {
    Source.ALERTMANAGER: normalize_alertmanager,
    Source.ZABBIX: normalize_zabbix,
    Source.NAGIOS: normalize_nagios,
    Source.PAGERDUTY: normalize_pagerduty,
    Source.GENERIC: normalize_generic,
}


def normalize(source: Source, body: Any) -> list[AlertIn]:
    """Normalize a decoded payload from `source`.

    Raises:
        PayloadError: The payload is malformed; every problem is listed.
    """
    return NORMALIZERS[source](body)
