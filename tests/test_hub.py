"""``models pull`` against a local stand-in for the Hugging Face Hub on 127.0.0.1."""

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from im4talkin import hub
from im4talkin.errors import ModelError
from im4talkin.hub import HubFile, HubModel

pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

REVISION = "0123456789abcdef0123456789abcdef01234567"
WEIGHTS = bytes(range(256)) * 4096 * 24  # 24 MiB: more than one of the client's 10 MB chunks
CONFIG = b'{"model_type": "tiny"}'


class StandIn(BaseHTTPRequestHandler):
    """Answers HEAD and GET on /{repo}/resolve/{revision}/{file}, with Range."""

    files: dict = {}
    git_etag: set = set()
    """Files the Hub keeps in git, not LFS: their ETag is the git blob SHA-1."""
    corrupt: set = set()
    cut_once: set = set()
    requests: list = []

    def log_message(self, *args):
        pass

    def _file(self):
        prefix = f"/tiny/repo/resolve/{REVISION}/"
        name = self.path.split("?")[0].removeprefix(prefix)
        return name, self.files.get(name)

    def _head(self, name, data, status=200, start=0):
        self.send_response(status)
        self.send_header("X-Repo-Commit", REVISION)
        if name in self.git_etag:
            blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            self.send_header("ETag", f'"{blob}"')
        else:
            self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()

    def do_HEAD(self):
        name, data = self._file()
        self.requests.append(("HEAD", name, None))
        if data is None:
            self.send_error(404)
            return
        self._head(name, data)

    def do_GET(self):
        name, data = self._file()
        rng = self.headers.get("Range")
        self.requests.append(("GET", name, rng))
        if data is None:
            self.send_error(404)
            return
        if name in self.corrupt:
            data = b"\0" * len(data)
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        self._head(name, data, 206 if start else 200, start)
        body = data[start:]
        if name in self.cut_once:  # the connection drops halfway through
            self.cut_once.discard(name)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


@pytest.fixture
def stand_in(monkeypatch, tmp_path):
    StandIn.files = {"model.bin": WEIGHTS, "config.json": CONFIG}
    StandIn.corrupt, StandIn.cut_once, StandIn.requests = set(), set(), []
    StandIn.git_etag = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("IM4TALKIN_MODELS_DIR", str(tmp_path / "models"))  # a cache of its own
    tiny = HubModel(
        "tiny",
        "tiny/repo",
        REVISION,
        (
            HubFile("config.json", len(CONFIG), hashlib.sha256(CONFIG).hexdigest()),
            HubFile("model.bin", len(WEIGHTS), hashlib.sha256(WEIGHTS).hexdigest()),
        ),
    )
    monkeypatch.setitem(hub.PULLABLE, "tiny", tiny)
    yield tiny
    server.shutdown()
    server.server_close()


def test_pull_fetches_checks_and_then_works_offline(stand_in, cli):
    assert hub.status(stand_in)[0] is False
    code, out, _ = cli("models", "list")
    assert "tiny/repo" in out and "not pulled" in out
    code, out, err = cli("models", "pull", "tiny")
    assert code == 0, err
    folder = hub.path(stand_in)
    assert (folder / "model.bin").read_bytes() == WEIGHTS
    assert (folder / "config.json").read_bytes() == CONFIG
    assert hub.status(stand_in) == (True, "ready (pulled, SHA-256 checked)")
    before = len(StandIn.requests)
    assert cli("models", "pull", "tiny")[0] == 0  # nothing to fetch again
    assert len(StandIn.requests) == before
    code, out, _ = cli("models", "path", "tiny")
    assert code == 0 and out.strip() == str(folder)


def test_a_corrupt_download_fails_the_check_and_leaves_nothing(stand_in, cli):
    StandIn.corrupt = {"model.bin"}
    code, out, err = cli("models", "pull", "tiny")
    assert code == 3 and "arrived corrupt" in err and "Traceback" not in err
    assert hub._local(stand_in, stand_in.files[1]) is None  # not left in the cache
    assert not [
        p for p in hub.cache_dir().rglob("*") if p.is_file() and p.stat().st_size == len(WEIGHTS)
    ]
    StandIn.corrupt = set()
    assert cli("models", "pull", "tiny")[0] == 0
    assert (hub.path(stand_in) / "model.bin").read_bytes() == WEIGHTS


