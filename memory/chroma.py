"""The memory store on Chroma: embedded (`PersistentClient`) or a server (`HttpClient`).

The only module that imports `chromadb`. Three collections, named after
`memory.collection_prefix`:

- `<prefix>-runbook-chunks`: one record per chunk, the searched text and its vector;
- `<prefix>-runbooks`: one record per runbook, its markdown and current version (listing
  and fetching runbooks without scanning every chunk);
- `<prefix>-incidents`: one record per remembered incident.

Vectors are computed here by the offline embedder and handed to Chroma, so Chroma's own
default embedding function (which downloads a model) is never used. Chroma's client is
synchronous: each operation runs in a worker thread, bounded by `timeout_s`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import chromadb
import httpx
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import (
    Embeddable,
    EmbeddingFunction,
    Embeddings,
    Space,
    Where,
    WhereDocument,
)
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, InvalidArgumentError, NotFoundError

from core.clock import Clock
from core.errors import ConfigError, InvalidRequest, NotFound, Unavailable
from core.settings import MemorySettings
from memory.embedder import Embedder, Vectors
from memory.models import (
    IncidentFilters,
    IncidentHit,
    IncidentMemory,
    IncidentSearch,
    Runbook,
    RunbookFilters,
    RunbookInfo,
    RunbookSearch,
    StoredRunbook,
    UpsertOutcome,
)
from memory.records import (
    chunk_id,
    chunk_metadata,
    incident_from,
    incident_metadata,
    incident_text,
    runbook_info,
    runbook_metadata,
    strings,
)
from memory.retrieval import (
    Candidate,
    identifiers,
    incident_where,
    keyword_where,
    missing_from,
    passes,
    query_terms,
    rank,
    runbook_where,
    text_where,
)
from memory.runbooks import chunk_runbook

T = TypeVar("T")
SCHEMA = 1
"""Bumped when what the collections hold changes shape; a mismatch asks for a re-ingest."""
KEYWORD_LIMIT = 50
"""Most chunks each keyword lookup returns."""
KEYS_TTL_S = 30.0
"""How long the set of alert names and labels of stored runbooks is reused: another
process's new runbook joins the key lookup this much later (this process's at once)."""


class _ChromaEmbedding(EmbeddingFunction[Embeddable]):
    """The offline embedder as Chroma's embedding function (never Chroma's downloading one)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def __call__(self, input: Embeddable) -> Embeddings:
        texts = [t for t in input if isinstance(t, str)]
        if len(texts) != len(input):
            raise InvalidArgumentError("the PixelView embedder embeds text only")
        return list(self.embedder.embed(texts))

    @staticmethod
    def name() -> str:
        return "pixelview-minilm-int8"

    def get_config(self) -> dict[str, Any]:
        return {"threads": self.embedder.threads, "batch_size": self.embedder.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> _ChromaEmbedding:
        return _ChromaEmbedding(
            Embedder(threads=config.get("threads"), batch_size=config.get("batch_size", 8))
        )

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]


