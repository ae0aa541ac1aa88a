"""A small client for the parts of MLflow's REST API (2.0) that the import
reads (registered models, their versions, and the runs behind them) and the
sync writes back (version tags, aliases). Standard
library only, no Django: the whole mlflow package is not a dependency.

The server is not trusted: it may redirect elsewhere, page forever, answer
without end or drip its answer a byte at a time, or send JSON of any shape.
The client follows no redirect (the credentials never leave the tracking
server), detects repeated page tokens, caps pages and answer sizes, holds the
whole run to one deadline, and reads every answer through checks that name
the field and the item at fault. Each refusal is an `MlflowError`."""

import base64
import http.client
import io
import json
import re
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from integrations.mlflow_answers import (
    IS_PROMPT_TAG,
    Answer,
    MlflowError,
    MlflowModel,
    MlflowVersion,
    ModelChange,
    as_list,
    as_object,
    as_text,
    assemble,
    read_change_time,
    read_experiment_id,
    read_model,
    read_run_id,
    read_version_row,
    refuse_duplicate_models,
    shown,
)

__all__ = ["MlflowClient", "MlflowError", "MlflowModel", "MlflowVersion"]

API = "/api/2.0/mlflow"
# MLflow's own caps per page (SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD
# and the model-version search's).
MODELS_PAGE = 1000
VERSIONS_PAGE = 10000
RUNS_PER_SEARCH = 100
RUN_ID = re.compile(r"^[0-9a-zA-Z_-]{1,64}$")
READ_CHUNK = 64 * 1024

# The bounds' defaults; the import command passes its settings.
DEADLINE_SECONDS = 600.0
MAX_ANSWER_BYTES = 64 * 1024 * 1024
MAX_PAGES = 1000


class _DeadlinePassed(Exception):
    pass


class _DeadlineReader(io.RawIOBase):
    """A socket's reads, each allowed no more than the time left before the
    run's deadline (and the per-read timeout): a server that drips a byte at
    a time, in its headers or its body, cannot stretch the run."""

    def __init__(self, sock: socket.socket, deadline: float, timeout: float) -> None:
        super().__init__()
        self._sock, self._deadline, self._timeout = sock, deadline, timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise _DeadlinePassed
        self._sock.settimeout(min(self._timeout, left))
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """The connection's socket as http.client uses it, its answer read
    through a `_DeadlineReader`."""

    def __init__(self, sock: socket.socket, deadline: float, timeout: float) -> None:
        self._sock, self._deadline, self._timeout = sock, deadline, timeout

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(
            _DeadlineReader(self._sock, self._deadline, self._timeout)
        )

    def sendall(self, data: bytes) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise _DeadlinePassed
        self._sock.settimeout(min(self._timeout, left))
        self._sock.sendall(data)

    def close(self) -> None:
        # http.client closes the connection as soon as it has read the
        # headers of an answer that ends the connection, while the answer
        # is still being read from it; the caller closes the socket after.
        pass


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