def test_an_interrupted_download_resumes(stand_in, cli):
    StandIn.cut_once = {"model.bin"}
    first = cli("models", "pull", "tiny")
    if first[0] != 0:  # the client gave up: the next pull resumes from the partial file
        assert "again to resume" in first[2]
        assert cli("models", "pull", "tiny")[0] == 0
    gets = [r for r in StandIn.requests if r[0] == "GET" and r[1] == "model.bin"]
    assert len(gets) >= 2 and gets[-1][2] is not None and gets[-1][2].startswith("bytes=")
    assert (hub.path(stand_in) / "model.bin").read_bytes() == WEIGHTS


def test_rm_deletes_a_pulled_model(stand_in, cli):
    assert cli("models", "pull", "tiny")[0] == 0
    code, out, _ = cli("models", "rm", "tiny")
    assert code == 0 and "removed tiny" in out
    assert hub.status(stand_in)[0] is False and hub._local(stand_in, stand_in.files[1]) is None
    code, out, _ = cli("models", "rm", "tiny")
    assert code == 0 and "was not pulled" in out


def test_a_model_not_pulled_names_the_command(stand_in):
    with pytest.raises(ModelError, match="im4talkin models pull tiny"):
        hub.path(stand_in)


def test_an_unknown_pull_is_one_line(cli):
    code, _, err = cli("models", "pull", "gpt-9")
    assert code == 2 and "no pullable model 'gpt-9'" in err


def test_files_without_pinned_hashes_are_checked_against_the_commit(stand_in, cli, monkeypatch):
    """No size or SHA-256 known offline: the blob's content hash at the pinned commit is used
    (SHA-256 for LFS files, the git blob SHA-1 for small ones); optional files may be absent."""
    StandIn.git_etag = {"config.json"}
    loose = HubModel(
        "loose",
        "tiny/repo",
        REVISION,
        (HubFile("config.json"), HubFile("model.bin"), HubFile("extra.json", optional=True)),
    )
    monkeypatch.setitem(hub.PULLABLE, "loose", loose)
    StandIn.corrupt = {"config.json"}
    code, _, err = cli("models", "pull", "loose")
    assert code == 3 and "config.json of loose arrived corrupt" in err
    StandIn.corrupt = {"model.bin"}
    code, _, err = cli("models", "pull", "loose")
    assert code == 3 and "model.bin of loose arrived corrupt" in err
    StandIn.corrupt = set()
    code, _, err = cli("models", "pull", "loose")
    assert code == 0, err
    assert hub.status(loose) == (True, "ready (pulled, SHA-256 checked)")
    assert hub.pulled_size(loose) == len(WEIGHTS) + len(CONFIG)
    assert (hub.path(loose) / "model.bin").read_bytes() == WEIGHTS
    code, out, _ = cli("models", "list")
    assert "loose" in out


def test_a_required_file_missing_at_the_commit_is_one_line(stand_in, cli, monkeypatch):
    gone = HubModel("gone", "tiny/repo", REVISION, (HubFile("config.json"), HubFile("nope.bin")))
    monkeypatch.setitem(hub.PULLABLE, "gone", gone)
    code, _, err = cli("models", "pull", "gone")
    assert code == 3 and "nope.bin is not in tiny/repo" in err and "Traceback" not in err


def test_the_known_models_are_pinned_to_full_commits():
    for model in hub.PULLABLE.values():
        assert len(model.revision) == 40 and int(model.revision, 16) >= 0
    gguf = hub.LLAMA2_CHAT.files[0]
    assert gguf.size == 4_081_004_224 and len(gguf.sha256) == 64
    names = {f.path for f in hub.SEAMLESS_V2_LARGE.files if not f.optional}
    assert {"config.json", "model.safetensors.index.json", "sentencepiece.bpe.model"} <= names


def test_verify_rehashes_a_pulled_model_and_drops_a_changed_file(stand_in, cli):
    assert cli("models", "pull", "tiny")[0] == 0
    code, out, _ = cli("models", "verify", "tiny")
    assert code == 0 and out.count("ok tiny") == 2
    weights = hub.path(stand_in) / "model.bin"
    blob = weights.resolve()
    blob.write_bytes(b"\0" * len(WEIGHTS))
    code, out, err = cli("models", "verify", "tiny")
    assert code == 3 and "FAILED tiny" in out and "failed the check" in err
    assert not blob.exists() and hub.status(stand_in)[0] is False  # the next pull fetches it
    assert cli("models", "pull", "tiny")[0] == 0
    assert (hub.path(stand_in) / "model.bin").read_bytes() == WEIGHTS