class ChromaMemoryStore:
    """`MemoryStore` on a Chroma client; the client is made at the first operation.

    Args:
        connect: Makes the Chroma client (`PersistentClient` or `HttpClient`).
        where: Says where the store is, for messages (`embedded store at ...`).
        embedder: The offline embedder.
        clock: Stamps stored runbooks.
        threshold: Least score of a runbook hit.
        incident_threshold: Least similarity of a past-incident hit.
        collection_prefix: Names the collections.
        timeout_s: Longest wait for one operation.
        candidates: Chunks the vector query returns (at least `4 * k`).
    """

    def __init__(
        self,
        connect: Callable[[], ClientAPI],
        *,
        where: str,
        embedder: Embedder,
        clock: Clock,
        threshold: float,
        incident_threshold: float,
        collection_prefix: str = "pixelview",
        timeout_s: float = 30.0,
        candidates: int = 20,
    ) -> None:
        self._connect = connect
        self.where = where
        self.embedder = embedder
        self.clock = clock
        self.threshold = threshold
        self.incident_threshold = incident_threshold
        self.prefix = collection_prefix
        self.timeout_s = timeout_s
        self.candidates = candidates
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._client: ClientAPI | None = None
        self._collections: dict[str, Collection] = {}
        self._keys: tuple[float, frozenset[str]] | None = None

    # ---------------------------------------------------------------- the port

    async def check(self) -> None:
        """Reach the store and load the embedder."""
        await self._run(self._check)

    async def upsert_runbook(self, runbook: Runbook) -> UpsertOutcome:
        """Store a runbook's chunks, replacing its previous version."""
        return await self._run(lambda: self._upsert_runbook(runbook))

    async def delete_runbook(self, runbook_id: str) -> None:
        """Remove a runbook and its chunks."""
        await self._run(lambda: self._delete_runbook(runbook_id))

    async def list_runbooks(self) -> list[RunbookInfo]:
        """Every stored runbook, by id."""
        return await self._run(self._list_runbooks)

    async def get_runbook(self, runbook_id: str) -> StoredRunbook:
        """One stored runbook with its markdown."""
        return await self._run(lambda: self._get_runbook(runbook_id))

    async def search_runbooks(
        self, query: str, *, filters: RunbookFilters | None = None, k: int = 5
    ) -> RunbookSearch:
        """The `k` best runbook sections at or above the threshold."""
        return await self._run(lambda: self._search_runbooks(query, filters, k))

    async def record_incident(self, incident: IncidentMemory) -> None:
        """Remember a resolved incident."""
        await self._run(lambda: self._record_incident(incident))

    async def forget_incident(self, incident_id: str) -> None:
        """Remove an incident memory."""
        await self._run(lambda: self._forget_incident(incident_id))

    async def search_incidents(
        self, query: str, *, filters: IncidentFilters | None = None, k: int = 5
    ) -> IncidentSearch:
        """The `k` most similar past incidents at or above the threshold."""
        return await self._run(lambda: self._search_incidents(query, filters, k))

    # ---------------------------------------------------------------- plumbing

    async def _run(self, fn: Callable[[], T]) -> T:
        try:
            return await asyncio.wait_for(asyncio.to_thread(self._guarded, fn), self.timeout_s)
        except TimeoutError as e:
            raise Unavailable(f"the {self.where} did not answer within {self.timeout_s}s") from e

    def _guarded(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except InvalidArgumentError as e:
            raise InvalidRequest(f"the {self.where} refused the request: {e}") from e
        except NotFoundError as e:
            self._collections.clear()  # deleted behind our back: look them up again
            raise Unavailable(f"the {self.where} lost a collection: {e}") from e
        except (ChromaError, httpx.HTTPError, ConnectionError) as e:
            raise Unavailable(f"the {self.where} failed: {type(e).__name__}: {e}") from e

    def _collection(self, name: str) -> Collection:
        with self._lock:
            if name not in self._collections:
                if self._client is None or not self._collections:
                    try:
                        self._client = self._connect()
                    except ValueError as e:  # HttpClient's "Could not connect to a Chroma server"
                        raise Unavailable(f"cannot reach the {self.where}: {e}") from e
                full = f"{self.prefix}-{name}"
                collection = self._client.get_or_create_collection(
                    full,
                    embedding_function=_ChromaEmbedding(self.embedder),
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"model": self.embedder.model_id, "schema": SCHEMA},
                )
                stored = collection.metadata or {}
                if (stored.get("model"), stored.get("schema")) != (self.embedder.model_id, SCHEMA):
                    raise ConfigError(
                        f"collection {full} of the {self.where} holds vectors of "
                        f"{stored.get('model')} (schema {stored.get('schema')}), not "
                        f"{self.embedder.model_id} (schema {SCHEMA}): delete it and ingest again"
                    )
                self._collections[name] = collection
            return self._collections[name]

    def _check(self) -> None:
        self.embedder.load()
        for name in ("runbook-chunks", "runbooks", "incidents"):
            self._collection(name)

    # ---------------------------------------------------------------- runbooks

    def _upsert_runbook(self, runbook: Runbook) -> UpsertOutcome:
        chunks_col, runbooks_col = self._collection("runbook-chunks"), self._collection("runbooks")
        version = runbook.version
        with self._write_lock:
            old = runbooks_col.get(ids=[runbook.id], include=["metadatas"])
            old_meta = old["metadatas"][0] if old["metadatas"] else None
            if old_meta is not None and old_meta.get("version") == version:
                return UpsertOutcome(
                    runbook_id=runbook.id,
                    version=version,
                    chunks=int(str(old_meta.get("chunks", 0))),
                    status="unchanged",
                )
            chunks = chunk_runbook(runbook)
            vectors = self.embedder.embed([c.text for c in chunks])
            updated = self.clock.now().isoformat()
            # Versioned ids: the new chunks are added before the old ones go, so a search
            # in between finds one version or the other (`rank` keeps one of each section).
            chunks_col.upsert(
                ids=[chunk_id(runbook.id, version, c.index) for c in chunks],
                embeddings=vectors,
                documents=[c.text for c in chunks],
                metadatas=[
                    chunk_metadata(
                        c,
                        title=runbook.title,
                        applies_to=runbook.applies_to,
                        tags=runbook.tags,
                        version=version,
                        source=runbook.source,
                        updated=updated,
                    )
                    for c in chunks
                ],
            )
            mean = vectors.mean(axis=0)
            runbooks_col.upsert(
                ids=[runbook.id],
                embeddings=(mean / max(float(np.linalg.norm(mean)), 1e-12)).reshape(1, -1),
                documents=[runbook.markdown],
                metadatas=[runbook_metadata(runbook, chunks=len(chunks), updated=updated)],
            )
            stale = {"$and": [{"runbook_id": runbook.id}, {"version": {"$ne": version}}]}
            chunks_col.delete(where=cast(Where, stale))
            self._keys = None
        return UpsertOutcome(
            runbook_id=runbook.id,
            version=version,
            chunks=len(chunks),
            status="created" if old_meta is None else "updated",
        )

    def _delete_runbook(self, runbook_id: str) -> None:
        chunks_col, runbooks_col = self._collection("runbook-chunks"), self._collection("runbooks")
        with self._write_lock:
            if not runbooks_col.get(ids=[runbook_id], include=[])["ids"]:
                raise NotFound(f"no runbook {runbook_id!r} in the {self.where}")
            chunks_col.delete(where={"runbook_id": runbook_id})
            runbooks_col.delete(ids=[runbook_id])
            self._keys = None

    def _list_runbooks(self) -> list[RunbookInfo]:
        got = self._collection("runbooks").get(include=["metadatas"])
        metadatas = got["metadatas"] or []
        infos = [runbook_info(i, m) for i, m in zip(got["ids"], metadatas, strict=True)]
        return sorted(infos, key=lambda r: r.id)

    def _get_runbook(self, runbook_id: str) -> StoredRunbook:
        got = self._collection("runbooks").get(ids=[runbook_id], include=["metadatas", "documents"])
        if not got["ids"] or not got["metadatas"] or not got["documents"]:
            raise NotFound(f"no runbook {runbook_id!r} in the {self.where}")
        info = runbook_info(runbook_id, got["metadatas"][0])
        return StoredRunbook(**info.model_dump(), markdown=got["documents"][0])

    def _search_runbooks(self, query: str, filters: RunbookFilters | None, k: int) -> RunbookSearch:
        if not 1 <= k <= 100:
            raise InvalidRequest(f"k must be between 1 and 100, not {k}")
        chunks_col = self._collection("runbook-chunks")
        vector = self.embedder.embed_one(query)
        terms = query_terms(query)
        keys = [t for t in terms if t in self._known_keys()]
        ids = [i for i in identifiers(query) if i.lower() not in keys]
        candidates = self._nearest(chunks_col, vector, filters, k)
        # An identifier some neighbour already holds is common enough in the library that
        # scanning every chunk's text for it (~7 ms on 10,000 chunks) would add little.
        rare = missing_from(ids, (c.document for c in candidates))
        seen = {c.id for c in candidates}
        for where, where_document in (
            (keyword_where(filters, keys), None),
            (runbook_where(filters), text_where(rare)),
        ):
            if where_document is None and (where is None or not keys):
                continue
            found = _lookup(chunks_col, vector, where, where_document, exclude=seen, keep=2 * k)
            seen.update(c.id for c in found)
            candidates += found
        hits, best = rank(candidates, terms, ids=ids, k=k, threshold=self.threshold)
        return RunbookSearch(
            query=query,
            hits=tuple(hits),
            threshold=self.threshold,
            best_score=best.score if best else None,
            nearest=None if hits else best,
        )

    def _nearest(
        self, chunks_col: Collection, vector: Vectors, filters: RunbookFilters | None, k: int
    ) -> list[Candidate]:
        """The chunks nearest to `vector` that pass `filters`.

        With filters, the unfiltered neighbours are filtered here first: when `k` of them
        pass, they are the filtered query's best `k` too, at a third of its cost.
        """
        n = max(self.candidates, 4 * k)
        where = runbook_where(filters)
        found = _query(chunks_col, vector, 3 * n if where else n, None)
        if where is None:
            return found
        passing = [c for c in found if passes(filters, c.metadata)]
        return passing[:n] if len(passing) >= k else _query(chunks_col, vector, n, where)

    def _known_keys(self) -> frozenset[str]:
        """The alert names and `label=value` pairs stored runbooks list (cached a while)."""
        now = time.monotonic()
        if self._keys is None or now - self._keys[0] > KEYS_TTL_S:
            got = self._collection("runbooks").get(include=["metadatas"])
            keys = frozenset(k for m in got["metadatas"] or [] for k in strings(m, "keys"))
            self._keys = (now, keys)
        return self._keys[1]

    # ---------------------------------------------------------------- incidents

    def _record_incident(self, incident: IncidentMemory) -> None:
        text = incident_text(incident)
        self._collection("incidents").upsert(
            ids=[incident.incident_id],
            embeddings=self.embedder.embed([text]),
            documents=[text],
            metadatas=[incident_metadata(incident)],
        )

    def _forget_incident(self, incident_id: str) -> None:
        incidents = self._collection("incidents")
        if not incidents.get(ids=[incident_id], include=[])["ids"]:
            raise NotFound(f"no incident {incident_id!r} in the {self.where}")
        incidents.delete(ids=[incident_id])

    def _search_incidents(
        self, query: str, filters: IncidentFilters | None, k: int
    ) -> IncidentSearch:
        if not 1 <= k <= 100:
            raise InvalidRequest(f"k must be between 1 and 100, not {k}")
        found = self._collection("incidents").query(
            query_embeddings=self.embedder.embed([query]),
            n_results=k,
            where=incident_where(filters),
            include=["metadatas", "distances"],
        )
        scored = [
            IncidentHit(
                incident=incident_from(m),
                score=round(1.0 - float(d), 4),
            )
            for m, d in zip(
                (found["metadatas"] or [[]])[0], (found["distances"] or [[]])[0], strict=True
            )
        ]
        hits = tuple(h for h in scored if h.score >= self.incident_threshold)
        return IncidentSearch(
            query=query,
            hits=hits,
            threshold=self.incident_threshold,
            best_score=scored[0].score if scored else None,
            nearest=None if hits or not scored else scored[0],
        )