class MlflowClient:
    """Reads an MLflow tracking server. Credentials as MLflow's own client
    takes them: a bearer token, or a user name and password."""

    def __init__(
        self,
        tracking_uri: str,
        *,
        token: str = "",
        username: str = "",
        password: str = "",
        timeout: float = 30.0,
        workers: int = 8,
        deadline_seconds: float = DEADLINE_SECONDS,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
        max_pages: int = MAX_PAGES,
    ) -> None:
        parts = urllib.parse.urlsplit(tracking_uri)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or port == -1
            or parts.username is not None
        ):
            raise MlflowError(
                f"--tracking-uri must be an http(s) URL of an MLflow server "
                f"(credentials in the environment, not the URL), not "
                f"{tracking_uri!r}."
            )
        self.base = tracking_uri.rstrip("/")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = port or (443 if self.https else 80)
        self.path_prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.workers = workers
        self.deadline_seconds = deadline_seconds
        self.deadline = time.monotonic() + deadline_seconds
        self.max_answer_bytes = max_answer_bytes
        self.max_pages = max_pages
        self.headers = {"Accept": "application/json", "User-Agent": "mlgov-import/1"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        elif username:
            basic = base64.b64encode(f"{username}:{password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {basic}"

    def _get(self, path: str, **params: Any) -> Answer:
        query = urllib.parse.urlencode(
            {key: value for key, value in params.items() if value not in (None, "")}
        )
        return self._call("GET", path, query, None)

    def _post(self, path: str, body: dict[str, Any]) -> Answer:
        return self._call("POST", path, "", json.dumps(body).encode())

    def _call(self, method: str, path: str, query: str, body: bytes | None) -> Answer:
        try:
            status, location, raw = self._exchange(method, path, query, body)
        except _DeadlinePassed:
            raise self._late(path) from None
        except http.client.HTTPException as error:
            raise MlflowError(
                f"MLflow at {self.base} sent a broken HTTP answer to {path} "
                f"({type(error).__name__})."
            ) from error
        except TimeoutError as error:
            if time.monotonic() >= self.deadline:
                raise self._late(path) from error
            raise MlflowError(
                f"MLflow at {self.base} did not answer {path} within "
                f"{self.timeout:g} s."
            ) from error
        except OSError as error:
            raise MlflowError(
                f"Cannot reach MLflow at {self.base}: {error}. Check --tracking-uri "
                "and that the server is running."
            ) from error
        if 300 <= status < 400:
            raise MlflowError(
                f"MLflow at {self.base} answered {path} with a redirect (HTTP "
                f"{status}) to {shown(location, 80)}; the import follows no "
                "redirect, so credentials never leave the tracking server: set "
                "--tracking-uri to the address that answers."
            )
        if status >= 400:
            raise self._http_error(status, raw, path)
        try:
            answer = json.loads(raw or b"{}")
        except (ValueError, RecursionError) as error:
            raise MlflowError(
                f"{self.base} answered {path} with something that is not JSON; is "
                "it an MLflow tracking server?"
            ) from error
        return as_object(answer, path)

    def _exchange(
        self, method: str, path: str, query: str, body: bytes | None
    ) -> tuple[int, str, bytes]:
        """One request on its own connection: the status, the redirect
        target if any, and at most max_answer_bytes of the body."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _DeadlinePassed
        connection: http.client.HTTPConnection
        if self.https:
            connection = http.client.HTTPSConnection(
                self.host,
                self.port,
                timeout=min(self.timeout, left),
                context=ssl.create_default_context(),
            )
        else:
            connection = http.client.HTTPConnection(
                self.host, self.port, timeout=min(self.timeout, left)
            )
        sock: socket.socket | None = None
        try:
            connection.connect()
            sock = connection.sock
            # http.client reads the answer through the socket's makefile.
            connection.sock = _DeadlineSocket(sock, self.deadline, self.timeout)
            headers = dict(self.headers)
            if body is not None:
                headers["Content-Type"] = "application/json"
            url = f"{self.path_prefix}{API}/{path}" + (f"?{query}" if query else "")
            connection.request(method, url, body=body, headers=headers)
            response = connection.getresponse()
            if 300 <= response.status < 400:
                return response.status, response.getheader("Location") or "", b""
            return response.status, "", self._read_capped(response, path)
        finally:
            connection.close()
            if sock is not None:
                sock.close()

    def _read_capped(self, response: http.client.HTTPResponse, path: str) -> bytes:
        declared = response.getheader("Content-Length") or ""
        if declared.isdigit() and int(declared) > self.max_answer_bytes:
            raise self._too_large(path)
        chunks, size = [], 0
        while chunk := response.read(READ_CHUNK):
            size += len(chunk)
            if size > self.max_answer_bytes:
                raise self._too_large(path)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, path: str) -> MlflowError:
        return MlflowError(
            f"MLflow's answer to {path} is larger than {self.max_answer_bytes:,} "
            "bytes (MLFLOW_IMPORT_MAX_ANSWER_BYTES); raise it if the registry "
            "really holds that much."
        )

    def _late(self, path: str) -> MlflowError:
        return MlflowError(
            f"Reading MLflow at {self.base} did not finish within the import's "
            f"deadline of {self.deadline_seconds:g} s (--deadline, "
            f"MLFLOW_IMPORT_DEADLINE_SECONDS); it was reading {path}."
        )

    def _http_error(self, status: int, raw: bytes, path: str) -> MlflowError:
        if status in (401, 403):
            return MlflowError(
                f"MLflow refused the request (HTTP {status}): set "
                "MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and "
                "MLFLOW_TRACKING_PASSWORD, to credentials that may read the "
                "model registry."
            )
        try:
            detail = json.loads(raw or b"{}")
        except (ValueError, RecursionError):
            detail = {}
        if not isinstance(detail, dict):
            detail = {}
        code = str(detail.get("error_code") or f"HTTP {status}")
        message = str(detail.get("message") or http.client.responses.get(status, ""))
        return MlflowError(
            f"MLflow answered {path} with {_one_line(code, 60)}: "
            f"{_one_line(message, 200)}"
        )

    def _not_found(self, path: str, **params: Any) -> Answer | None:
        try:
            return self._get(path, **params)
        except MlflowError as error:
            if "RESOURCE_DOES_NOT_EXIST" in str(error) or "HTTP 404" in str(error):
                return None
            raise

    def _pages(
        self, path: str, key: str, fetch: Callable[[str | None], Answer]
    ) -> Iterator[Any]:
        """The items under `key` of every page, following next_page_token: a
        token seen before, or more than max_pages pages, is an error."""
        seen: set[str] = set()
        token = None
        for _ in range(self.max_pages):
            page = fetch(token)
            yield from as_list(page.get(key), path, key)
            token = as_text(page.get("next_page_token"), path, "next_page_token")
            if not token:
                return
            if token in seen:
                raise MlflowError(
                    f"MLflow answered {path} with page token {shown(token)} "
                    "twice: its paging would never end."
                )
            seen.add(token)
        raise MlflowError(
            f"MLflow's {path} goes on for more than {self.max_pages:,} pages "
            "(MLFLOW_IMPORT_MAX_PAGES); raise it if the registry really is "
            "that large."
        )

    def _search(self, path: str, key: str, size: int, **params: Any) -> Iterator[Any]:
        return self._pages(
            path,
            key,
            lambda token: self._get(path, max_results=size, page_token=token, **params),
        )

    def registered_models(self, names: list[str] | None = None) -> list[Any]:
        """Every registered model, or the named ones (an unknown name is an
        error), as MLflow sent them."""
        if names:
            found = []
            for name in names:
                answer = self._not_found("registered-models/get", name=name)
                if answer is None:
                    raise MlflowError(f"MLflow has no registered model {name!r}.")
                found.append(answer.get("registered_model"))
            return found
        return list(
            self._search("registered-models/search", "registered_models", MODELS_PAGE)
        )

    def versions_of(
        self, names: list[str] | None, prompts: frozenset[str] = frozenset()
    ) -> list[Any]:
        """Model version rows, as MLflow sent them: one search for all, or one
        per name. MLflow leaves a registered prompt's versions out of a search
        unless it asks for prompts, so a name in `prompts` does."""
        path, key = "model-versions/search", "model_versions"
        if names is None:
            return list(self._search(path, key, VERSIONS_PAGE))
        return [
            row
            for name in names
            for row in self._search(
                path,
                key,
                VERSIONS_PAGE,
                filter=f"name='{name}'"
                + (f" AND tags.`{IS_PROMPT_TAG}` = 'true'" if name in prompts else ""),
            )
        ]

    def run(self, run_id: str) -> Any:
        """A run as MLflow sent it, or None when it was deleted."""
        answer = self._not_found("runs/get", run_id=run_id)
        return None if answer is None else answer.get("run")

    def runs(self, run_ids: list[str]) -> dict[str, Any]:
        """Runs by id: searched a hundred at a time across every experiment;
        the few a search does not find are asked one by one, in parallel
        (None: deleted for good)."""
        found: dict[str, Any] = {}
        searchable = [run_id for run_id in run_ids if RUN_ID.match(run_id)]
        if searchable:
            experiments = [
                read_experiment_id(raw, index)
                for index, raw in enumerate(
                    self._search(
                        "experiments/search", "experiments", 1000, view_type="ALL"
                    ),
                    start=1,
                )
            ]
            for start in range(
                0, len(searchable) if experiments else 0, RUNS_PER_SEARCH
            ):
                batch = searchable[start : start + RUNS_PER_SEARCH]
                pages = self._pages(
                    "runs/search", "runs", self._run_search(experiments, batch)
                )
                for index, run in enumerate(pages, start=1):
                    found[read_run_id(run, f"runs/search: run #{index}")] = run
        missing = [run_id for run_id in run_ids if run_id not in found]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            found.update(zip(missing, pool.map(self.run, missing), strict=True))
        return found

    def _run_search(
        self, experiments: list[str], batch: list[str]
    ) -> Callable[[str | None], Answer]:
        quoted = ", ".join(f"'{run_id}'" for run_id in batch)

        def fetch(token: str | None) -> Answer:
            return self._post(
                "runs/search",
                {
                    "experiment_ids": experiments,
                    "filter": f"attributes.run_id IN ({quoted})",
                    "run_view_type": "ALL",
                    "max_results": 1000,
                    **({"page_token": token} if token else {}),
                },
            )

        return fetch

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        """Set one tag on a model version."""
        self._post(
            "model-versions/set-tag",
            {"name": name, "version": str(version), "key": key, "value": value},
        )

    def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point a registered model's alias at a version."""
        self._post(
            "registered-models/alias",
            {"name": name, "alias": alias, "version": str(version)},
        )

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove a registered model's alias; an alias already gone is fine."""
        query = urllib.parse.urlencode({"name": name, "alias": alias})
        try:
            self._call("DELETE", "registered-models/alias", query, None)
        except MlflowError as error:
            if "RESOURCE_DOES_NOT_EXIST" not in str(error):
                raise

    def model_changes(self) -> list[ModelChange]:
        """Every registered model with the time it or a version of it last
        changed, and its aliases: two listings, no runs read."""
        raws = self.registered_models()
        models = [read_model(raw, index) for index, raw in enumerate(raws, start=1)]
        refuse_duplicate_models(models)
        changed = {
            model.name: read_change_time(raw)
            for model, raw in zip(models, raws, strict=True)
        }
        for index, raw in enumerate(self.versions_of(None), start=1):
            row = read_version_row(raw, index)
            if row.name in changed:
                changed[row.name] = max(changed[row.name], read_change_time(raw))
        return [
            ModelChange(
                name=model.name, changed_ms=changed[model.name], aliases=model.aliases
            )
            for model in models
        ]

    def read_models(self, names: list[str] | None = None) -> list[MlflowModel]:
        """Registered models with their versions and each version's run."""
        models = [
            read_model(raw, index)
            for index, raw in enumerate(self.registered_models(names), start=1)
        ]
        refuse_duplicate_models(models)
        rows = [
            read_version_row(raw, index)
            for index, raw in enumerate(
                self.versions_of(
                    [m.name for m in models] if names else None,
                    frozenset(m.name for m in models if m.is_prompt),
                ),
                start=1,
            )
        ]
        runs = self.runs(sorted({row.run_id for row in rows if row.run_id}))
        return assemble(models, rows, runs)
