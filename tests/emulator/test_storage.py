"""The storage host of the gcs flow: signed URLs, plain and resumable uploads, ranged downloads."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests

from compliance_frames.emulator import Emulator, ManualClock
from tests.conftest import EmulatorFactory
from tests.emulator.helpers import TEXT, create, upload, validating_session, wait_status

pytestmark = pytest.mark.flow("gcs")
KIB256 = 256 * 1024


def xml_code(answer: requests.Response) -> str:
    match = re.search(r"<Code>(\w+)</Code>", answer.text)
    assert match, answer.text
    assert answer.headers["Content-Type"].startswith("application/xml")
    return match.group(1)


def test_signed_urls_have_the_gcs_shape(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator)
    upload_query = dict(parse_qsl(urlsplit(job["upload_url"]).query))
    assert list(upload_query) == [
        "X-Goog-Algorithm",
        "X-Goog-Credential",
        "X-Goog-Date",
        "X-Goog-Expires",
        "X-Goog-SignedHeaders",
        "X-Goog-Signature",
    ]
    assert upload_query["X-Goog-SignedHeaders"] == "content-type;host"
    assert upload_query["X-Goog-Expires"] == "900"
    assert re.fullmatch(r"[0-9a-f]{512}", upload_query["X-Goog-Signature"])
    assert re.fullmatch(r"\d{8}T\d{6}Z", upload_query["X-Goog-Date"])
    download_query = dict(parse_qsl(urlsplit(job["download_url"]).query))
    assert download_query["X-Goog-SignedHeaders"] == "host"
    assert download_query["X-Goog-Expires"] == "604800"


def test_plain_upload_needs_exactly_text_plain(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator)
    for content_type in ("application/octet-stream", "text/plain; charset=utf-8"):
        answer = requests.put(
            job["upload_url"], data=b"1\n", headers={"Content-Type": content_type}
        )
        assert answer.status_code == 403
        assert xml_code(answer) == "SignatureDoesNotMatch"
        assert "<Message>Access denied.</Message>" in answer.text
    assert (
        api.get(f"{emulator.base_url}/2/compliance/jobs/{job['id']}").json()["data"]["status"]
        == "created"
    )
    answer = upload(emulator, job, b"1\n")
    assert answer.status_code == 200
    assert answer.content == b""


@pytest.mark.parametrize("part", ["X-Goog-Signature", "X-Goog-Date", "X-Goog-Expires", "path"])
def test_tampered_url_is_403(api: requests.Session, emulator: Emulator, part: str) -> None:
    job = create(api, emulator)
    url = urlsplit(job["upload_url"])
    query = dict(parse_qsl(url.query))
    path = url.path
    if part == "path":
        path = path.replace("submission", "delivery")
    elif part == "X-Goog-Signature":
        query[part] = ("0" if query[part][0] != "0" else "1") + query[part][1:]
    elif part == "X-Goog-Date":
        seconds = query[part][-3:-1]
        query[part] = query[part][:-3] + ("00" if seconds != "00" else "01") + "Z"
    else:
        query[part] = "60"
    tampered = f"{url.scheme}://{url.netloc}{path}?{urlencode(query)}"
    answer = requests.put(tampered, data=b"1\n", headers=TEXT)
    assert answer.status_code == 403
    assert xml_code(answer) == "SignatureDoesNotMatch"


def test_expired_upload_url_is_400_expired_token(make_emulator: EmulatorFactory) -> None:
    clock = ManualClock(start=1_633_592_478)
    emulator = make_emulator(clock=clock)
    api = validating_session(emulator)
    job = create(api, emulator)
    clock.advance(901)
    answer = upload(emulator, job, b"1\n")
    assert answer.status_code == 400
    assert xml_code(answer) == "ExpiredToken"
    assert "<Message>Invalid argument.</Message>" in answer.text
    assert (
        "The provided token has expired. Request signature expired at: 2021-10-07T07:56:18+00:00"
        in answer.text
    )


def test_authorization_header_on_a_signed_url_is_refused_and_logged(
    api: requests.Session, emulator: Emulator
) -> None:
    job = create(api, emulator)
    leaked = {"Authorization": f"Bearer {emulator.bearer_token}", **TEXT}
    answer = requests.put(job["upload_url"], data=b"1\n", headers=leaked)
    assert answer.status_code == 400
    assert xml_code(answer) == "InvalidArgument"
    assert "Authorization" in answer.text
    assert emulator.storage_authorizations() == [f"Bearer {emulator.bearer_token}"]
    assert emulator.job(job["id"])["status"] == "created"


def test_upload_moves_the_job_to_in_progress_then_complete(make_emulator: EmulatorFactory) -> None:
    clock = ManualClock(start=1_700_000_000)
    emulator = make_emulator(clock=clock, processing_seconds=60, seconds_per_id=10)
    api = validating_session(emulator)
    job = create(api, emulator)
    assert upload(emulator, job, b"1\n2\n3\n").status_code == 200
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["status"] == "in_progress"
    clock.advance(60 + 3 * 10 - 1)
    assert emulator.job(job["id"])["status"] == "in_progress"
    clock.advance(1)
    assert emulator.job(job["id"])["status"] == "complete"
    assert emulator.job(job["id"])["n_ids"] == 3


def test_second_upload_after_processing_began_is_accepted_and_ignored(
    api: requests.Session, emulator: Emulator
) -> None:
    job = create(api, emulator)
    upload(emulator, job, b"1\n")
    assert upload(emulator, job, b"2\n3\n").status_code == 200
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["n_ids"] == 1


def test_chunked_upload_body_is_accepted(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator)
    answer = requests.put(job["upload_url"], data=iter([b"1\n", b"2\n"]), headers=TEXT)
    assert answer.status_code == 200
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["n_ids"] == 2


def start_session(job: dict[str, str]) -> str:
    answer = requests.post(
        job["upload_url"],
        headers={"Content-Type": "text/plain", "x-goog-resumable": "start", "Content-Length": "0"},
    )
    assert answer.status_code == 201, answer.text
    location = answer.headers["Location"]
    assert location.startswith(job["upload_url"] + "&upload_id=")
    return location


def test_resumable_upload_in_chunks(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator, resumable=True)
    assert dict(parse_qsl(urlsplit(job["upload_url"]).query))["X-Goog-SignedHeaders"] == (
        "content-length;content-type;host;x-goog-resumable"
    )
    session = start_session(job)
    data = b"".join(b"%019d\n" % i for i in range(1, 40_000))  # 800 000 bytes
    total = len(data)
    probe = requests.put(session, headers={"Content-Range": f"bytes */{total}"})
    assert probe.status_code == 308
    assert "Range" not in probe.headers
    first = requests.put(
        session, data=data[:KIB256], headers={"Content-Range": f"bytes 0-{KIB256 - 1}/{total}"}
    )
    assert first.status_code == 308
    assert first.headers["Range"] == f"bytes=0-{KIB256 - 1}"
    second = requests.put(
        session,
        data=data[KIB256 : 2 * KIB256],
        headers={"Content-Range": f"bytes {KIB256}-{2 * KIB256 - 1}/*"},
    )
    assert second.headers["Range"] == f"bytes=0-{2 * KIB256 - 1}"
    probe = requests.put(session, headers={"Content-Range": f"bytes */{total}"})
    assert (probe.status_code, probe.headers["Range"]) == (308, f"bytes=0-{2 * KIB256 - 1}")
    last = requests.put(
        session,
        data=data[2 * KIB256 :],
        headers={"Content-Range": f"bytes {2 * KIB256}-{total - 1}/{total}"},
    )
    assert last.status_code == 200
    assert requests.put(session, headers={"Content-Range": f"bytes */{total}"}).status_code == 200
    wait_status(api, emulator, job["id"], "complete")
    assert emulator.job(job["id"])["n_ids"] == 39_999


def test_resumable_rules(api: requests.Session, emulator: Emulator) -> None:
    job = create(api, emulator, resumable=True)
    # the resumable URL is signed for POST start, not for a plain PUT
    assert xml_code(upload(emulator, job, b"1\n")) == "SignatureDoesNotMatch"
    session = start_session(job)
    odd = requests.put(session, data=b"1\n" * 1000, headers={"Content-Range": "bytes 0-1999/5000"})
    assert odd.status_code == 400
    assert "multiple of 256 KiB" in odd.text
    gap = requests.put(session, data=b"1\n", headers={"Content-Range": "bytes 10-11/12"})
    assert gap.status_code == 400
    assert "resume from byte 0" in gap.text
    wrong = requests.put(session, data=b"1\n", headers={"Content-Range": "bytes 0-5/6"})
    assert wrong.status_code == 400
    unknown = requests.put(session.replace("upload_id=", "upload_id=x"), data=b"1\n")
    assert xml_code(unknown) == "NoSuchUpload"
    # a chunk that overlaps what is stored is accepted from where the stored bytes end
    data = b"7\n" * (KIB256 // 2) + b"8\n"
    requests.put(
        session, data=data[:KIB256], headers={"Content-Range": f"bytes 0-{KIB256 - 1}/{len(data)}"}
    )
    done = requests.put(
        session, data=data, headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
    )
    assert done.status_code == 200
    emulator.wait_processed(job["id"])
    assert emulator.job(job["id"])["n_ids"] == KIB256 // 2 + 1


def test_download_streams_results_and_honours_range(make_emulator: EmulatorFactory) -> None:
    emulator = make_emulator(events={"20": "deleted", "30": "suspended"})
    api = validating_session(emulator)
    job = create(api, emulator)
    before = requests.get(job["download_url"])
    assert (before.status_code, xml_code(before)) == (404, "NoSuchKey")
    upload(emulator, job, b"10\n20\n30\n")
    wait_status(api, emulator, job["id"], "complete")
    whole = requests.get(job["download_url"])
    assert whole.status_code == 200
    assert whole.headers["Accept-Ranges"] == "bytes"
    lines = whole.content.splitlines()
    assert [line.split(b'"')[3] for line in lines] == [b"20", b"30"]
    tail = requests.get(job["download_url"], headers={"Range": "bytes=10-"})
    assert tail.status_code == 206
    assert tail.content == whole.content[10:]
    assert (
        tail.headers["Content-Range"] == f"bytes 10-{len(whole.content) - 1}/{len(whole.content)}"
    )
    middle = requests.get(job["download_url"], headers={"Range": "bytes=5-9"})
    assert middle.content == whole.content[5:10]
    beyond = requests.get(job["download_url"], headers={"Range": f"bytes={len(whole.content)}-"})
    assert (beyond.status_code, xml_code(beyond)) == (416, "InvalidRange")
    assert beyond.headers["Content-Range"] == f"bytes */{len(whole.content)}"
    for answer in (whole, tail):
        assert answer.headers["x-goog-stored-content-length"] == str(len(whole.content))
    assert "x-goog-stored-content-length" not in beyond.headers


def test_the_storage_host_has_no_rate_windows_and_no_byte_path_limits(
    make_emulator: EmulatorFactory,
) -> None:
    # upload_types and max_upload_bytes are the byte-path flow's: ignored here
    emulator = make_emulator(rate_limit=1, max_upload_bytes=1, upload_types=("text/csv",))
    api = validating_session(emulator)
    job = create(api, emulator)
    uploads = [upload(emulator, job, b"1\n2\n") for _ in range(3)]  # later ones: ignored
    emulator.wait_processed(job["id"])
    downloads = [requests.get(job["download_url"]) for _ in range(3)]
    for answer in uploads + downloads:
        assert answer.status_code == 200
        assert not any(key.startswith("x-rate-limit") for key in answer.headers)
    assert emulator.job(job["id"])["n_ids"] == 2


def test_download_stops_after_the_download_window(make_emulator: EmulatorFactory) -> None:
    clock = ManualClock(start=1_700_000_000)
    emulator = make_emulator(clock=clock, download_window=3600)
    api = validating_session(emulator)
    job = create(api, emulator)
    upload(emulator, job, b"1\n")
    emulator.wait_processed(job["id"])
    assert requests.get(job["download_url"]).status_code == 200
    clock.advance(3601)
    late = requests.get(job["download_url"])
    assert (late.status_code, xml_code(late)) == (400, "ExpiredToken")
    assert emulator.job(job["id"])["status"] == "complete"


def test_job_never_uploaded_expires_after_the_upload_window(make_emulator: EmulatorFactory) -> None:
    clock = ManualClock(start=1_700_000_000)
    emulator = make_emulator(clock=clock, upload_window=60)
    api = validating_session(emulator)
    job = create(api, emulator)
    assert dict(parse_qsl(urlsplit(job["upload_url"]).query))["X-Goog-Expires"] == "60"
    clock.advance(59)
    assert (
        api.get(f"{emulator.base_url}/2/compliance/jobs/{job['id']}").json()["data"]["status"]
        == "created"
    )
    clock.advance(1)
    assert (
        api.get(f"{emulator.base_url}/2/compliance/jobs/{job['id']}").json()["data"]["status"]
        == "expired"
    )
    listed = api.get(f"{emulator.base_url}/2/compliance/jobs", params={"type": "tweets"}).json()[
        "data"
    ]
    assert listed[0]["status"] == "expired"


def test_data_folder_given_is_made_and_kept_own_folder_is_removed(tmp_path: Path) -> None:
    given = tmp_path / "not" / "yet"
    with Emulator(flow="gcs", data_dir=str(given), processing_seconds=0) as emulator:
        api = validating_session(emulator)
        job = create(api, emulator)
        assert upload(emulator, job, b"20\n").status_code == 200
        wait_status(api, emulator, job["id"], "complete")
    assert (given / job["id"] / "delivery").is_file()  # the user's folder is the user's

    with Emulator(flow="gcs", processing_seconds=0) as emulator:
        own = Path(emulator.state.data_dir)
        api = validating_session(emulator)
        job = create(api, emulator)
        assert upload(emulator, job, b"20\n").status_code == 200
        wait_status(api, emulator, job["id"], "complete")
        assert own.is_dir()
    assert not own.exists()
    # A request still in flight after the stop cannot bring the folder back.
    stored = emulator.state.store.get(job["id"])
    assert stored is not None
    with pytest.raises(FileNotFoundError):
        emulator.state.job_dir(stored)
    assert not own.exists()


def test_an_unfinished_resumable_session_expires_and_so_does_its_job(
    make_emulator: EmulatorFactory,
) -> None:
    clock = ManualClock(start=1_700_000_000)
    emulator = make_emulator(clock=clock, upload_window=60, session_window=3600)
    api = validating_session(emulator)
    job = create(api, emulator, resumable=True)
    session = start_session(job)
    chunk = {"Content-Range": f"bytes 0-{KIB256 - 1}/*"}
    first = requests.put(session, data=b"1\n" * (KIB256 // 2), headers=chunk)
    assert first.status_code == 308
    status = f"{emulator.base_url}/2/compliance/jobs/{job['id']}"
    clock.advance(600)  # past the upload window: the open session keeps the upload going
    assert api.get(status).json()["data"]["status"] == "created"
    clock.advance(3600)  # past the session's lifetime
    assert api.get(status).json()["data"]["status"] == "expired"
    last = {"Content-Range": f"bytes {KIB256}-{KIB256 + 1}/{KIB256 + 2}"}
    late = requests.put(session, data=b"2\n", headers=last)
    assert late.status_code == 404
    assert "<Code>NoSuchUpload</Code>" in late.text
    assert emulator.job(job["id"])["n_ids"] is None  # nothing was taken in