def _query(collection: Collection, vector: Vectors, n: int, where: Where | None) -> list[Candidate]:
    """The `n` chunks nearest to `vector` passing `where`, similarity from Chroma's distance."""
    found = collection.query(
        query_embeddings=vector.reshape(1, -1),
        n_results=n,
        where=where,
        include=["documents", "metadatas", "distances"],
    )
    return [
        Candidate(id=i, document=d, metadata=m, similarity=1.0 - float(dist))
        for i, d, m, dist in zip(
            found["ids"][0],
            (found["documents"] or [[]])[0],
            (found["metadatas"] or [[]])[0],
            (found["distances"] or [[]])[0],
            strict=True,
        )
    ]


def _lookup(
    collection: Collection,
    vector: Vectors,
    where: Where | None,
    where_document: dict[str, Any] | None,
    *,
    exclude: set[str],
    keep: int,
) -> list[Candidate]:
    """The `keep` chunks nearest to `vector` among those the filters select (50 at most).

    Vectors first, texts only for the chunks kept: reading a chunk's text and metadata
    costs ~7 times reading its vector.
    """
    got = collection.get(
        where=where,
        where_document=cast(WhereDocument | None, where_document),
        limit=KEYWORD_LIMIT,
        include=["embeddings"],
    )
    embeddings = got["embeddings"] if got["embeddings"] is not None else []
    scored = sorted(
        (
            (float(np.dot(vector, e)), i)
            for i, e in zip(got["ids"], embeddings, strict=True)
            if i not in exclude
        ),
        reverse=True,
    )[:keep]
    if not scored:
        return []
    similarity = {i: s for s, i in scored}
    full = collection.get(ids=list(similarity), include=["documents", "metadatas"])
    return [
        Candidate(id=i, document=d, metadata=m, similarity=similarity[i])
        for i, d, m in zip(
            full["ids"], full["documents"] or [], full["metadatas"] or [], strict=True
        )
    ]


