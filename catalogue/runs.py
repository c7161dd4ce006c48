"""Reading the harvest runs back from the store (graph `{base}/graph/runs`).

Each run is a `prov:Activity` with its counts and one `gpc:error` per failed
record (docs/profile.md). The runs graph is small next to the records (one
activity per source per scheduled run), so these queries stay cheap.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from .models import Counts
from .store import Store
from .uris import Uris

_GPC = "https://w3id.org/gpc/ns#"
_PROV = "http://www.w3.org/ns/prov#"
_COUNTS = tuple(Counts.model_fields)


@dataclass(frozen=True)
class RunError:
    reason: str
    original_id: str | None = None
    original_url: str | None = None


@dataclass
class RunView:
    uri: str
    source: str
    started: datetime
    ended: datetime | None
    status: str
    counts: Counts
    errors: list[RunError] = field(default_factory=list)


@dataclass
class SourceRuns:
    name: str
    runs: list[RunView]  # newest first

    @property
    def last(self) -> RunView:
        return self.runs[0]


def _when(value: object) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def read_runs(store: Store, uris: Uris, per_source: int = 5, errors_per_run: int = 50) -> list[SourceRuns]:
    """Every source's last `per_source` runs (newest first), with up to
    `errors_per_run` failures each; sources sorted by name."""
    count_vars = " ".join(f"?{c}" for c in _COUNTS)
    optionals = " ".join(f"OPTIONAL {{ ?run <{_GPC}{c}> ?{c} }}" for c in _COUNTS)
    rows = store.select(
        f"""SELECT ?run ?src ?start ?end ?status {count_vars} WHERE {{
              GRAPH <{uris.runs_graph}> {{
                ?run a <{_GPC}HarvestRun> ; <{_PROV}used> ?src ; <{_PROV}startedAtTime> ?start ;
                     <{_GPC}runStatus> ?status .
                OPTIONAL {{ ?run <{_PROV}endedAtTime> ?end }} {optionals} }} }}"""
    )
    by_source: dict[str, list[RunView]] = defaultdict(list)
    for row in rows:
        source = str(row["src"]).rsplit("/", 1)[-1]
        counts = Counts(**{c: int(str(row[c])) for c in _COUNTS if c in row})
        by_source[source].append(
            RunView(
                uri=str(row["run"]),
                source=source,
                started=_when(row["start"]),
                ended=_when(row["end"]) if "end" in row else None,
                status=str(row["status"]),
                counts=counts,
            )
        )
    out = []
    for name in sorted(by_source):
        runs = sorted(by_source[name], key=lambda r: r.started, reverse=True)[:per_source]
        out.append(SourceRuns(name, runs))
    _attach_errors(store, uris, [r for s in out for r in s.runs if r.counts.failed or r.status != "ok"], errors_per_run)
    return out


def _attach_errors(store: Store, uris: Uris, runs: list[RunView], limit: int) -> None:
    if not runs:
        return
    by_uri = {r.uri: r for r in runs}
    values = " ".join(f"<{u}>" for u in by_uri)
    rows = store.select(
        f"""SELECT ?run ?err ?reason ?id ?url WHERE {{
              GRAPH <{uris.runs_graph}> {{
                VALUES ?run {{ {values} }}
                ?run <{_GPC}error> ?err . ?err <http://www.w3.org/2000/01/rdf-schema#comment> ?reason .
                OPTIONAL {{ ?err <{_GPC}originalIdentifier> ?id }}
                OPTIONAL {{ ?err <{_GPC}originalUrl> ?url }} }} }}"""
    )

    def order(row: dict[str, object]) -> tuple[str, int]:
        number = str(row["err"]).rsplit("-", 1)[-1]
        return (str(row["run"]), int(number) if number.isdigit() else 0)

    for row in sorted(rows, key=order):
        run = by_uri[str(row["run"])]
        if len(run.errors) < limit:
            run.errors.append(
                RunError(
                    reason=str(row["reason"]),
                    original_id=str(row["id"]) if "id" in row else None,
                    original_url=str(row["url"]) if "url" in row else None,
                )
            )


def last_harvest(store: Store, uris: Uris) -> tuple[datetime | None, int]:
    """(end of the latest run, number of sources ever harvested): two small
    lookups over the runs graph, used as the catalogue's change stamp."""
    rows = store.select(
        f"""SELECT (MAX(?end) AS ?last) (COUNT(DISTINCT ?src) AS ?sources) WHERE {{
              GRAPH <{uris.runs_graph}> {{ ?run <{_PROV}used> ?src . OPTIONAL {{ ?run <{_PROV}endedAtTime> ?end }} }} }}"""
    )
    if not rows or "last" not in rows[0]:
        return None, int(str(rows[0].get("sources", 0))) if rows else 0
    return _when(rows[0]["last"]), int(str(rows[0]["sources"]))