def chroma_settings() -> ChromaSettings:
    """Chroma's client settings: no anonymized telemetry (nothing leaves the machine)."""
    return ChromaSettings(anonymized_telemetry=False)


def embedded_client(path: Path) -> Callable[[], ClientAPI]:
    """Makes a `PersistentClient` storing under `path` (created if missing)."""

    def connect() -> ClientAPI:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings())

    return connect


def server_client(host: str, port: int, *, ssl: bool = False) -> Callable[[], ClientAPI]:
    """Makes an `HttpClient` of a `chroma run` server."""

    def connect() -> ClientAPI:
        return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings())

    return connect


def build_memory_store(
    settings: MemorySettings,
    *,
    path: Path,
    clock: Clock,
    embedder: Embedder | None = None,
) -> ChromaMemoryStore:
    """The store the settings describe; nothing connects until the first operation.

    Args:
        settings: The `memory` section.
        path: The embedded store's folder (`Settings.memory_path()`).
        clock: Stamps stored runbooks.
        embedder: Default: one from `embed_threads` and `embed_batch`.
    """
    if settings.mode == "server":
        scheme = "https" if settings.ssl else "http"
        connect = server_client(settings.host, settings.port, ssl=settings.ssl)
        where = f"Chroma server at {scheme}://{settings.host}:{settings.port}"
    else:
        connect = embedded_client(path)
        where = f"embedded Chroma store at {path}"
    return ChromaMemoryStore(
        connect,
        where=where,
        embedder=embedder
        or Embedder(threads=settings.embed_threads, batch_size=settings.embed_batch),
        clock=clock,
        threshold=settings.threshold,
        incident_threshold=settings.incident_threshold,
        collection_prefix=settings.collection_prefix,
        timeout_s=settings.timeout_s,
    )
